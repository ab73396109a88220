import type { User } from '../accounts/users';
import { CsrfField, Layout, NewPasswordField, Notice } from './layout';
import { ProviderButtons, type ProviderChoice } from './provider-buttons';

interface Base {
  serviceName: string;
  csrfToken: string;
}

export function SignupPage(
  props: Base & {
    email?: string;
    error?: string;
    providers?: readonly ProviderChoice[];
    /** False when the operator turned password sign-up off (PASSWORD_SIGNUP=false). */
    passwordSignup?: boolean;
  },
) {
  const passwordSignup = props.passwordSignup ?? true;
  return (
    <Layout title="Create account" serviceName={props.serviceName} narrow>
      <h1>Create your account</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {passwordSignup ? null : <p>Accounts are created by signing in with one of these providers.</p>}
      {passwordSignup ? (
        <form method="post" action="/signup" class="stack">
          <CsrfField token={props.csrfToken} />
          <label for="email">Email</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            required
            maxlength={254}
            value={props.email ?? ''}
          />
          <NewPasswordField label="Password" help="At least 10 characters." />
          <button type="submit">Create account</button>
        </form>
      ) : null}
      <ProviderButtons
        providers={props.providers ?? []}
        csrfToken={props.csrfToken}
        verb="Sign up"
        alternative={passwordSignup}
      />
      <p>
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </Layout>
  );
}

export function LoginPage(
  props: Base & {
    email?: string;
    error?: string;
    notice?: string;
    returnTo: string;
    providers?: readonly ProviderChoice[];
  },
) {
  const action = props.returnTo === '/' ? '/login' : `/login?return_to=${encodeURIComponent(props.returnTo)}`;
  return (
    <Layout title="Sign in" serviceName={props.serviceName} narrow>
      <h1>Sign in</h1>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <form method="post" action={action} class="stack">
        <CsrfField token={props.csrfToken} />
        <label for="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="email"
          required
          maxlength={254}
          value={props.email ?? ''}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          maxlength={256}
        />
        <button type="submit">Sign in</button>
      </form>
      <ProviderButtons
        providers={props.providers ?? []}
        csrfToken={props.csrfToken}
        returnTo={props.returnTo}
        verb="Sign in"
      />
      <p>
        <a href="/forgot-password">Forgot your password?</a>
      </p>
      <p>
        New here? <a href="/signup">Create an account</a>
      </p>
    </Layout>
  );
}

export function LogoutPage(props: Base & { email: string }) {
  return (
    <Layout
      title="Sign out"
      serviceName={props.serviceName}
      signedInAs={props.email}
      csrfToken={props.csrfToken}
      narrow
    >
      <h1>Sign out</h1>
      <p>You are signed in as {props.email}.</p>
      <form method="post" action="/logout">
        <CsrfField token={props.csrfToken} />
        <button type="submit">Sign out</button>
      </form>
    </Layout>
  );
}

export function HomePage(props: Base & { user: User | null; notice?: string; mcpUrl: string }) {
  const { user } = props;
  if (!user) {
    return (
      <Layout title="Welcome" serviceName={props.serviceName} narrow>
        <h1>{props.serviceName}</h1>
        <p>Your tools behind one URL. Paste it into Claude, Cursor, VS Code or ChatGPT and sign in.</p>
        <p class="url">
          <code>{props.mcpUrl}</code>
        </p>
        <p>
          <a class="button" href="/login">
            Sign in
          </a>{' '}
          <a class="button secondary" href="/signup">
            Create account
          </a>
        </p>
      </Layout>
    );
  }
  return (
    <Layout
      title="Your account"
      serviceName={props.serviceName}
      signedInAs={user.email}
      csrfToken={props.csrfToken}
    >
      <h1>Your account</h1>
      {props.notice ? <Notice kind="success">{props.notice}</Notice> : null}
      <dl class="facts">
        <dt>Email</dt>
        <dd>
          {user.email}{' '}
          {user.emailVerified ? (
            <span class="badge ok">verified</span>
          ) : (
            <span class="badge warn">not verified</span>
          )}
        </dd>
        <dt>MCP server URL</dt>
        <dd>
          <code>{props.mcpUrl}</code>
        </dd>
      </dl>
      {user.emailVerified ? null : (
        <section aria-labelledby="verify-heading">
          <h2 id="verify-heading">Confirm your email</h2>
          <p>We sent you a link. Confirming your email lets you create personal access tokens.</p>
          <form method="post" action="/verify-email/resend">
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="secondary">
              Send the link again
            </button>
          </form>
        </section>
      )}
      <section aria-labelledby="next-heading">
        <h2 id="next-heading">Settings</h2>
        <ul>
          <li>
            <a href="/settings/api">Personal access tokens</a> for scripts and the API
          </li>
          <li>
            <a href="/settings/apps">OAuth apps and connected apps</a>
          </li>
          <li>
            <a href="/settings/security">Security log</a>
          </li>
        </ul>
      </section>
    </Layout>
  );
}

export function VerifyEmailPage(
  props: Base & { token: string; valid: boolean; done?: boolean; signedInAs?: string },
) {
  return (
    <Layout
      title="Confirm email"
      serviceName={props.serviceName}
      signedInAs={props.signedInAs}
      csrfToken={props.csrfToken}
      narrow
    >
      <h1>Confirm your email</h1>
      {props.done ? (
        <>
          <Notice kind="success">Your email is confirmed.</Notice>
          <p>
            <a href="/">Continue</a>
          </p>
        </>
      ) : props.valid ? (
        <form method="post" action="/verify-email" class="stack">
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="token" value={props.token} />
          <p>Confirm that this email address belongs to you.</p>
          <button type="submit">Confirm email</button>
        </form>
      ) : (
        <>
          <Notice kind="error">This confirmation link is invalid, expired or already used.</Notice>
          <p>Sign in and ask for a new link from your account page.</p>
        </>
      )}
    </Layout>
  );
}

export function ForgotPasswordPage(props: Base & { sent?: boolean; error?: string }) {
  return (
    <Layout title="Forgot password" serviceName={props.serviceName} narrow>
      <h1>Reset your password</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.sent ? (
        <Notice kind="success">
          If an account exists for that email, we sent a link to reset the password. It is valid for one hour.
        </Notice>
      ) : (
        <form method="post" action="/forgot-password" class="stack">
          <CsrfField token={props.csrfToken} />
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="email" required maxlength={254} />
          <button type="submit">Send reset link</button>
        </form>
      )}
    </Layout>
  );
}

export function ResetPasswordPage(props: Base & { token: string; valid: boolean; error?: string }) {
  return (
    <Layout title="Choose a new password" serviceName={props.serviceName} narrow>
      <h1>Choose a new password</h1>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      {props.valid ? (
        <form method="post" action="/reset-password" class="stack">
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="token" value={props.token} />
          <NewPasswordField
            label="New password"
            help="At least 10 characters. Every device signed in to your account will be signed out."
          />
          <button type="submit">Set new password</button>
        </form>
      ) : (
        <>
          <Notice kind="error">
            This reset link is invalid, expired or already used. Nothing was changed.
          </Notice>
          <p>
            <a href="/forgot-password">Ask for a new link</a>
          </p>
        </>
      )}
    </Layout>
  );
}
