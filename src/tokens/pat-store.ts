import { andGuard, type BatchGuard } from '../accounts/batch-guard';
import {
  generatePersonalAccessToken,
  isWellFormedPersonalAccessToken,
  personalAccessTokenHint,
} from './personal-access-token';
import { newId, sha256Hex } from './secrets';

/** The documented limit: at most 5 active tokens per account. */
export const MAX_ACTIVE_TOKENS = 5;
/** How long a verified token stays in the KV cache; also the bound on cross-location revocation. */
const CACHE_TTL_SECONDS = 60;
/** `last_used_at` is written at most once a minute per token, off the hot path. */
const LAST_USED_GRANULARITY = 60;

export interface PersonalAccessTokenRecord {
  id: string;
  name: string;
  hint: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

interface Row {
  id: string;
  name: string;
  hint: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

const toRecord = (r: Row): PersonalAccessTokenRecord => ({
  id: r.id,
  name: r.name,
  hint: r.hint,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
});

const cacheKey = (tokenHash: string) => `pat:${tokenHash}`;

export type CreateResult =
  | { ok: true; token: string; record: PersonalAccessTokenRecord }
  | { ok: false; reason: 'limit_reached' };

/**
 * Creates a token unless the account already has 5 active ones. The count and the insert are ONE
 * statement (INSERT … SELECT … WHERE count < 5), so parallel creations can never exceed the limit.
 */
export async function createPersonalAccessToken(
  db: D1Database,
  userId: string,
  name: string,
  expiresAt: number | null,
  now: number,
  /** Statements to run in the same batch, only if the token was created (e.g. its security-log row). */
  alongside: (guard: BatchGuard) => D1PreparedStatement[] = () => [],
): Promise<CreateResult> {
  const token = generatePersonalAccessToken();
  const id = newId('pat_');
  const [inserted] = await db.batch([
    db
      .prepare(
        `INSERT INTO personal_access_tokens (id, user_id, name, token_hash, hint, created_at, expires_at)
         SELECT ?, ?, ?, ?, ?, ?, ?
         WHERE (SELECT COUNT(*) FROM personal_access_tokens
                WHERE user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)) < ?
         RETURNING id, name, hint, created_at, expires_at, last_used_at`,
      )
      .bind(
        id,
        userId,
        name,
        await sha256Hex(token),
        personalAccessTokenHint(token),
        now,
        expiresAt,
        userId,
        now,
        MAX_ACTIVE_TOKENS,
      ),
    ...alongside({ sql: 'EXISTS (SELECT 1 FROM personal_access_tokens WHERE id = ?)', args: [id] }),
  ]);
  const row = (inserted?.results as Row[] | undefined)?.[0];
  if (!row) return { ok: false, reason: 'limit_reached' };
  return { ok: true, token, record: toRecord(row) };
}

/** Active (not revoked, not expired) tokens, newest first. */
export async function listPersonalAccessTokens(
  db: D1Database,
  userId: string,
  now: number,
): Promise<PersonalAccessTokenRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT id, name, hint, created_at, expires_at, last_used_at FROM personal_access_tokens
       WHERE user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY created_at DESC, id`,
    )
    .bind(userId, now)
    .all<Row>();
  return results.map(toRecord);
}

/** Revokes one of the user's tokens; returns false when it is not theirs or already revoked. */
export async function revokePersonalAccessToken(
  db: D1Database,
  kv: KVNamespace,
  userId: string,
  id: string,
  now: number,
): Promise<PersonalAccessTokenRecord | null> {
  const row = await db
    .prepare(
      `UPDATE personal_access_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL
       RETURNING id, name, hint, created_at, expires_at, last_used_at, token_hash`,
    )
    .bind(now, id, userId)
    .first<Row & { token_hash: string }>();
  if (!row) return null;
  await kv.delete(cacheKey(row.token_hash));
  return toRecord(row);
}

/**
 * D1 half of revoking every token of a user (for batches: password change, account deletion);
 * with a guard, only if the guard holds when the batch runs.
 */
export function revokeAllPersonalAccessTokensStatement(
  db: D1Database,
  userId: string,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement {
  const g = andGuard(guard);
  return db
    .prepare(
      `UPDATE personal_access_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL${g.sql}`,
    )
    .bind(now, userId, ...g.args);
}

/** KV half: drops cached verifications of every token the user ever had. */
export async function evictPersonalAccessTokenCache(
  db: D1Database,
  kv: KVNamespace,
  userId: string,
): Promise<void> {
  const { results } = await db
    .prepare('SELECT token_hash FROM personal_access_tokens WHERE user_id = ?')
    .bind(userId)
    .all<{ token_hash: string }>();
  await evictPersonalAccessTokens(
    kv,
    results.map((r) => r.token_hash),
  );
}

/** Drops the cached verifications of these token hashes (for rows that may no longer exist). */
export async function evictPersonalAccessTokens(
  kv: KVNamespace,
  tokenHashes: readonly string[],
): Promise<void> {
  await Promise.all(tokenHashes.map((h) => kv.delete(cacheKey(h))));
}

export interface VerifiedPersonalAccessToken {
  id: string;
  userId: string;
}

interface CacheEntry {
  id: string;
  userId: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

/**
 * Resolves a PAT to its owner: malformed tokens (shape or checksum) are refused with no storage
 * access; a warm token costs one KV read; D1 is read on a miss and is the truth.
 * `defer` receives the off-path cache write and `last_used_at` update (pass ctx.waitUntil).
 */
export async function verifyPersonalAccessToken(
  db: D1Database,
  kv: KVNamespace,
  token: string,
  now: number,
  defer: (work: Promise<unknown>) => void,
): Promise<VerifiedPersonalAccessToken | null> {
  if (!isWellFormedPersonalAccessToken(token)) return null;
  const hash = await sha256Hex(token);
  let entry = await kv.get<CacheEntry>(cacheKey(hash), 'json');
  const warm = entry !== null;
  if (!entry) {
    const row = await db
      .prepare(
        'SELECT id, user_id, expires_at, last_used_at FROM personal_access_tokens WHERE token_hash = ? AND revoked_at IS NULL',
      )
      .bind(hash)
      .first<{ id: string; user_id: string; expires_at: number | null; last_used_at: number | null }>();
    if (!row) return null;
    entry = { id: row.id, userId: row.user_id, expiresAt: row.expires_at, lastUsedAt: row.last_used_at };
  }
  if (entry.expiresAt !== null && entry.expiresAt <= now) return null;
  if (entry.lastUsedAt === null || now - entry.lastUsedAt >= LAST_USED_GRANULARITY) {
    defer(cacheWhileActive(db, kv, hash, { ...entry, lastUsedAt: now }, now));
  } else if (!warm) {
    defer(cacheWhileActive(db, kv, hash, entry));
  }
  return { id: entry.id, userId: entry.userId };
}

/**
 * Caches a verification, and records its use when `usedAt` is given, only while the token is active.
 * KV has no compare-and-set, so a check made before the write could always be overtaken by a
 * revocation landing between the check and the write. Instead the write comes first and D1 is asked
 * after it: a revocation commits in D1 before it evicts the entry, so either this read sees the
 * revocation and evicts again, or the revocation's own eviction comes after this write.
 */
async function cacheWhileActive(
  db: D1Database,
  kv: KVNamespace,
  hash: string,
  entry: CacheEntry,
  usedAt?: number,
): Promise<void> {
  await kv.put(cacheKey(hash), JSON.stringify(entry), { expirationTtl: CACHE_TTL_SECONDS });
  const active =
    usedAt === undefined
      ? db
          .prepare('SELECT id FROM personal_access_tokens WHERE token_hash = ? AND revoked_at IS NULL')
          .bind(hash)
      : db
          .prepare(
            'UPDATE personal_access_tokens SET last_used_at = ? WHERE token_hash = ? AND revoked_at IS NULL RETURNING id',
          )
          .bind(usedAt, hash);
  if ((await active.first()) === null) await kv.delete(cacheKey(hash));
}
