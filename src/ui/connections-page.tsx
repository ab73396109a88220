import type { User } from '../accounts/users';
import type { Connection } from '../gateway/connection-store';
import type { Upstream } from '../gateway/upstreams';
import { formatTime } from './format';
import { CsrfField, Layout, Notice } from './layout';

interface Base {
  serviceName: string;
  csrfToken: string;
  user: User;
  error?: string | undefined;
  notice?: string | undefined;
}

export interface ConnectionView {
  upstream: Upstream;
  connection: Connection | null;
}

function needsConnecting(upstream: Upstream): boolean {
  return upstream.auth.type === 'oauth' || upstream.auth.type === 'api_key_per_user';
}

function StatusCell(props: ConnectionView) {
  const { upstream, connection } = props;
  if (!needsConnecting(upstream)) {
    return <span>{upstream.auth.type === 'none' ? 'Open to everyone' : 'Connected by the operator'}</span>;
  }
  if (!connection) return <span>Not connected</span>;
  if (connection.status === 'needs_reconnect') return <strong class="badge warn">Needs reconnecting</strong>;
  return <span>Connected{connection.accountLabel ? <> as {connection.accountLabel}</> : null}</span>;
}

function Actions(props: ConnectionView & { csrfToken: string }) {
  const { upstream, connection } = props;
  if (!needsConnecting(upstream)) return null;
  return (
    <>
      {!connection || connection.status === 'needs_reconnect' ? (
        <a
          class="button"
          href={`/settings/connections/${upstream.id}`}
          aria-label={`Connect ${upstream.name}`}
        >
          {connection ? 'Reconnect' : 'Connect'}
        </a>
      ) : null}
      {connection ? (
        <form method="post" action={`/settings/connections/${upstream.id}/disconnect`} class="inline">
          <CsrfField token={props.csrfToken} />
          <button type="submit" class="danger" aria-label={`Disconnect ${upstream.name}`}>
            Disconnect
          </button>
        </form>
      ) : null}
    </>
  );
}

export function ConnectionsPage(props: Base & { views: ConnectionView[]; mcpUrl: string }) {
  return (
    <Layout
      title="Connections"
      serviceName={props.serviceName}
      signedInAs={props.user.email}
      csrfToken={props.csrfToken}
    >
      <h1>Connections</h1>
      <p>
        The MCP servers behind <code>{props.mcpUrl}</code>. Connect each one with your own account there: your
        MCP clients then reach its tools through this one URL, and never see your credentials for it.
      </p>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {props.views.length === 0 ? (
        <p>No servers have been set up by the operator yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">Tools as</th>
              <th scope="col">Status</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.views.map((v) => (
              <tr>
                <td>
                  {v.upstream.name}
                  <div class="muted">{new URL(v.upstream.url).host}</div>
                </td>
                <td>
                  <code>{v.upstream.prefix ? `${v.upstream.prefix}__…` : 'unprefixed'}</code>
                </td>
                <td>
                  <StatusCell {...v} />
                </td>
                <td>{formatTime(v.connection?.lastUsedAt ?? null, 'Never')}</td>
                <td>
                  <Actions {...v} csrfToken={props.csrfToken} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** One upstream: what connecting means, and the button (OAuth) or the key field (per-person key). */
export function ConnectPage(props: Base & ConnectionView & { returnTo: string }) {
  const { upstream, connection } = props;
  const host = new URL(upstream.url).host;
  const connected = connection?.status === 'connected';
  return (
    <Layout
      title={`Connect ${upstream.name}`}
      serviceName={props.serviceName}
      signedInAs={props.user.email}
      csrfToken={props.csrfToken}
      narrow
    >
      <h1>Connect {upstream.name}</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {connected ? (
        <Notice kind="success">
          {upstream.name} is connected{connection?.accountLabel ? ` as ${connection.accountLabel}` : ''}. Go
          back to your MCP client and try again.
        </Notice>
      ) : null}
      <p>
        {upstream.name} (<code>{host}</code>) is an MCP server behind {props.serviceName}. Connecting lets the
        apps you connect to {props.serviceName} use its tools as you. {props.serviceName} keeps your
        credential for it encrypted and never gives it to those apps.
      </p>
      {upstream.auth.type === 'oauth' ? (
        <form method="post" action={`/settings/connections/${upstream.id}/connect`} class="stack">
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="return_to" value={props.returnTo} />
          <p class="help">You will sign in at {host} and choose what to allow, then come back here.</p>
          <button type="submit">{connected ? 'Reconnect' : `Continue to ${host}`}</button>
        </form>
      ) : upstream.auth.type === 'api_key_per_user' ? (
        <form method="post" action={`/settings/connections/${upstream.id}/connect`} class="stack">
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="return_to" value={props.returnTo} />
          <label for="api-key">Your API key for {upstream.name}</label>
          <input
            id="api-key"
            name="api_key"
            type="password"
            autocomplete="off"
            required
            maxlength={4096}
            aria-describedby="api-key-help"
          />
          <p id="api-key-help" class="help">
            Create one in your {upstream.name} account settings. It is stored encrypted and sent only to{' '}
            {host}.
          </p>
          <button type="submit">{connected ? 'Replace key' : 'Connect'}</button>
        </form>
      ) : (
        <p>This server needs no connection of your own.</p>
      )}
      <p>
        <a href="/settings/connections">All connections</a>
      </p>
    </Layout>
  );
}
