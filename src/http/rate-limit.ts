import { AppError } from './errors';

/**
 * Asks a Workers rate-limit binding about `key`; throws 429 `rate_limited` with `Retry-After` when the
 * key is over its limit. A failing binding lets the request through (it is a brake, not a lock) and
 * never fails sign-in for everyone.
 */
export async function enforceRateLimit(binding: RateLimit | undefined, key: string): Promise<void> {
  if (!binding) return;
  let outcome: RateLimitOutcome;
  try {
    outcome = await binding.limit({ key });
  } catch {
    return;
  }
  if (!outcome.success) {
    throw new AppError('rate_limited', 'Too many attempts. Wait a minute and try again.', {
      headers: { 'Retry-After': '60' },
    });
  }
}
