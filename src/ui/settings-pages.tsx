import type { User } from '../accounts/users';
import type { PersonalAccessTokenRecord } from '../tokens/pat-store';
import { formatTime } from './format';
import { CsrfField, Layout, Notice } from './layout';

interface Base {
  serviceName: string;
  csrfToken: string;
  user: User;
}

export function ApiTokensPage(
  props: Base & {
    tokens: PersonalAccessTokenRecord[];
    max: number;
    created?: { token: string; name: string } | undefined;
    error?: string | undefined;
    notice?: string | undefined;
    origin: string;
  },
) {
  const { user } = props;
  const full = props.tokens.length >= props.max;
  return (
    <Layout
      title="API tokens"
      serviceName={props.serviceName}
      signedInAs={user.email}
      csrfToken={props.csrfToken}
    >
      <h1>Personal access tokens</h1>
      <p>
        Use a personal access token for scripts, the REST API, the Action API and the MCP server:{' '}
        <code>Authorization: Bearer tskdp_…</code>. You can hold up to {props.max} active tokens.
      </p>
      <Notice kind="warning">
        A personal access token grants <strong>full access to your account</strong>. Treat it like a password:
        never commit it to version control or share it; keep it in an environment variable or a secret
        manager.
      </Notice>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {props.created ? (
        <section aria-labelledby="new-token-heading" class="created">
          <h2 id="new-token-heading">Your new token “{props.created.name}”</h2>
          <Notice kind="info">Copy it now. It is shown only once and cannot be shown again.</Notice>
          <div class="secret">
            <label for="new-token" class="visually-hidden">
              New token
            </label>
            <input
              id="new-token"
              type="text"
              readonly
              value={props.created.token}
              aria-describedby="new-token-heading"
            />
            <button type="button" class="secondary" data-copy="new-token">
              Copy
            </button>
          </div>
          <pre>{`curl -H "Authorization: Bearer ${props.created.token}" \\\n     ${props.origin}/api/v1/me/projects`}</pre>
        </section>
      ) : null}
      <h2 id="create-heading">Create a token</h2>
      {user.emailVerified ? (
        full ? (
          <p>
            You have {props.max} active tokens, the most an account can hold. Revoke one to create another.
          </p>
        ) : (
          <form method="post" action="/settings/api/tokens" class="stack" aria-labelledby="create-heading">
            <CsrfField token={props.csrfToken} />
            <label for="token-name">Name</label>
            <input
              id="token-name"
              name="name"
              type="text"
              required
              maxlength={64}
              aria-describedby="token-name-help"
            />
            <p id="token-name-help" class="help">
              What it is for, e.g. “nightly export”.
            </p>
            <label for="token-expiry">Expires</label>
            <select id="token-expiry" name="expires_in_days">
              <option value="never">Never</option>
              <option value="30">In 30 days</option>
              <option value="90">In 90 days</option>
            </select>
            <button type="submit">Create token</button>
          </form>
        )
      ) : (
        <>
          <Notice kind="info">
            Confirm your email address before creating a token. We sent you a link when you signed up.
          </Notice>
          <form method="post" action="/verify-email/resend">
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="secondary">
              Send the confirmation link again
            </button>
          </form>
        </>
      )}
      <h2 id="list-heading">Active tokens</h2>
      {props.tokens.length === 0 ? (
        <p>No active tokens.</p>
      ) : (
        <table aria-labelledby="list-heading">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Token</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.tokens.map((t) => (
              <tr>
                <td>{t.name}</td>
                <td>
                  <code>{t.hint}</code>
                </td>
                <td>{formatTime(t.createdAt)}</td>
                <td>{formatTime(t.lastUsedAt, 'Never')}</td>
                <td>{formatTime(t.expiresAt, 'Never')}</td>
                <td>
                  <form method="post" action={`/settings/api/tokens/${t.id}/revoke`} class="inline">
                    <CsrfField token={props.csrfToken} />
                    <button type="submit" class="danger" aria-label={`Revoke token ${t.name}`}>
                      Revoke
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export interface AuditRow {
  kind: string;
  ip: string;
  userAgent: string;
  detail: Record<string, unknown>;
  createdAt: number;
}

const EVENT_NAMES: Record<string, string> = {
  signup: 'Account created',
  signin: 'Signed in',
  signin_failed: 'Failed sign-in',
  signout: 'Signed out',
  email_verified: 'Email confirmed',
  password_reset_requested: 'Password reset requested',
  password_changed: 'Password changed',
  token_created: 'Token created',
  token_revoked: 'Token revoked',
  app_created: 'OAuth app registered',
  app_updated: 'OAuth app changed',
  app_deleted: 'OAuth app deleted',
  app_secret_rotated: 'OAuth app secret rotated',
  app_connected: 'App connected',
  app_revoked: 'App disconnected',
  signed_out_everywhere: 'Signed out everywhere',
  account_deleted: 'Account deleted',
  upstream_connected: 'Server connected',
  upstream_disconnected: 'Server disconnected',
  upstream_added: 'Upstream server added',
  upstream_removed: 'Upstream server removed',
  identity_linked: 'Sign-in provider linked',
  identity_link_requested: 'Provider link requested by mail',
  identity_unlinked: 'Sign-in provider unlinked',
};

function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ');
}

export function SecurityLogPage(props: Base & { events: AuditRow[] }) {
  return (
    <Layout
      title="Security log"
      serviceName={props.serviceName}
      signedInAs={props.user.email}
      csrfToken={props.csrfToken}
    >
      <h1>Security log</h1>
      <p>Sign-ins, tokens and apps on your account over the last 90 days, newest first.</p>
      {props.events.length === 0 ? (
        <p>No events yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Details</th>
              <th scope="col">IP address</th>
              <th scope="col">Device</th>
            </tr>
          </thead>
          <tbody>
            {props.events.map((e) => (
              <tr>
                <td>{formatTime(e.createdAt)}</td>
                <td>{EVENT_NAMES[e.kind] ?? e.kind}</td>
                <td>{describeDetail(e.detail)}</td>
                <td>{e.ip}</td>
                <td class="muted">{e.userAgent}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
