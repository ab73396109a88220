import { newSecret, sha256Hex } from '../tokens/secrets';
import { andGuard, type BatchGuard } from './batch-guard';

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

export const EMAIL_TOKEN_TTL: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * 3600,
  reset_password: 3600,
};

/** Issues a single-use link token; only its hash is stored. */
export async function issueEmailToken(
  db: D1Database,
  purpose: EmailTokenPurpose,
  userId: string,
  email: string,
  now: number,
): Promise<string> {
  const token = newSecret();
  await db
    .prepare(
      'INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .bind(await sha256Hex(token), userId, purpose, email, now, now + EMAIL_TOKEN_TTL[purpose])
    .run();
  return token;
}

export interface UsableEmailToken {
  userId: string;
  email: string;
}

/** Reads (without consuming) whether a token is currently usable; for showing the confirm/reset form. */
export async function peekEmailToken(
  db: D1Database,
  purpose: EmailTokenPurpose,
  token: string,
  now: number,
): Promise<UsableEmailToken | null> {
  const row = await db
    .prepare(
      'SELECT user_id, email FROM email_tokens WHERE token_hash = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ?',
    )
    .bind(await sha256Hex(token), purpose, now)
    .first<{ user_id: string; email: string }>();
  return row ? { userId: row.user_id, email: row.email } : null;
}

/**
 * Consumes a single-use token and applies its effects in ONE D1 batch (one transaction).
 *
 * The batch starts with an atomic `UPDATE … WHERE consumed_at IS NULL` that stamps a fresh random
 * nonce; every effect statement must AND the given guard into its WHERE clause, so it runs only if
 * this very request consumed the token. Two parallel uses: exactly one wins, the other changes
 * nothing. A failing batch rolls back, consumption included, so a link is never burned without its
 * effect. Returns the token's user and email when this request consumed it, else null (unknown,
 * expired, already used, or lost a race), with the batch results of the effects, in order.
 *
 * It does not check anything about the user beyond what the token row says.
 */
export async function consumeEmailToken(
  db: D1Database,
  purpose: EmailTokenPurpose,
  token: string,
  now: number,
  effects: (token: UsableEmailToken, guard: BatchGuard) => D1PreparedStatement[],
): Promise<(UsableEmailToken & { effects: D1Result[] }) | null> {
  // The row's user and email never change after issue, so reading them first is safe; the read
  // decides nothing — the conditional UPDATE in the batch does.
  const usable = await peekEmailToken(db, purpose, token, now);
  if (!usable) return null;
  const tokenHash = await sha256Hex(token);
  const nonce = newSecret();
  const consume = db
    .prepare(
      `UPDATE email_tokens SET consumed_at = ?, consumed_nonce = ?
       WHERE token_hash = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ?
       RETURNING user_id`,
    )
    .bind(now, nonce, tokenHash, purpose, now);
  const guard: BatchGuard = {
    sql: 'EXISTS (SELECT 1 FROM email_tokens WHERE token_hash = ? AND consumed_nonce = ?)',
    args: [tokenHash, nonce],
  };
  const [consumed, ...results] = await db.batch([consume, ...effects(usable, guard)]);
  return consumed && consumed.results.length === 1 ? { ...usable, effects: results } : null;
}

/**
 * Ends every reset link of the account still outstanding (a reset or a password change makes them
 * all stale: OWASP Forgot Password cheat sheet), as one statement for the batch that changes the
 * password; with a `guard`, only if it holds.
 */
export function endResetLinksStatement(
  db: D1Database,
  userId: string,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement {
  const g = andGuard(guard);
  return db
    .prepare(
      `UPDATE email_tokens SET consumed_at = ?
       WHERE user_id = ? AND purpose = 'reset_password' AND consumed_at IS NULL${g.sql}`,
    )
    .bind(now, userId, ...g.args);
}

/** Plausible shape of a link token, checked before touching the database. */
export function isTokenShaped(value: string | undefined): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}
