import { Layout } from './layout';

export function ErrorPage(props: {
  serviceName: string;
  status: number;
  title: string;
  message: string;
  requestId?: string;
}) {
  return (
    <Layout title={props.title} serviceName={props.serviceName} narrow>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      {props.requestId ? (
        <p class="muted">
          Reference: <code>{props.requestId}</code>
        </p>
      ) : null}
      <p>
        <a href="/">Go to the home page</a>
      </p>
    </Layout>
  );
}
