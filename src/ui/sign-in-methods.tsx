import { formatTime } from './format';
import { CsrfField } from './layout';
import type { ProviderChoice } from './provider-buttons';

export interface LinkedIdentityView {
  providerId: string;
  providerName: string;
  email: string;
  createdAt: number;
  lastUsedAt: number;
}

/**
 * "Ways to sign in" on /settings/account: the password (or its absence), each linked identity with
 * an Unlink button — except the last way to sign in, which cannot be removed — and a Link button per
 * provider not linked yet. Renders nothing when the operator configured no providers and the
 * account has no identities.
 */
export function SignInMethods(props: {
  csrfToken: string;
  hasPassword: boolean;
  identities: readonly LinkedIdentityView[];
  linkable: readonly ProviderChoice[];
}) {
  if (props.identities.length === 0 && props.linkable.length === 0) return null;
  const canUnlink = props.hasPassword || props.identities.length > 1;
  return (
    <section aria-labelledby="methods-heading">
      <h2 id="methods-heading">Ways to sign in</h2>
      <table>
        <caption class="visually-hidden">Password and linked providers</caption>
        <thead>
          <tr>
            <th scope="col">Method</th>
            <th scope="col">Account at the provider</th>
            <th scope="col">Linked</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>Password</td>
            <td>{props.hasPassword ? '—' : 'No password set'}</td>
            <td>—</td>
            <td>—</td>
            <td>{props.hasPassword ? null : <a href="/forgot-password">Set a password by email</a>}</td>
          </tr>
          {props.identities.map((i) => (
            <tr>
              <td>{i.providerName}</td>
              <td>{i.email || '—'}</td>
              <td>{formatTime(i.createdAt)}</td>
              <td>{formatTime(i.lastUsedAt)}</td>
              <td>
                {canUnlink ? (
                  <form method="post" action={`/settings/identities/${i.providerId}/unlink`} class="inline">
                    <CsrfField token={props.csrfToken} />
                    <button type="submit" class="secondary" aria-label={`Unlink ${i.providerName}`}>
                      Unlink
                    </button>
                  </form>
                ) : (
                  <span class="muted">Your only way to sign in</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.linkable.length > 0 ? (
        <div class="actions">
          {props.linkable.map((p) => (
            <form method="post" action={`/auth/${p.id}/start`} class="inline">
              <CsrfField token={props.csrfToken} />
              <input type="hidden" name="intent" value="link" />
              <button type="submit" class="secondary">
                Link {p.name}
              </button>
            </form>
          ))}
        </div>
      ) : null}
      <p class="help">
        A provider can be linked only when it confirms this account’s email address as verified.
      </p>
    </section>
  );
}
