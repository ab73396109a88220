import type { User } from '../accounts/users';
import { CsrfField, Layout, NewPasswordField, Notice } from './layout';
import type { ProviderChoice } from './provider-buttons';
import { type LinkedIdentityView, SignInMethods } from './sign-in-methods';

export const DELETE_CONFIRMATION = 'delete my account';

export function AccountSettingsPage(props: {
  serviceName: string;
  csrfToken: string;
  user: User;
  error?: string | undefined;
  notice?: string | undefined;
  signInMethods?: {
    hasPassword: boolean;
    identities: readonly LinkedIdentityView[];
    linkable: readonly ProviderChoice[];
  };
}) {
  const noPassword = props.signInMethods?.hasPassword === false;
  return (
    <Layout
      title="Account"
      serviceName={props.serviceName}
      signedInAs={props.user.email}
      csrfToken={props.csrfToken}
    >
      <h1>Account</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {props.signInMethods ? <SignInMethods csrfToken={props.csrfToken} {...props.signInMethods} /> : null}
      <h2 id="password-heading">{noPassword ? 'Password' : 'Change your password'}</h2>
      {noPassword ? (
        <p>
          You sign in through a provider and have no password. <a href="/forgot-password">Set one by email</a>{' '}
          to sign in with it too.
        </p>
      ) : (
        <form
          method="post"
          action="/settings/account/password"
          class="stack"
          aria-labelledby="password-heading"
        >
          <CsrfField token={props.csrfToken} />
          <label for="current-password">Current password</label>
          <input
            id="current-password"
            name="current_password"
            type="password"
            autocomplete="current-password"
            required
            maxlength={256}
          />
          <NewPasswordField
            label="New password"
            help="At least 10 characters. Other devices are signed out, and every personal access token and connected app is revoked."
          />
          <button type="submit">Change password</button>
        </form>
      )}
      <h2 id="everywhere-heading">Sign out everywhere</h2>
      <form
        method="post"
        action="/settings/sign-out-everywhere"
        class="stack"
        aria-labelledby="everywhere-heading"
      >
        <CsrfField token={props.csrfToken} />
        <p>Ends every session, including this one, and disconnects every app you approved.</p>
        <button type="submit" class="secondary">
          Sign out everywhere
        </button>
      </form>
      <h2 id="delete-heading">Delete your account</h2>
      {noPassword ? (
        <p>Deleting the account asks for its password: set one by email first.</p>
      ) : (
        <form method="post" action="/settings/account/delete" class="stack" aria-labelledby="delete-heading">
          <CsrfField token={props.csrfToken} />
          <p>This removes your account, projects, tasks, tokens and apps. It cannot be undone.</p>
          <label for="delete-password">Password</label>
          <input
            id="delete-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            maxlength={256}
          />
          <label for="delete-confirm">Type “{DELETE_CONFIRMATION}” to confirm</label>
          <input id="delete-confirm" name="confirm" type="text" required autocomplete="off" />
          <button type="submit" class="danger">
            Delete account
          </button>
        </form>
      )}
    </Layout>
  );
}
