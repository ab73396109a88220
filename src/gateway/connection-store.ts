/**
 * The one owner of the gateway's tables: `upstream_connections` (each person's credential for each
 * upstream, sealed by the vault), `upstream_authorizations` (OAuth flows in flight, single use) and
 * `upstream_clients` (Gatehouse's registrations at upstream authorization servers). Functions take
 * `(db, …, now)`; nothing here knows HTTP. Single-use and once-only transitions are one statement each.
 */

export type ConnectionKind = 'oauth' | 'api_key';
export type ConnectionStatus = 'connected' | 'needs_reconnect';

export interface Connection {
  readonly userId: string;
  readonly upstreamId: string;
  readonly kind: ConnectionKind;
  /** Sealed; open it with the vault and the same person + upstream. */
  readonly credential: string;
  readonly accountLabel: string | null;
  readonly status: ConnectionStatus;
  readonly accessExpiresAt: number | null;
  readonly version: number;
  readonly refreshClaimedUntil: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastUsedAt: number | null;
}

interface ConnectionRow {
  user_id: string;
  upstream_id: string;
  kind: ConnectionKind;
  credential: string;
  account_label: string | null;
  status: ConnectionStatus;
  access_expires_at: number | null;
  version: number;
  refresh_claimed_until: number | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
}

const COLUMNS =
  'user_id, upstream_id, kind, credential, account_label, status, access_expires_at, version, refresh_claimed_until, created_at, updated_at, last_used_at';

function toConnection(row: ConnectionRow): Connection {
  return {
    userId: row.user_id,
    upstreamId: row.upstream_id,
    kind: row.kind,
    credential: row.credential,
    accountLabel: row.account_label,
    status: row.status,
    accessExpiresAt: row.access_expires_at,
    version: row.version,
    refreshClaimedUntil: row.refresh_claimed_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function findConnection(
  db: D1Database,
  userId: string,
  upstreamId: string,
): Promise<Connection | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM upstream_connections WHERE user_id = ? AND upstream_id = ?`)
    .bind(userId, upstreamId)
    .first<ConnectionRow>();
  return row ? toConnection(row) : null;
}

export async function listConnections(db: D1Database, userId: string): Promise<Connection[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM upstream_connections WHERE user_id = ? ORDER BY upstream_id`)
    .bind(userId)
    .all<ConnectionRow>();
  return results.map(toConnection);
}

export interface NewConnection {
  readonly userId: string;
  readonly upstreamId: string;
  readonly kind: ConnectionKind;
  readonly credential: string;
  readonly accountLabel: string | null;
  readonly accessExpiresAt: number | null;
}

/** Connects (or reconnects): the credential replaces any earlier one, and the version moves on. */
export async function saveConnection(db: D1Database, c: NewConnection, now: number): Promise<Connection> {
  const row = await db
    .prepare(
      `INSERT INTO upstream_connections
         (user_id, upstream_id, kind, credential, account_label, status, access_expires_at, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'connected', ?, 1, ?, ?)
       ON CONFLICT (user_id, upstream_id) DO UPDATE SET
         kind = excluded.kind, credential = excluded.credential, account_label = excluded.account_label,
         status = 'connected', access_expires_at = excluded.access_expires_at, version = version + 1,
         refresh_claimed_until = NULL, updated_at = excluded.updated_at
       RETURNING ${COLUMNS}`,
    )
    .bind(c.userId, c.upstreamId, c.kind, c.credential, c.accountLabel, c.accessExpiresAt, now, now)
    .first<ConnectionRow>();
  if (!row) throw new Error('saveConnection: no row returned');
  return toConnection(row);
}

/**
 * Claims the right to refresh the credential at `version` for `leaseSeconds`: true for exactly one of
 * any number of parallel callers (and again only after the lease lapses, if that caller died).
 */
export async function claimRefresh(
  db: D1Database,
  userId: string,
  upstreamId: string,
  version: number,
  now: number,
  leaseSeconds: number,
): Promise<boolean> {
  const row = await db
    .prepare(
      `UPDATE upstream_connections SET refresh_claimed_until = ?
       WHERE user_id = ? AND upstream_id = ? AND version = ? AND status = 'connected'
         AND (refresh_claimed_until IS NULL OR refresh_claimed_until <= ?)
       RETURNING version`,
    )
    .bind(now + leaseSeconds, userId, upstreamId, version, now)
    .first<{ version: number }>();
  return row !== null;
}

/** Stores a refreshed credential over the version the refresh started from; false if it moved on. */
export async function storeRefreshed(
  db: D1Database,
  userId: string,
  upstreamId: string,
  version: number,
  credential: string,
  accessExpiresAt: number | null,
  now: number,
): Promise<Connection | null> {
  const row = await db
    .prepare(
      `UPDATE upstream_connections
       SET credential = ?, access_expires_at = ?, version = version + 1, refresh_claimed_until = NULL, updated_at = ?
       WHERE user_id = ? AND upstream_id = ? AND version = ?
       RETURNING ${COLUMNS}`,
    )
    .bind(credential, accessExpiresAt, now, userId, upstreamId, version)
    .first<ConnectionRow>();
  return row ? toConnection(row) : null;
}

