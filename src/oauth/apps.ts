import { markGrantRevoked } from '../tokens/revocation';
import { newSecret, sha256Hex } from '../tokens/secrets';
import { findClient, insertClient, type OAuthClient } from './clients';

/**
 * OAuth 2.0 apps: clients a person registers in settings for other people to connect
 * (`registration_type = 'app'`, `owner_user_id` = that person). Every query here is scoped to the
 * owner, so one person can never read or change another's app.
 */

export const MAX_APPS_PER_USER = 20;
export const MAX_REDIRECT_URIS = 10;

export type AppKind = 'confidential' | 'public';

export async function listOwnedApps(db: D1Database, ownerUserId: string): Promise<OAuthClient[]> {
  const { results } = await db
    .prepare(
      "SELECT id FROM oauth_clients WHERE owner_user_id = ? AND registration_type = 'app' ORDER BY created_at DESC",
    )
    .bind(ownerUserId)
    .all<{ id: string }>();
  const apps = await Promise.all(results.map((r) => findClient(db, r.id)));
  return apps.filter((a): a is OAuthClient => a !== null);
}

export async function findOwnedApp(
  db: D1Database,
  ownerUserId: string,
  clientId: string,
): Promise<OAuthClient | null> {
  const client = await findClient(db, clientId);
  return client && client.registrationType === 'app' && client.ownerUserId === ownerUserId ? client : null;
}

export async function createApp(
  db: D1Database,
  ownerUserId: string,
  input: { name: string; redirectUris: string[]; kind: AppKind },
  now: number,
): Promise<{ client: OAuthClient; clientSecret: string | undefined } | 'limit_reached'> {
  const count = await db
    .prepare("SELECT COUNT(*) AS n FROM oauth_clients WHERE owner_user_id = ? AND registration_type = 'app'")
    .bind(ownerUserId)
    .first<{ n: number }>();
  if ((count?.n ?? 0) >= MAX_APPS_PER_USER) return 'limit_reached';
  return insertClient(
    db,
    {
      registrationType: 'app',
      ownerUserId,
      clientName: input.name,
      redirectUris: input.redirectUris,
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      tokenEndpointAuthMethod: input.kind === 'confidential' ? 'client_secret_basic' : 'none',
      scope: 'mcp api',
    },
    now,
  );
}

export async function updateApp(
  db: D1Database,
  ownerUserId: string,
  clientId: string,
  input: { name: string; redirectUris: string[] },
  now: number,
): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE oauth_clients SET client_name = ?, redirect_uris = ?, updated_at = ?
       WHERE id = ? AND owner_user_id = ? AND registration_type = 'app'`,
    )
    .bind(input.name, JSON.stringify(input.redirectUris), now, clientId, ownerUserId)
    .run();
  return (res.meta.changes ?? 0) > 0;
}

/** Replaces a confidential app's secret; the old one stops working at once. Returns the new secret. */
export async function rotateAppSecret(
  db: D1Database,
  ownerUserId: string,
  clientId: string,
  now: number,
): Promise<string | null> {
  const secret = newSecret();
  const res = await db
    .prepare(
      `UPDATE oauth_clients SET secret_hash = ?, updated_at = ?
       WHERE id = ? AND owner_user_id = ? AND registration_type = 'app' AND secret_hash IS NOT NULL`,
    )
    .bind(await sha256Hex(secret), now, clientId, ownerUserId)
    .run();
  return (res.meta.changes ?? 0) > 0 ? secret : null;
}

/**
 * Deletes an app and, with it, every grant anyone gave it: the grants' KV markers are written first
 * so their access tokens stop on /mcp, then the client row goes (its grants, codes and refresh tokens
 * cascade).
 */
export async function deleteApp(
  db: D1Database,
  kv: KVNamespace,
  ownerUserId: string,
  clientId: string,
  accessTokenTtlSeconds: number,
): Promise<boolean> {
  if (!(await findOwnedApp(db, ownerUserId, clientId))) return false;
  const { results } = await db
    .prepare('SELECT id FROM oauth_grants WHERE client_id = ? AND revoked_at IS NULL')
    .bind(clientId)
    .all<{ id: string }>();
  await Promise.all(results.map((g) => markGrantRevoked(kv, g.id, accessTokenTtlSeconds)));
  const res = await db
    .prepare("DELETE FROM oauth_clients WHERE id = ? AND owner_user_id = ? AND registration_type = 'app'")
    .bind(clientId, ownerUserId)
    .run();
  return (res.meta.changes ?? 0) > 0;
}

/** The email of an app's owner, shown on the consent page ("registered by …"). */
export async function appOwnerEmail(db: D1Database, client: OAuthClient): Promise<string | undefined> {
  if (client.registrationType !== 'app' || !client.ownerUserId) return undefined;
  const row = await db
    .prepare('SELECT email FROM users WHERE id = ?')
    .bind(client.ownerUserId)
    .first<{ email: string }>();
  return row?.email;
}
