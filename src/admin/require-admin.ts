import type { SessionState } from '../accounts/sessions';
import type { AppContext } from '../http/context';
import { AppError } from '../http/errors';
import { sessionOrRedirect } from '../settings/require-session';

/**
 * The signed-in session of an operator: an account whose email is verified and listed in
 * `ADMIN_EMAILS`. Anyone else gets the same 404 as an unknown page, so the admin pages are not
 * advertised; a signed-out visitor is sent to sign in first (returns that redirect).
 */
export async function adminOrRedirect(c: AppContext): Promise<SessionState | Response> {
  const session = await sessionOrRedirect(c);
  if (session instanceof Response) return session;
  const admins = c.get('config').adminEmails;
  if (!session.user.emailVerified || !admins.includes(session.user.email.toLowerCase())) {
    throw new AppError('not_found', 'There is no such page.');
  }
  return session;
}
