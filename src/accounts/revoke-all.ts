import { markRevokedGrantsInCache, revokeAllGrantsStatements } from '../oauth/grant-store';
import { evictPersonalAccessTokenCache, revokeAllPersonalAccessTokensStatement } from '../tokens/pat-store';
import type { BatchGuard } from './batch-guard';
import { deleteAllSessionsStatement } from './sessions';

/**
 * Everything that must end when a person's password changes (reset or change): every session.
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
