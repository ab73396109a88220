import { Hono } from 'hono';
import type { Action } from '../../actions/action';
import { actionsFor, findAction } from '../../actions/registry';
import { type AppEnv, publicOrigin } from '../../http/context';
import { Layout } from '../../ui/layout';
import { jsonSchemaOf } from '../json-schema';
import { REST_V1_ROUTES } from './route-table';

function Annotations(props: { action: Action }) {
  const a = props.action.annotations;
  const tags = [
    a.readOnly ? 'read-only' : 'changes data',
    a.destructive ? 'destructive' : '',
    a.idempotent ? 'idempotent' : '',
  ];
  return <p class="muted">{tags.filter(Boolean).join(' · ')}</p>;
}

function ReferencePage(props: { serviceName: string; origin: string }) {
  const actions = actionsFor('api');
  return (
    <Layout title="API reference" serviceName={props.serviceName}>
      <h1>API reference</h1>
      <p>
        Every call needs <code>Authorization: Bearer &lt;token&gt;</code>: an OAuth access token with the{' '}
        <code>api</code> scope, or a personal access token from <a href="/settings/api">API tokens</a>. Errors
        are <code>{'{ "ok": false, "error": { "code", "message" } }'}</code> with a fitting status. The
        machine-readable description is <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1).
      </p>
      <h2>REST API v1</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Route</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {REST_V1_ROUTES.map((r) => (
            <tr>
              <td>
                <code>
                  {r.method} {r.path}
                </code>
              </td>
              <td>
                <a href={`#${r.action}`}>{r.action}</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Action API v2</h2>
      <p>
        <code>POST {props.origin}/api/v2/&lt;action&gt;</code> with the input as a JSON object; the answer is{' '}
        <code>{'{ "ok": true, "result": … }'}</code>.
      </p>
      <h2>Actions</h2>
      {actions.map((action) => (
        <section id={action.name}>
          <h3>
            <code>{action.name}</code> — {action.title}
          </h3>
          <p>{action.description}</p>
          <Annotations action={action} />
          <details>
            <summary>Input schema</summary>
            <pre>{JSON.stringify(jsonSchemaOf(action.input, 'input'), null, 2)}</pre>
          </details>
          <details>
            <summary>Output schema</summary>
            <pre>{JSON.stringify(jsonSchemaOf(action.output, 'output'), null, 2)}</pre>
          </details>
        </section>
      ))}
    </Layout>
  );
}

/** `GET /docs/api`: the readable API reference, generated from the same registry as the APIs. */
export function referencePageRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  if (REST_V1_ROUTES.some((r) => !findAction(r.action))) throw new TypeError('REST route without action');
  app.get('/docs/api', function apiReference(c) {
    return c.html(<ReferencePage serviceName={c.get('config').serviceName} origin={publicOrigin(c)} />);
  });
  return app;
}
