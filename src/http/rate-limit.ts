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

/**
 * The brake on password guessing (sign-in, and the password checks in settings). Per address and
 * account, RL_SIGNIN (10 a minute); per account from every address together, RL_SIGNIN_ACCOUNT, a
 * ceiling ten times higher. A stranger's wrong guesses use up only their own address's allowance
 * for the account, so the owner, from theirs, can still sign in; a distributed attacker is held to
 * the ceiling. Per address alone, RL_SIGNIN also caps guesses across accounts.
 */
export async function enforcePasswordGuessLimits(
  env: { RL_SIGNIN?: RateLimit; RL_SIGNIN_ACCOUNT?: RateLimit },
  ip: string,
  account: string,
): Promise<void> {
  await enforceRateLimit(env.RL_SIGNIN, `ip:${ip}`);
  await enforceRateLimit(env.RL_SIGNIN, `account-ip:${account} ${ip}`);
  await enforceRateLimit(env.RL_SIGNIN_ACCOUNT, `account:${account}`);
}
