import { newSecret, sha256Hex } from '../tokens/secrets';

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

export interface ConsumedEmailToken {
  userId: string;
  email: string;
}

/**
 * The statement that consumes a token: one atomic UPDATE … RETURNING, so two parallel uses can never
 * both succeed. Returns the statement so callers can batch it with the effect it authorises.
 */
export async function consumeEmailTokenStatement(
  db: D1Database,
  purpose: EmailTokenPurpose,
  token: string,
  now: number,
): Promise<D1PreparedStatement> {
  return db
    .prepare(
      `UPDATE email_tokens SET consumed_at = ?
       WHERE token_hash = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ?
       RETURNING user_id, email`,
    )
    .bind(now, await sha256Hex(token), purpose, now);
}

/** Reads (without consuming) whether a token is currently usable; for showing the reset form. */
export async function peekEmailToken(
  db: D1Database,
  purpose: EmailTokenPurpose,
  token: string,
  now: number,
): Promise<ConsumedEmailToken | null> {
  const row = await db
    .prepare(
      'SELECT user_id, email FROM email_tokens WHERE token_hash = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ?',
    )
    .bind(await sha256Hex(token), purpose, now)
    .first<{ user_id: string; email: string }>();
  return row ? { userId: row.user_id, email: row.email } : null;
}

/** Plausible shape of a link token, checked before touching the database. */
export function isTokenShaped(value: string | undefined): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}
