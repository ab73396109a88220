import type { AppContext } from '../http/context';
import { clientIp } from '../http/context';
import { AppError, OAuthError } from '../http/errors';
import { enforceRateLimit } from '../http/rate-limit';

/** RFC 6749 §5.1: token responses (and anything carrying a credential) are never cached. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/**
 * Per-IP brake for an OAuth endpoint, answered in RFC 6749 shape. The limits (wrangler.toml) are set
 * so a busy multi-user host is not tripped: the SDK's 20/hour on /register is fatal for a hosted
 * service, and Claude's registrations all come from one range (claude-ai-mcp#1043).
 */
export async function enforceOAuthRateLimit(c: AppContext, binding: RateLimit | undefined): Promise<void> {
  try {
    await enforceRateLimit(binding, `ip:${clientIp(c)}`);
  } catch (err) {
    if (err instanceof AppError && err.code === 'rate_limited') {
      throw new OAuthError('temporarily_unavailable', 'Too many requests. Retry in a minute.', 429, {
        'Retry-After': '60',
      });
    }
    throw err;
  }
}
