import { getCookie, setCookie } from 'hono/cookie';
import { loadSession } from '../accounts/sessions';
import { hmacBase64url, newSecret, timingSafeEqual } from '../tokens/secrets';
import type { FormBody } from './body';
import type { AppContext } from './context';
import { AppError } from './errors';

/** Before sign-in, forms are protected by a signed double-submit cookie. */
export const PRE_SESSION_COOKIE = '__Host-gh_csrf';

async function expectedToken(c: AppContext, create: boolean): Promise<string | undefined> {
  const secret = c.get('config').sessionSecret;
  const session = await loadSession(c);
  if (session) return hmacBase64url(secret, `session:${session.idHash}`);
  let seed = getCookie(c, PRE_SESSION_COOKIE);
  if (!seed || seed.length > 128) {
    if (!create) return undefined;
    seed = newSecret();
    setCookie(c, PRE_SESSION_COOKIE, seed, { path: '/', secure: true, httpOnly: true, sameSite: 'Lax' });
  }
  return hmacBase64url(secret, `pre:${seed}`);
}

/**
 * The CSRF token to embed in a form: bound to the session when signed in, else to a random
 * pre-session cookie (set here if missing).
 */
export async function csrfToken(c: AppContext): Promise<string> {
  return (await expectedToken(c, true))!;
}

/** Throws 403 `csrf_failed` unless the form's `csrf_token` matches this browser's token. */
export async function requireCsrf(c: AppContext, form: FormBody): Promise<void> {
  const sent = form.get('csrf_token');
  const expected = await expectedToken(c, false);
  if (!sent || !expected || form.duplicated.includes('csrf_token') || !timingSafeEqual(sent, expected)) {
    throw new AppError(
      'csrf_failed',
      'This form has expired or did not come from this site. Reload the page and try again.',
    );
  }
}

/** For JSON endpoints used from a signed-in page: the token travels in `X-CSRF-Token`. */
export async function requireCsrfHeader(c: AppContext): Promise<void> {
  const sent = c.req.header('x-csrf-token');
  const expected = await expectedToken(c, false);
  if (!sent || !expected || !timingSafeEqual(sent, expected)) {
    throw new AppError('csrf_failed', 'Missing or invalid CSRF token.');
  }
}
