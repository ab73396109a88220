import type { User } from '../accounts/users';
import type { Upstream } from '../gateway/upstreams';
import { CsrfField, Layout, Notice } from './layout';

export interface AdminUpstreamsProps {
  serviceName: string;
  csrfToken: string;
  user: User;
  upstreams: readonly Upstream[];
  /** How many people have connected each upstream. */
  connected: Record<string, number>;
  error?: string | undefined;
  notice?: string | undefined;
  /** The form's values after a refused submission, so nothing typed is lost. */
  values?: Record<string, string> | undefined;
}

const AUTH_LABELS: Record<Upstream['auth']['type'], string> = {
  none: 'None',
  oauth: 'OAuth (each person signs in)',
  api_key_per_user: 'API key per person',
  api_key_shared: 'Shared API key (weaker)',
};

function Field(props: {
  id: string;
  label: string;
  help?: string;
  value?: string | undefined;
  type?: string;
  required?: boolean;
  placeholder?: string;
}) {
  return (
    <>
      <label for={`f-${props.id}`}>{props.label}</label>
      <input
        id={`f-${props.id}`}
        name={props.id}
        type={props.type ?? 'text'}
        value={props.type === 'password' ? '' : (props.value ?? '')}
        required={props.required}
        placeholder={props.placeholder}
        autocomplete="off"
        aria-describedby={props.help ? `f-${props.id}-help` : undefined}
      />
      {props.help ? (
        <p id={`f-${props.id}-help`} class="help">
          {props.help}
        </p>
      ) : null}
    </>
  );
}

export function AdminUpstreamsPage(props: AdminUpstreamsProps) {
  const v = props.values ?? {};
  return (
    <Layout
      title="Upstream servers"
      serviceName={props.serviceName}
      signedInAs={props.user.email}
      csrfToken={props.csrfToken}
    >
      <h1>Upstream servers</h1>
      <p>
        The MCP servers people reach through this gateway's <code>/mcp</code>. Servers from the{' '}
        <code>GATEHOUSE_UPSTREAMS</code> configuration are listed but can only be changed there.
      </p>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {props.upstreams.length === 0 ? (
        <p>No upstream servers yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">Prefix</th>
              <th scope="col">Authentication</th>
              <th scope="col">People connected</th>
              <th scope="col">From</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.upstreams.map((u) => (
              <tr>
                <td>
                  {u.name} <span class="muted">({u.id})</span>
                  <div class="muted">{u.url}</div>
                </td>
                <td>
                  <code>{u.prefix === '' ? '(none)' : u.prefix}</code>
                </td>
                <td>{AUTH_LABELS[u.auth.type]}</td>
                <td>{props.connected[u.id] ?? 0}</td>
                <td>{u.source === 'config' ? 'Configuration' : 'This page'}</td>
                <td>
                  {u.source === 'admin' ? (
                    <form method="post" action={`/admin/upstreams/${u.id}/delete`} class="inline">
                      <CsrfField token={props.csrfToken} />
                      <button type="submit" class="danger" aria-label={`Remove ${u.name}`}>
                        Remove
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 id="add-heading">Add a server</h2>
      <form method="post" action="/admin/upstreams" class="stack" aria-labelledby="add-heading">
        <CsrfField token={props.csrfToken} />
        <Field
          id="id"
          label="Id"
          required
          value={v.id}
          help="Lower-case letters, digits and -, e.g. linear."
        />
        <Field id="name" label="Name" required value={v.name} help="Shown to people, e.g. Linear." />
        <Field
          id="url"
          label="MCP URL"
          required
          value={v.url}
          placeholder="https://mcp.example.com/mcp"
          help="Streamable HTTP, https to a public host."
        />
        <Field
          id="prefix"
          label="Tool prefix"
          value={v.prefix}
          help="Tools appear as <prefix>__<tool>. Leave empty to keep the server's names (only one server may)."
        />
        <label for="f-auth_type">Authentication</label>
        <select id="f-auth_type" name="auth_type">
          {Object.entries(AUTH_LABELS).map(([value, label]) => (
            <option value={value} selected={v.auth_type === value}>
              {label}
            </option>
          ))}
        </select>
        <Field
          id="header"
          label="Key header"
          value={v.header}
          help="For API keys: the header that carries the key (default Authorization)."
        />
        <Field
          id="scheme"
          label="Key scheme"
          value={v.scheme}
          help="For API keys: a scheme before the key, e.g. Bearer (optional)."
        />
        <Field
          id="client_id"
          label="OAuth client id"
          value={v.client_id}
          help="For OAuth: only if you registered Gatehouse at the server yourself."
        />
        <Field
          id="secret"
          label="Client secret or shared key"
          type="password"
          help="Stored encrypted. The OAuth client secret, or the shared key."
        />
        <Field
          id="timeout_seconds"
          label="Timeout (seconds)"
          value={v.timeout_seconds}
          help="How long a call may take (default 30)."
        />
        <button type="submit">Add server</button>
      </form>
    </Layout>
  );
}
