import { z } from 'zod';
import { findUserById } from '../accounts/users';
import { AppError } from '../http/errors';
import { defineAction } from './action';

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
    // Read on every call, never remembered: an email confirmed a moment ago shows at once.
    const user = await findUserById(ctx.db, principal.userId);
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
