import { andGuard, type BatchGuard } from '../accounts/batch-guard';
import { markGrantRevoked } from '../tokens/revocation';
import { newId, newSecret, sha256Hex } from '../tokens/secrets';

/**
 * The `oauth_grants` table and everything that ends a grant. A grant is one approved authorization:
 * its code, the refresh-token chain that code starts, and every access token minted along the way
 * (they carry its id as `gid`). Revoking a grant is the one way all of those stop working: D1 is
 * the truth (`revoked_at`), and a KV marker tells the /mcp hot path within one read.
 */

/** RFC 6749 §4.1.2 recommends at most 10 minutes. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 600;

export interface NewAuthorization {
  userId: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  resource: string;
  codeChallenge: string;
  now: number;
}

/**
 * Creates a grant and its authorization code in one D1 batch (one transaction). Returns the code in
 * the clear; only its SHA-256 is stored.
 */
export async function createGrantWithCode(
  db: D1Database,
  input: NewAuthorization,
  extra: (grantId: string) => D1PreparedStatement[] = () => [],
): Promise<{ grantId: string; code: string }> {
  const grantId = newId('g_');
  const code = newSecret();
  await db.batch([
    db
      .prepare(
        'INSERT INTO oauth_grants (id, user_id, client_id, redirect_uri, scope, resource, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .bind(grantId, input.userId, input.clientId, input.redirectUri, input.scope, input.resource, input.now),
    db
      .prepare(
        `INSERT INTO oauth_authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri,
           code_challenge, code_challenge_method, scope, resource, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, 'S256', ?, ?, ?, ?)`,
      )
      .bind(
        await sha256Hex(code),
        grantId,
        input.clientId,
        input.userId,
        input.redirectUri,
        input.codeChallenge,
        input.scope,
        input.resource,
        input.now,
        input.now + AUTHORIZATION_CODE_TTL_SECONDS,
      ),
    ...extra(grantId),
  ]);
  return { grantId, code };
}

/**
 * Whether this person already approved this client for exactly this redirect URI and scope, in a
 * grant that is still alive (revoking it in settings, or a detected replay, withdraws the consent).
 */
export async function hasRememberedConsent(
  db: D1Database,
  q: { userId: string; clientId: string; redirectUri: string; scope: string },
): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT 1 AS ok FROM oauth_grants
       WHERE user_id = ? AND client_id = ? AND redirect_uri = ? AND scope = ? AND revoked_at IS NULL LIMIT 1`,
    )
    .bind(q.userId, q.clientId, q.redirectUri, q.scope)
    .first<{ ok: number }>();
  return row !== null;
}

export interface RevokeOptions {
  now: number;
  /** The access-token lifetime, so the KV marker outlives every token of the grant. */
  accessTokenTtlSeconds: number;
  /** When given, only a grant of this person is revoked (settings pages pass the session's user). */
  userId?: string;
}

function revokeChildrenStatements(db: D1Database, grantId: string, now: number): D1PreparedStatement[] {
  return [
    db
      .prepare('UPDATE oauth_refresh_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL')
      .bind(now, grantId),
    db
      .prepare(
        'UPDATE oauth_authorization_codes SET consumed_at = ? WHERE grant_id = ? AND consumed_at IS NULL',
      )
      .bind(now, grantId),
  ];
}

/**
 * Revokes a grant: its codes, its refresh tokens and (through the KV marker) its access tokens.
 * Idempotent; returns true when this call ended a live grant. The marker is written even when the
 * grant was already revoked, so a lost KV write is repaired by revoking again.
 */
export async function revokeGrant(
  db: D1Database,
  kv: KVNamespace,
  grantId: string,
  options: RevokeOptions,
): Promise<boolean> {
  const owner = options.userId === undefined ? '' : ' AND user_id = ?';
  const args = options.userId === undefined ? [] : [options.userId];
  const exists = await db
    .prepare(`SELECT revoked_at FROM oauth_grants WHERE id = ?${owner}`)
    .bind(grantId, ...args)
    .first<{ revoked_at: number | null }>();
  if (!exists) return false;
  const [grant] = await db.batch([
    db
      .prepare(`UPDATE oauth_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL${owner}`)
      .bind(options.now, grantId, ...args),
    ...revokeChildrenStatements(db, grantId, options.now),
  ]);
  await markGrantRevoked(kv, grantId, options.accessTokenTtlSeconds);
  return (grant?.meta.changes ?? 0) > 0;
}

/** Revokes every live grant of a person (optionally only one client's); returns how many ended. */
export async function revokeAllGrantsForUser(
  db: D1Database,
  kv: KVNamespace,
  userId: string,
  options: Omit<RevokeOptions, 'userId'> & { clientId?: string },
): Promise<number> {
  const byClient = options.clientId === undefined ? '' : ' AND client_id = ?';
  const args = options.clientId === undefined ? [] : [options.clientId];
  const { results } = await db
    .prepare(`SELECT id FROM oauth_grants WHERE user_id = ? AND revoked_at IS NULL${byClient}`)
    .bind(userId, ...args)
    .all<{ id: string }>();
  let ended = 0;
  for (const { id } of results) {
    if (await revokeGrant(db, kv, id, { ...options, userId })) ended += 1;
  }
  return ended;
}

/**
 * Statements that end every grant of a person inside another batch (password reset), guarded like
 * the batch's other statements. They cannot write KV markers; {@link markRevokedGrantsInCache} does,
 * right after the batch, for access tokens minted before the cut-off.
 */
export function revokeAllGrantsStatements(
  db: D1Database,
  userId: string,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement[] {
  const g = andGuard(guard);
  return [
    db
      .prepare(`UPDATE oauth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL${g.sql}`)
      .bind(now, userId, ...g.args),
    db
      .prepare(
        `UPDATE oauth_refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL${g.sql}`,
      )
      .bind(now, userId, ...g.args),
    db
      .prepare(
        `UPDATE oauth_authorization_codes SET consumed_at = ? WHERE user_id = ? AND consumed_at IS NULL${g.sql}`,
      )
      .bind(now, userId, ...g.args),
  ];
}

/** The longest access-token lifetime config allows; markers written without config outlive it. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 86_400;

/**
 * Writes KV revocation markers for the grants ended by a person's latest revocation batch (they all
 * share its `revoked_at`), so access tokens minted before a password reset or "sign out everywhere"
 * stop at once on /mcp instead of at expiry.
 */
export async function markRevokedGrantsInCache(
  db: D1Database,
  kv: KVNamespace,
  userId: string,
  accessTokenTtlSeconds = MAX_ACCESS_TOKEN_TTL_SECONDS,
): Promise<void> {
  const { results } = await db
    .prepare(
      `SELECT id FROM oauth_grants WHERE user_id = ?1
         AND revoked_at = (SELECT MAX(revoked_at) FROM oauth_grants WHERE user_id = ?1)`,
    )
    .bind(userId)
    .all<{ id: string }>();
  await markGrantsRevoked(
    kv,
    results.map((r) => r.id),
    accessTokenTtlSeconds,
  );
}

/** Writes the KV revocation marker of each grant (ended in D1 already). */
export async function markGrantsRevoked(
  kv: KVNamespace,
  grantIds: readonly string[],
  accessTokenTtlSeconds = MAX_ACCESS_TOKEN_TTL_SECONDS,
): Promise<void> {
  await Promise.all(grantIds.map((id) => markGrantRevoked(kv, id, accessTokenTtlSeconds)));
}

export interface GrantSummary {
  grantId: string;
  clientId: string;
  clientName: string;
  registrationType: string;
  redirectUri: string;
  scope: string;
  createdAt: number;
  firstUsedAt: number | null;
  lastUsedAt: number | null;
}

/** A person's live grants with their client's name, newest first (for "connected apps"). */
export async function listActiveGrants(db: D1Database, userId: string): Promise<GrantSummary[]> {
  const { results } = await db
    .prepare(
      `SELECT g.id, g.client_id, c.client_name, c.registration_type, g.redirect_uri, g.scope, g.created_at,
              g.first_used_at, g.last_used_at
       FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_id
       WHERE g.user_id = ? AND g.revoked_at IS NULL ORDER BY g.created_at DESC`,
    )
    .bind(userId)
    .all<{
      id: string;
      client_id: string;
      client_name: string;
      registration_type: string;
      redirect_uri: string;
      scope: string;
      created_at: number;
      first_used_at: number | null;
      last_used_at: number | null;
    }>();
  return results.map((r) => ({
    grantId: r.id,
    clientId: r.client_id,
    clientName: r.client_name,
    registrationType: r.registration_type,
    redirectUri: r.redirect_uri,
    scope: r.scope,
    createdAt: r.created_at,
    firstUsedAt: r.first_used_at,
    lastUsedAt: r.last_used_at,
  }));
}
