import { loadSession, type SessionState } from '../accounts/sessions';
import type { AppContext } from '../http/context';
import { AppError } from '../http/errors';

/**
 * The signed-in session for a settings page; a signed-out person is sent to sign in and brought back.
 * Returns a Response (the redirect) when there is no session.
 */
export async function sessionOrRedirect(c: AppContext): Promise<SessionState | Response> {
  const session = await loadSession(c);
  if (session) return session;
  const url = new URL(c.req.url);
  return c.redirect(`/login?return_to=${encodeURIComponent(url.pathname + url.search)}`, 303);
}

/** For JSON settings endpoints: a session is required, 401 otherwise. */
export async function requireSession(c: AppContext): Promise<SessionState> {
  const session = await loadSession(c);
  if (!session) throw new AppError('unauthorized', 'Sign in to manage your account.');
  return session;
}
