import { z } from 'zod';
import { findUserById, type User } from '../accounts/users';
import { AppError } from '../http/errors';
import { defineAction } from './action';

/**
 * Agents ask "who am I" at the start of most sessions; the account row is remembered per isolate for
 * a few seconds so that answer needs no D1 read each time. An email confirmed meanwhile shows within
 * the TTL; a deleted account's tokens are already revoked.
 */
const ACCOUNT_TTL_SECONDS = 30;
const recentAccounts = new Map<string, { user: User; until: number }>();

async function accountOf(db: D1Database, userId: string, now: number): Promise<User | null> {
  const hit = recentAccounts.get(userId);
  if (hit && hit.until > now) return hit.user;
  const user = await findUserById(db, userId);
  if (recentAccounts.size >= 1000) recentAccounts.clear();
  if (user) recentAccounts.set(userId, { user, until: now + ACCOUNT_TTL_SECONDS });
  else recentAccounts.delete(userId);
  return user;
}

export const whoAmI = defineAction({
  name: 'whoAmI',
  title: 'Who am I',
  description: 'Tells which account and which kind of credential this call is made with.',
  input: z.strictObject({}),
  output: z.object({
    userId: z.string(),
    email: z.string(),
    emailVerified: z.boolean(),
    tokenKind: z.enum(['oauth', 'pat']),
    clientId: z.string().nullable(),
    scopes: z.array(z.string()),
  }),
  annotations: { readOnly: true, destructive: false, idempotent: true },
  async handler(principal, _input, ctx) {
    const user = await accountOf(ctx.db, principal.userId, ctx.now);
    // A valid token for an account that no longer exists: the token is what is wrong.
    if (!user) throw new AppError('invalid_token', 'The account behind this token no longer exists.');
    return {
      userId: user.id,
      email: user.email,
      emailVerified: user.emailVerified,
      tokenKind: principal.kind,
      clientId: principal.clientId ?? null,
      scopes: [...principal.scopes],
    };
  },
});
