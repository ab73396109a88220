import { CsrfField, Layout, Notice } from './layout';

interface Base {
  serviceName: string;
  csrfToken: string;
}

/** After a provider vouched for an existing account's address: the owner must prove it by mail. */
export function LinkMailedPage(props: Base & { providerName: string; email: string }) {
  return (
    <Layout title="Check your email" serviceName={props.serviceName} narrow>
      <h1>Check your email</h1>
      <Notice kind="info">
        An account with {props.email} already exists. To link {props.providerName} to it, open the link we
        sent to {props.email} in this browser within one hour.
      </Notice>
      <p>
        Or <a href="/login">sign in with your password</a> and link {props.providerName} from your account
        settings.
      </p>
    </Layout>
  );
}

/** The mailed link's page: a button, because mail scanners prefetch links (they must not link). */
export function ConfirmLinkPage(
  props: Base & {
    token: string;
    valid: boolean;
    providerName?: string | undefined;
    error?: string | undefined;
  },
) {
  return (
    <Layout title="Link sign-in provider" serviceName={props.serviceName} narrow>
      <h1>Link a sign-in provider</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.valid ? (
        <form method="post" action="/auth/link" class="stack">
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="token" value={props.token} />
          <p>
            Link {props.providerName} to your account? From then on you can sign in with {props.providerName}.
            If you did not just try to sign in with {props.providerName}, close this page.
          </p>
          <button type="submit">Link {props.providerName}</button>
        </form>
      ) : props.error ? null : (
        <Notice kind="error">
          This link is invalid, expired or already used, or was opened in another browser than the one you
          signed in with.
        </Notice>
      )}
    </Layout>
  );
}
