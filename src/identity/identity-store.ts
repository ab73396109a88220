import { andGuard, type BatchGuard } from '../accounts/batch-guard';
import { HAS_PASSWORD_SQL } from '../accounts/users';
import { newSecret, sha256Hex } from '../tokens/secrets';

/**
 * Every SQL string for `identities` and `identity_link_requests` (migrations/0009_identities.sql).
 * Other modules call these functions or put the returned statements in their own batches.
 */

export interface LinkedIdentity {
  providerId: string;
  subject: string;
  userId: string;
  email: string;
  createdAt: number;
  lastUsedAt: number;
}

interface IdentityRow {
  provider_id: string;
  subject: string;
  user_id: string;
  email: string;
  created_at: number;
  last_used_at: number;
}

const COLUMNS = 'provider_id, subject, user_id, email, created_at, last_used_at';

function toIdentity(row: IdentityRow): LinkedIdentity {
  return {
    providerId: row.provider_id,
    subject: row.subject,
    userId: row.user_id,
    email: row.email,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function findIdentity(
  db: D1Database,
  providerId: string,
  subject: string,
): Promise<LinkedIdentity | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM identities WHERE provider_id = ? AND subject = ?`)
    .bind(providerId, subject)
    .first<IdentityRow>();
  return row ? toIdentity(row) : null;
}

export async function listIdentities(db: D1Database, userId: string): Promise<LinkedIdentity[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM identities WHERE user_id = ? ORDER BY created_at, provider_id`)
    .bind(userId)
    .all<IdentityRow>();
  return results.map(toIdentity);
}

export interface NewIdentity {
  providerId: string;
  subject: string;
  userId: string;
  email: string;
}

/**
 * Links an identity, only while its account exists (and the guard holds). The primary key and
 * UNIQUE (user_id, provider_id) refuse a second owner or a second identity per provider: a conflict
 * fails the statement (and its batch) with SQLITE_CONSTRAINT.
 */
export function insertIdentityStatement(
  db: D1Database,
  identity: NewIdentity,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement {
  const g = andGuard(guard);
  return db
    .prepare(
      `INSERT INTO identities (${COLUMNS})
       SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)${g.sql}`,
    )
    .bind(
      identity.providerId,
      identity.subject,
      identity.userId,
      identity.email,
      now,
      now,
      identity.userId,
      ...g.args,
    );
}

export function touchIdentityStatement(
  db: D1Database,
  providerId: string,
  subject: string,
  email: string,
  now: number,
): D1PreparedStatement {
  return db
    .prepare('UPDATE identities SET last_used_at = ?, email = ? WHERE provider_id = ? AND subject = ?')
    .bind(now, email, providerId, subject);
}

/**
 * Unlinks the account's identity at a provider in ONE statement, and only if the account keeps
 * another way to sign in (a password, or another identity) — decided inside the DELETE, so two
 * parallel unlinks cannot both pass. Returns whether a row was deleted.
 */
export async function unlinkIdentity(db: D1Database, userId: string, providerId: string): Promise<boolean> {
  const row = await db
    .prepare(
      `DELETE FROM identities
       WHERE user_id = ? AND provider_id = ?
         AND (${HAS_PASSWORD_SQL}
              OR EXISTS (SELECT 1 FROM identities WHERE user_id = ? AND provider_id <> ?))
       RETURNING provider_id`,
    )
    .bind(userId, providerId, userId, userId, providerId)
    .first<{ provider_id: string }>();
  return row !== null;
}

export const LINK_REQUEST_TTL_SECONDS = 3600;

export interface PendingLink {
  userId: string;
  providerId: string;
  subject: string;
  email: string;
}

/**
 * Stores a pending link and returns its mailed token. Only hashes are stored: of the token, and of
 * the value the starting browser holds in a cookie (`browserSecret`), which the link also needs.
 */
export async function createLinkRequest(
  db: D1Database,
  link: PendingLink,
  browserSecret: string,
  now: number,
): Promise<string> {
  const token = newSecret();
  await db
    .prepare(
      `INSERT INTO identity_link_requests (token_hash, browser_hash, user_id, provider_id, subject, email, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      await sha256Hex(token),
      await sha256Hex(browserSecret),
      link.userId,
      link.providerId,
      link.subject,
      link.email,
      now,
      now + LINK_REQUEST_TTL_SECONDS,
    )
    .run();
  return token;
}

interface LinkRow {
  user_id: string;
  provider_id: string;
  subject: string;
  email: string;
  browser_hash: string;
}

/** A usable (unexpired, unconsumed) pending link, without consuming it. */
export async function peekLinkRequest(
  db: D1Database,
  token: string,
  now: number,
): Promise<(PendingLink & { browserHash: string }) | null> {
  const row = await db
    .prepare(
      `SELECT user_id, provider_id, subject, email, browser_hash FROM identity_link_requests
       WHERE token_hash = ? AND consumed_at IS NULL AND expires_at > ?`,
    )
    .bind(await sha256Hex(token), now)
    .first<LinkRow>();
  return row
    ? {
        userId: row.user_id,
        providerId: row.provider_id,
        subject: row.subject,
        email: row.email,
        browserHash: row.browser_hash,
      }
    : null;
}

/**
 * Consumes a pending link and applies its effects in ONE batch, like `consumeEmailToken`: the
 * conditional UPDATE (this token, this browser, unused, unexpired) stamps a fresh nonce, and every
 * effect ANDs the guard "that nonce is there". Of parallel uses exactly one links; a failing batch
 * rolls the consumption back. Returns the link when this request consumed it.
 */
export async function consumeLinkRequest(
  db: D1Database,
  token: string,
  browserSecret: string,
  now: number,
  effects: (link: PendingLink, guard: BatchGuard) => D1PreparedStatement[],
): Promise<PendingLink | null> {
  const pending = await peekLinkRequest(db, token, now);
  if (!pending) return null;
  const tokenHash = await sha256Hex(token);
  const nonce = newSecret();
  const consume = db
    .prepare(
      `UPDATE identity_link_requests SET consumed_at = ?, consumed_nonce = ?
       WHERE token_hash = ? AND browser_hash = ? AND consumed_at IS NULL AND expires_at > ?
       RETURNING user_id`,
    )
    .bind(now, nonce, tokenHash, await sha256Hex(browserSecret), now);
  const guard: BatchGuard = {
    sql: 'EXISTS (SELECT 1 FROM identity_link_requests WHERE token_hash = ? AND consumed_nonce = ?)',
    args: [tokenHash, nonce],
  };
  const [consumed] = await db.batch([consume, ...effects(pending, guard)]);
  return consumed && consumed.results.length === 1 ? pending : null;
}