/** The upstream refused our credential for good (`invalid_grant`, a revoked key): the person must reconnect. */
export async function markNeedsReconnect(
  db: D1Database,
  userId: string,
  upstreamId: string,
  version: number,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE upstream_connections SET status = 'needs_reconnect', refresh_claimed_until = NULL, updated_at = ?
       WHERE user_id = ? AND upstream_id = ? AND version = ?`,
    )
    .bind(now, userId, upstreamId, version)
    .run();
}

export async function touchConnection(
  db: D1Database,
  userId: string,
  upstreamId: string,
  now: number,
): Promise<void> {
  await db
    .prepare('UPDATE upstream_connections SET last_used_at = ? WHERE user_id = ? AND upstream_id = ?')
    .bind(now, userId, upstreamId)
    .run();
}

/** Disconnects one upstream; returns what was removed (to revoke it at the upstream), or null. */
export async function deleteConnection(
  db: D1Database,
  userId: string,
  upstreamId: string,
): Promise<Connection | null> {
  const row = await db
    .prepare(`DELETE FROM upstream_connections WHERE user_id = ? AND upstream_id = ? RETURNING ${COLUMNS}`)
    .bind(userId, upstreamId)
    .first<ConnectionRow>();
  return row ? toConnection(row) : null;
}

/** Every connection of a person (sign out everywhere, account deletion); returns what was removed. */
export async function deleteAllConnections(db: D1Database, userId: string): Promise<Connection[]> {
  const { results } = await db
    .prepare(`DELETE FROM upstream_connections WHERE user_id = ? RETURNING ${COLUMNS}`)
    .bind(userId)
    .all<ConnectionRow>();
  return results.map(toConnection);
}

export interface PendingAuthorization {
  readonly userId: string;
  readonly sessionHash: string;
  readonly upstreamId: string;
  /** Sealed flow state (PKCE verifier, upstream metadata, client). */
  readonly flow: string;
}

export async function insertAuthorization(
  db: D1Database,
  stateHash: string,
  pending: PendingAuthorization,
  now: number,
  ttlSeconds: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO upstream_authorizations (state_hash, user_id, session_hash, upstream_id, flow, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      stateHash,
      pending.userId,
      pending.sessionHash,
      pending.upstreamId,
      pending.flow,
      now,
      now + ttlSeconds,
    )
    .run();
}

/** Spends a flow's state: one statement, so a replayed callback finds nothing. */
export async function consumeAuthorization(
  db: D1Database,
  stateHash: string,
  now: number,
): Promise<PendingAuthorization | null> {
  const row = await db
    .prepare(
      `UPDATE upstream_authorizations SET consumed_at = ?
       WHERE state_hash = ? AND consumed_at IS NULL AND expires_at > ?
       RETURNING user_id, session_hash, upstream_id, flow`,
    )
    .bind(now, stateHash, now)
    .first<{ user_id: string; session_hash: string; upstream_id: string; flow: string }>();
  return row
    ? { userId: row.user_id, sessionHash: row.session_hash, upstreamId: row.upstream_id, flow: row.flow }
    : null;
}

export interface UpstreamClientRegistration {
  readonly upstreamId: string;
  readonly issuer: string;
  readonly clientId: string;
  /** Sealed, or null for a public client. */
  readonly clientSecret: string | null;
  readonly tokenEndpointAuthMethod: string;
  readonly redirectUri: string;
}

export async function findUpstreamClient(
  db: D1Database,
  upstreamId: string,
  issuer: string,
  redirectUri: string,
): Promise<UpstreamClientRegistration | null> {
  const row = await db
    .prepare(
      `SELECT client_id, client_secret, token_endpoint_auth_method FROM upstream_clients
       WHERE upstream_id = ? AND issuer = ? AND redirect_uri = ?`,
    )
    .bind(upstreamId, issuer, redirectUri)
    .first<{ client_id: string; client_secret: string | null; token_endpoint_auth_method: string }>();
  return row
    ? {
        upstreamId,
        issuer,
        redirectUri,
        clientId: row.client_id,
        clientSecret: row.client_secret,
        tokenEndpointAuthMethod: row.token_endpoint_auth_method,
      }
    : null;
}

/**
 * Keeps the first registration when two people register at once (the later one is simply unused), and
 * returns the one that is kept.
 */
export async function saveUpstreamClient(
  db: D1Database,
  reg: UpstreamClientRegistration,
  now: number,
): Promise<UpstreamClientRegistration> {
  await db
    .prepare(
      `INSERT INTO upstream_clients (upstream_id, issuer, client_id, client_secret, token_endpoint_auth_method, redirect_uri, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .bind(
      reg.upstreamId,
      reg.issuer,
      reg.clientId,
      reg.clientSecret,
      reg.tokenEndpointAuthMethod,
      reg.redirectUri,
      now,
    )
    .run();
  return (await findUpstreamClient(db, reg.upstreamId, reg.issuer, reg.redirectUri)) ?? reg;
}

/** Forgets a registration the upstream no longer knows (it answered `invalid_client`). */
export async function deleteUpstreamClient(
  db: D1Database,
  upstreamId: string,
  issuer: string,
  redirectUri: string,
): Promise<void> {
  await db
    .prepare('DELETE FROM upstream_clients WHERE upstream_id = ? AND issuer = ? AND redirect_uri = ?')
    .bind(upstreamId, issuer, redirectUri)
    .run();
}

/** An upstream is removed from the catalog: every person's connection to it goes; returns them. */
export async function deleteConnectionsToUpstream(db: D1Database, upstreamId: string): Promise<Connection[]> {
  const { results } = await db
    .prepare(`DELETE FROM upstream_connections WHERE upstream_id = ? RETURNING ${COLUMNS}`)
    .bind(upstreamId)
    .all<ConnectionRow>();
  return results.map(toConnection);
}

/** How many people have connected each upstream (the admin page). */
export async function countConnectionsByUpstream(db: D1Database): Promise<Record<string, number>> {
  const { results } = await db
    .prepare('SELECT upstream_id, COUNT(*) AS n FROM upstream_connections GROUP BY upstream_id')
    .all<{ upstream_id: string; n: number }>();
  return Object.fromEntries(results.map((r) => [r.upstream_id, r.n]));
}
