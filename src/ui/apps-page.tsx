import type { User } from '../accounts/users';
import type { OAuthClient } from '../oauth/clients';
import type { GrantSummary } from '../oauth/grant-store';
import { formatTime } from './format';
import { CsrfField, Layout, Notice } from './layout';

const GRANT_TYPES: Record<string, string> = {
  dcr: 'Registered itself (dynamic registration)',
  cimd: 'Client ID metadata document',
  app: 'OAuth app',
};

export interface CreatedApp {
  client: OAuthClient;
  clientSecret?: string | undefined;
  /** True when the secret was just rotated rather than the app created. */
  rotated?: boolean;
}

export interface AppsPageProps {
  serviceName: string;
  csrfToken: string;
  user: User;
  origin: string;
  apps: OAuthClient[];
  grants: GrantSummary[];
  created?: CreatedApp | undefined;
  error?: string | undefined;
  notice?: string | undefined;
  /** Values to keep in the create form after an error. */
  form?: { name: string; redirectUris: string; kind: string } | undefined;
}

function exampleAuthorizeUrl(origin: string, app: OAuthClient): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: app.redirectUris[0] ?? '',
    scope: 'mcp api',
    state: 'RANDOM_STATE',
    code_challenge: 'CODE_CHALLENGE',
    code_challenge_method: 'S256',
  });
  return `${origin}/oauth2/authorize?${params.toString()}`;
}

function Endpoints(props: { origin: string; app: OAuthClient; id: string }) {
  const { origin, app } = props;
  return (
    <details>
      <summary>Endpoints and an example authorization request</summary>
      <dl class="facts">
        <dt>Authorization</dt>
        <dd>
          <code>{origin}/oauth2/authorize</code>
        </dd>
        <dt>Token / refresh</dt>
        <dd>
          <code>{origin}/oauth2/token</code>
        </dd>
        <dt>Revocation</dt>
        <dd>
          <code>{origin}/oauth2/revoke</code>
        </dd>
        <dt>Metadata</dt>
        <dd>
          <code>{origin}/.well-known/oauth-authorization-server</code>
        </dd>
      </dl>
      <p>Generate a PKCE pair, then send the person to this URL (replace the placeholders):</p>
      <div class="secret">
        <label for={`${props.id}-url`} class="visually-hidden">
          Example authorize URL
        </label>
        <input id={`${props.id}-url`} type="text" readonly value={exampleAuthorizeUrl(origin, app)} />
        <button type="button" class="secondary" data-copy={`${props.id}-url`}>
          Copy
        </button>
      </div>
      <pre>{`code_verifier=$(openssl rand -base64 96 | tr -d '\\n=+/' | cut -c1-64)
code_challenge=$(printf '%s' "$code_verifier" | openssl dgst -binary -sha256 \\
  | openssl base64 | tr -d '=\\n' | tr '+/' '-_')`}</pre>
    </details>
  );
}

