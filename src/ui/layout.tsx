import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../accounts/passwords';

export interface LayoutProps {
  title: string;
  serviceName: string;
  /** The signed-in person's email, shown in the header with a sign-out button. */
  signedInAs?: string | undefined;
  csrfToken?: string | undefined;
  children?: Child;
  /** Narrow pages (sign-in forms, consent) are centred in a card. */
  narrow?: boolean;
}

/** The one shared page frame: header, main landmark, footer. Styles and scripts come from /assets. */
export function Layout(props: LayoutProps) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{`${props.title} · ${props.serviceName}`}</title>
          <link rel="icon" href="/assets/icon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/assets/app.css" />
          <script src="/assets/app.js" defer />
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="site">
            <a class="brand" href="/">
              {props.serviceName}
            </a>
            {props.signedInAs ? (
              <nav aria-label="Account">
                <a href="/settings/api">API tokens</a>
                <a href="/settings/apps">Apps</a>
                <a href="/settings/connections">Connections</a>
                <a href="/settings/security">Security</a>
                <a href="/settings/account">Account</a>
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="csrf_token" value={props.csrfToken ?? ''} />
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              </nav>
            ) : (
              <nav aria-label="Account">
                <a href="/login">Sign in</a>
                <a href="/signup">Create account</a>
              </nav>
            )}
          </header>
          <main id="main" class={props.narrow ? 'narrow' : 'wide'}>
            {props.children}
          </main>
          <footer class="site">
            <p>{props.serviceName} — an MCP gateway with its own OAuth 2.1 authorization server.</p>
          </footer>
        </body>
      </html>
    </>
  );
}

/** A status message; `role="alert"` for errors so screen readers announce them. */
export function Notice(props: { kind: 'error' | 'success' | 'info' | 'warning'; children?: Child }) {
  return (
    <div class={`notice ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="csrf_token" value={props.token} />;
}

/**
 * The field where a person chooses a password (sign-up, reset, change): the same label, length rule
 * and autocomplete hint everywhere. `name` stays `password` (the forms' stable contract).
 */
export function NewPasswordField(props: { label: string; help: string }) {
  return (
    <>
      <label for="password">{props.label}</label>
      <input
        id="password"
        name="password"
        type="password"
        autocomplete="new-password"
        required
        minlength={MIN_PASSWORD_LENGTH}
        maxlength={MAX_PASSWORD_LENGTH}
        aria-describedby="password-help"
      />
      <p id="password-help" class="help">
        {props.help}
      </p>
    </>
  );
}
