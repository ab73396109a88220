import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context';

/**
 * `form-action` is deliberately absent: the consent form posts to us and we answer with a redirect to
 * the client's redirect URI, which Chromium would block under `form-action 'self'`.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Adds the security headers every response carries; HSTS only when served over https. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async function securityHeaders(c, next) {
    await next();
    const h = c.res.headers;
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', CSP);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('X-Frame-Options', 'DENY');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (c.req.url.startsWith('https:')) {
      h.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    }
  };
}