export function AppsPage(props: AppsPageProps) {
  const { created } = props;
  return (
    <Layout
      title="Apps"
      serviceName={props.serviceName}
      signedInAs={props.user.email}
      csrfToken={props.csrfToken}
    >
      <h1>Apps</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}

      <h2 id="connected-heading">Connected apps</h2>
      <p>Applications you allowed to use your account. Disconnecting one ends its access at once.</p>
      {props.grants.length === 0 ? (
        <p>No connected apps.</p>
      ) : (
        <table aria-labelledby="connected-heading">
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Kind</th>
              <th scope="col">Access</th>
              <th scope="col">Connected</th>
              <th scope="col">First used</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.grants.map((g) => (
              <tr>
                <td>
                  {g.clientName}
                  <br />
                  <span class="muted">{g.redirectUri}</span>
                </td>
                <td>{GRANT_TYPES[g.registrationType] ?? g.registrationType}</td>
                <td>{g.scope}</td>
                <td>{formatTime(g.createdAt)}</td>
                <td>{formatTime(g.firstUsedAt, 'Never')}</td>
                <td>{formatTime(g.lastUsedAt, 'Never')}</td>
                <td>
                  <form method="post" action={`/settings/apps/grants/${g.grantId}/revoke`} class="inline">
                    <CsrfField token={props.csrfToken} />
                    <button type="submit" class="danger" aria-label={`Disconnect ${g.clientName}`}>
                      Disconnect
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form method="post" action="/settings/sign-out-everywhere" class="actions">
        <CsrfField token={props.csrfToken} />
        <button type="submit" class="secondary">
          Sign out everywhere and disconnect every app
        </button>
      </form>

      <h2 id="apps-heading">Your OAuth 2.0 apps</h2>
      <p>
        Register an application that other people sign in to with {props.serviceName}. It goes through the
        same consent screen as MCP clients, which shows that you registered it.
      </p>
      {created ? (
        <section aria-labelledby="created-heading" class="created">
          <h3 id="created-heading">
            {created.rotated ? 'New client secret for' : 'Registered'} “{created.client.clientName}”
          </h3>
          <dl class="facts">
            <dt>Client ID</dt>
            <dd>
              <code>{created.client.clientId}</code>
            </dd>
          </dl>
          {created.clientSecret ? (
            <>
              <Notice kind="info">
                Copy the client secret now. It is shown only once and stored only as a hash.
              </Notice>
              <div class="secret">
                <label for="client-secret">Client secret</label>
                <input id="client-secret" type="text" readonly value={created.clientSecret} />
                <button type="button" class="secondary" data-copy="client-secret">
                  Copy
                </button>
              </div>
            </>
          ) : (
            <p>This is a public client: it has no secret and must use PKCE.</p>
          )}
        </section>
      ) : null}
      {props.apps.map((app) => (
        <article class="app" aria-labelledby={`app-${app.clientId}`}>
          <h3 id={`app-${app.clientId}`}>{app.clientName}</h3>
          <dl class="facts">
            <dt>Client ID</dt>
            <dd>
              <code>{app.clientId}</code>
            </dd>
            <dt>Type</dt>
            <dd>
              {app.tokenEndpointAuthMethod === 'none' ? 'Public (PKCE only)' : 'Confidential (client secret)'}
            </dd>
            <dt>Registered</dt>
            <dd>{formatTime(app.createdAt)}</dd>
          </dl>
          <Endpoints origin={props.origin} app={app} id={`ep-${app.clientId}`} />
          <form method="post" action={`/settings/apps/${app.clientId}`} class="stack">
            <CsrfField token={props.csrfToken} />
            <label for={`name-${app.clientId}`}>Name</label>
            <input
              id={`name-${app.clientId}`}
              name="name"
              type="text"
              required
              maxlength={100}
              value={app.clientName}
            />
            <label for={`uris-${app.clientId}`}>Redirect URIs (one per line)</label>
            <textarea id={`uris-${app.clientId}`} name="redirect_uris" required>
              {app.redirectUris.join('\n')}
            </textarea>
            <button type="submit" class="secondary">
              Save changes
            </button>
          </form>
          <div class="actions">
            {app.tokenEndpointAuthMethod === 'none' ? null : (
              <form method="post" action={`/settings/apps/${app.clientId}/rotate-secret`} class="inline">
                <CsrfField token={props.csrfToken} />
                <button type="submit" class="secondary" aria-label={`Rotate secret of ${app.clientName}`}>
                  Rotate secret
                </button>
              </form>
            )}
            <form method="post" action={`/settings/apps/${app.clientId}/delete`} class="inline">
              <CsrfField token={props.csrfToken} />
              <button type="submit" class="danger" aria-label={`Delete app ${app.clientName}`}>
                Delete app
              </button>
            </form>
          </div>
        </article>
      ))}
      <h3 id="new-app-heading">Register a new app</h3>
      <form method="post" action="/settings/apps" class="stack" aria-labelledby="new-app-heading">
        <CsrfField token={props.csrfToken} />
        <label for="app-name">Name</label>
        <input
          id="app-name"
          name="name"
          type="text"
          required
          maxlength={100}
          value={props.form?.name ?? ''}
        />
        <label for="app-redirect-uris">Redirect URIs (one per line)</label>
        <textarea id="app-redirect-uris" name="redirect_uris" required aria-describedby="redirect-help">
          {props.form?.redirectUris ?? ''}
        </textarea>
        <p id="redirect-help" class="help">
          https URLs, http on localhost / 127.0.0.1 / [::1] (any port), or an app scheme such as
          myapp://callback.
        </p>
        <fieldset>
          <legend>Type</legend>
          <label>
            <input type="radio" name="kind" value="confidential" checked={props.form?.kind !== 'public'} />{' '}
            Confidential — a server that can keep a client secret
          </label>
          <label>
            <input type="radio" name="kind" value="public" checked={props.form?.kind === 'public'} /> Public —
            a mobile, desktop or browser app (PKCE only)
          </label>
        </fieldset>
        <button type="submit">Register app</button>
      </form>
    </Layout>
  );
}
