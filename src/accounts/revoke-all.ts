import { markGrantsRevoked, markRevokedGrantsInCache, revokeAllGrantsStatements } from '../oauth/grant-store';
import {
  evictPersonalAccessTokenCache,
  evictPersonalAccessTokens,
  revokeAllPersonalAccessTokensStatement,
} from '../tokens/pat-store';
import { andGuard, type BatchGuard } from './batch-guard';
import { endResetLinksStatement } from './email-tokens';
import { deleteAllSessionsStatement } from './sessions';

/**
 * Everything that must end when a person's password changes (reset or change): every session and
 * every outstanding reset link.
 * Modules that hold other credentials (grants, personal access tokens) add their statements here,
 * so the whole cut-off runs in one D1 batch with the password update. Every statement must AND the
 * `guard` (when given) into its WHERE clause, so that it runs only if the batch's consuming
 * statement succeeded for this request.
 */
export function endAllCredentialsStatements(
  db: D1Database,
  userId: string,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement[] {
  return [
    deleteAllSessionsStatement(db, userId, guard),
    endResetLinksStatement(db, userId, now, guard),
    revokeAllPersonalAccessTokensStatement(db, userId, now, guard),
    ...revokeAllGrantsStatements(db, userId, now, guard),
  ];
}

/**
 * The KV half, run after the batch committed: drop cached token verifications so the cut-off is
 * immediate here and bounded by the cache TTL elsewhere.
 */
export async function afterAllCredentialsEnded(
  env: { DB: D1Database; CACHE: KVNamespace },
  userId: string,
): Promise<void> {
  await evictPersonalAccessTokenCache(env.DB, env.CACHE, userId);
  await markRevokedGrantsInCache(env.DB, env.CACHE, userId);
}

/**
 * "Sign out everywhere": every session and every OAuth grant (connected app) ends; personal access
 * tokens stay, since they are managed on their own page.
 */
export function signOutEverywhereStatements(
  db: D1Database,
  userId: string,
  now: number,
): D1PreparedStatement[] {
  return [deleteAllSessionsStatement(db, userId), ...revokeAllGrantsStatements(db, userId, now)];
}

export async function afterSignOutEverywhere(
  env: { DB: D1Database; CACHE: KVNamespace },
  userId: string,
  accessTokenTtlSeconds: number,
): Promise<void> {
  await markRevokedGrantsInCache(env.DB, env.CACHE, userId, accessTokenTtlSeconds);
}

/**
 * Ends the grants other people gave to the OAuth apps this person registered, then deletes the apps
 * (their codes and refresh tokens cascade). The first statement returns the grant ids, read in the
 * same transaction that ends them, for {@link afterOwnedAppsEnded}: read before, a grant approved
 * meanwhile would be missed; read after, the rows are gone. With a `guard`, only if it holds.
 */
export function endOwnedAppsStatements(
  db: D1Database,
  ownerUserId: string,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement[] {
  const g = andGuard(guard);
  const owned = "SELECT id FROM oauth_clients WHERE owner_user_id = ? AND registration_type = 'app'";
  return [
    db
      .prepare(
        `UPDATE oauth_grants SET revoked_at = ? WHERE client_id IN (${owned}) AND revoked_at IS NULL${g.sql}
         RETURNING id`,
      )
      .bind(now, ownerUserId, ...g.args),
    db
      .prepare(`DELETE FROM oauth_clients WHERE owner_user_id = ? AND registration_type = 'app'${g.sql}`)
      .bind(ownerUserId, ...g.args),
  ];
}

/**
 * A guard that holds only while the account's email was never verified, for the statements that undo
 * what an address squatter may have set up before the real owner recovered the account.
 */
export function neverVerifiedGuard(userId: string, guard: BatchGuard): BatchGuard {
  return {
    sql: `${guard.sql} AND EXISTS (SELECT 1 FROM users WHERE id = ? AND email_verified_at IS NULL)`,
    args: [...guard.args, userId],
  };
}

/** The KV half of {@link endOwnedAppsStatements}, given the batch result of its first statement. */
export async function afterOwnedAppsEnded(
  kv: KVNamespace,
  endedGrants: D1Result | undefined,
  accessTokenTtlSeconds: number,
): Promise<void> {
  const ids = ((endedGrants?.results ?? []) as { id: string }[]).map((r) => r.id);
  await markGrantsRevoked(kv, ids, accessTokenTtlSeconds);
}

/** Deletes everything a user owns; tables without a foreign key to users are listed here. */
function deleteAccountRowsStatements(db: D1Database, userId: string): D1PreparedStatement[] {
  return [
    db.prepare('DELETE FROM audit_events WHERE user_id = ?').bind(userId),
    db.prepare('DELETE FROM users WHERE id = ?').bind(userId),
  ];
}

/**
 * Deletes an account in one D1 batch, then ends in KV what the batch ended in D1: markers for every
 * grant it had and every grant given to its apps, and the cached lookups of its personal access
 * tokens. What KV needs is read inside the batch, since afterwards the rows no longer exist.
 */
export async function deleteAccount(
  env: { DB: D1Database; CACHE: KVNamespace },
  userId: string,
  now: number,
  accessTokenTtlSeconds: number,
): Promise<void> {
  const db = env.DB;
  const results = await db.batch([
    db.prepare('SELECT token_hash FROM personal_access_tokens WHERE user_id = ?').bind(userId),
    db
      .prepare('UPDATE oauth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING id')
      .bind(now, userId),
    ...endOwnedAppsStatements(db, userId, now),
    ...endAllCredentialsStatements(db, userId, now),
    ...deleteAccountRowsStatements(db, userId),
  ]);
  const [patHashes, ownGrants, appGrants] = results;
  await Promise.all([
    evictPersonalAccessTokens(
      env.CACHE,
      ((patHashes?.results ?? []) as { token_hash: string }[]).map((r) => r.token_hash),
    ),
    afterOwnedAppsEnded(env.CACHE, ownGrants, accessTokenTtlSeconds),
    afterOwnedAppsEnded(env.CACHE, appGrants, accessTokenTtlSeconds),
  ]);
}
