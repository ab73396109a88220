import { describeError, log } from '../http/log';
import { IsolateCache } from '../isolate-cache';
import {
  type Connection,
  claimRefresh,
  deleteAllConnections,
  deleteConnection,
  deleteConnectionsToUpstream,
  findConnection,
  markNeedsReconnect,
  saveConnection,
  storeRefreshed,
  touchConnection,
} from './connection-store';
import {
  type OAuthClientEnv,
  type OAuthCredential,
  refreshCredential,
  revokeCredential,
  UpstreamAuthError,
} from './upstream-oauth';
import type { Upstream } from './upstreams';
import { open, seal } from './vault';

/**
 * Each person's connections: what a credential is, how it becomes the headers of an upstream request,
 * refresh before expiry (once, even under parallel calls), and disconnecting (revoked at the upstream,
 * then deleted). The caller has already decided that this person may use this upstream.
 */

/** Refresh this long before the upstream's access token expires. */
export const REFRESH_MARGIN_SECONDS = 60;
/** A refresh in flight holds the row this long; a caller that died frees it after. */
const REFRESH_LEASE_SECONDS = 30;
const WAIT_FOR_REFRESH_MS = [100, 200, 400, 800, 1500];
/**
 * How long an isolate reuses what it learnt about a person's connection (its headers, or that there is
 * none), so a warm call reads neither D1 nor KV. Connecting, disconnecting or a refused credential in
 * this isolate clears the entry at once; another isolate notices within this time (and an OAuth
 * credential is revoked at the upstream on disconnect, so a stale copy stops working there anyway).
 */
export const ACCESS_MEMO_SECONDS = 30;
const accessMemo = new IsolateCache<string, UpstreamAccess>({ maxEntries: 2_000 });
const memoKey = (userId: string, upstreamId: string) => `${userId}\n${upstreamId}`;

/** Forgets what this isolate remembers about one connection (after it changed here). */
export function forgetAccess(userId: string, upstreamId: string): void {
  accessMemo.delete(memoKey(userId, upstreamId));
}

export interface ApiKeyCredential {
  readonly t: 'api_key';
  readonly key: string;
}

export type Credential = OAuthCredential | ApiKeyCredential;

export type CredentialFailure = 'not_connected' | 'needs_reconnect' | 'refresh_failed';

export type UpstreamAccess =
  | { readonly ok: true; readonly headers: Record<string, string> }
  | { readonly ok: false; readonly failure: CredentialFailure };

/** Whether a person must connect this upstream before using it. */
export function needsConnection(upstream: Upstream): boolean {
  return upstream.auth.type === 'oauth' || upstream.auth.type === 'api_key_per_user';
}

function keyHeader(header: string, scheme: string | undefined, key: string): Record<string, string> {
  return { [header]: scheme ? `${scheme} ${key}` : key };
}

async function openCredential(env: OAuthClientEnv, connection: Connection): Promise<Credential> {
  const text = await open(
    env.vault,
    { userId: connection.userId, upstreamId: connection.upstreamId },
    connection.credential,
  );
  return JSON.parse(text) as Credential;
}

/** Seals and stores a person's credential for an upstream (connect or reconnect). */
async function connect(
  env: OAuthClientEnv,
  upstream: Upstream,
  userId: string,
  credential: Credential,
  details: { accountLabel: string | null; accessExpiresAt: number | null },
): Promise<Connection> {
  forgetAccess(userId, upstream.id);
  const sealed = await seal(env.vault, { userId, upstreamId: upstream.id }, JSON.stringify(credential));
  return saveConnection(
    env.db,
    { userId, upstreamId: upstream.id, kind: credential.t, credential: sealed, ...details },
    env.now,
  );
}

/** Stores a key a person pasted for an `api_key_per_user` upstream. */
export function connectWithApiKey(
  env: OAuthClientEnv,
  upstream: Upstream,
  userId: string,
  key: string,
): Promise<Connection> {
  return connect(
    env,
    upstream,
    userId,
    { t: 'api_key', key },
    {
      accountLabel: `key …${key.slice(-4)}`,
      accessExpiresAt: null,
    },
  );
}

/** Stores the tokens an OAuth flow obtained. */
export function connectWithOAuth(
  env: OAuthClientEnv,
  upstream: Upstream,
  userId: string,
  credential: OAuthCredential,
  accountLabel: string | null,
): Promise<Connection> {
  return connect(env, upstream, userId, credential, {
    accountLabel,
    accessExpiresAt: credential.expires_at ?? null,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Refreshes `connection` if its token is about to expire. Exactly one caller refreshes (a guarded
 * claim on the row's version); the others keep using the current token while it is still valid, or
 * wait briefly for the refreshed one.
 */
async function freshOAuthCredential(
  env: OAuthClientEnv,
  upstream: Upstream,
  connection: Connection,
  credential: OAuthCredential,
): Promise<OAuthCredential | CredentialFailure> {
  const expiresAt = credential.expires_at;
  if (expiresAt === undefined || expiresAt - env.now > REFRESH_MARGIN_SECONDS) return credential;
  const claimed = await claimRefresh(
    env.db,
    connection.userId,
    connection.upstreamId,
    connection.version,
    env.now,
    REFRESH_LEASE_SECONDS,
  );
  if (!claimed) {
    if (expiresAt > env.now) return credential;
    for (const ms of WAIT_FOR_REFRESH_MS) {
      await sleep(ms);
      const latest = await findConnection(env.db, connection.userId, connection.upstreamId);
      if (!latest) return 'not_connected';
      if (latest.status === 'needs_reconnect') return 'needs_reconnect';
      if (latest.version !== connection.version) {
        const next = await openCredential(env, latest);
        return next.t === 'oauth' ? next : 'refresh_failed';
      }
    }
    return 'refresh_failed';
  }
  let refreshed: OAuthCredential;
  try {
    refreshed = await refreshCredential(env, upstream, credential);
  } catch (err) {
    if (err instanceof UpstreamAuthError && err.failure === 'invalid_grant') {
      await markNeedsReconnect(env.db, connection.userId, connection.upstreamId, connection.version, env.now);
      log('warn', 'gateway.refresh_refused', { upstream: upstream.id });
      return 'needs_reconnect';
    }
    log('warn', 'gateway.refresh_failed', { upstream: upstream.id, ...describeError(err) });
    // The lease lapses by itself; a later call tries again.
    return expiresAt > env.now ? credential : 'refresh_failed';
  }
  const sealed = await seal(
    env.vault,
    { userId: connection.userId, upstreamId: upstream.id },
    JSON.stringify(refreshed),
  );
  const stored = await storeRefreshed(
    env.db,
    connection.userId,
    connection.upstreamId,
    connection.version,
    sealed,
    refreshed.expires_at ?? null,
    env.now,
  );
  // A reconnect raced us and wrote a newer credential: that one wins, ours is dropped.
  return stored ? refreshed : 'refresh_failed';
}

/**
 * The headers that carry this person's credential to `upstream`, refreshing it first if due. With
 * `fresh`, the isolate's memo is skipped (the person says they have just connected).
 */
export async function upstreamAccess(
  env: OAuthClientEnv,
  upstream: Upstream,
  userId: string,
  options: { fresh?: boolean } = {},
): Promise<UpstreamAccess> {
  const auth = upstream.auth;
  if (auth.type === 'none') return { ok: true, headers: {} };
  if (auth.type === 'api_key_shared') {
    return { ok: true, headers: keyHeader(auth.header, auth.scheme, auth.key) };
  }
  const key = memoKey(userId, upstream.id);
  const remembered = options.fresh ? undefined : accessMemo.get(key, env.now);
  if (remembered) return remembered;
  const { access, expiresAt } = await readAccess(env, upstream, userId);
  if (access.ok || access.failure !== 'refresh_failed') {
    accessMemo.set(key, access, Math.min(env.now + ACCESS_MEMO_SECONDS, expiresAt));
  }
  return access;
}

const NEVER = Number.POSITIVE_INFINITY;
const refusedFor = (failure: CredentialFailure) => ({
  access: { ok: false, failure } as const,
  expiresAt: NEVER,
});

async function readAccess(
  env: OAuthClientEnv,
  upstream: Upstream,
  userId: string,
): Promise<{ access: UpstreamAccess; expiresAt: number }> {
  const auth = upstream.auth;
  const connection = await findConnection(env.db, userId, upstream.id);
  if (!connection) return refusedFor('not_connected');
  if (connection.status === 'needs_reconnect') return refusedFor('needs_reconnect');
  const credential = await openCredential(env, connection);
  if (auth.type === 'api_key_per_user') {
    if (credential.t !== 'api_key') return refusedFor('needs_reconnect');
    return {
      access: { ok: true, headers: keyHeader(auth.header, auth.scheme, credential.key) },
      expiresAt: NEVER,
    };
  }
  if (credential.t !== 'oauth') return refusedFor('needs_reconnect');
  const fresh = await freshOAuthCredential(env, upstream, connection, credential);
  if (typeof fresh === 'string') return refusedFor(fresh);
  // Remembered only until the token is due for refresh, so the memo never outlives a usable token.
  const due = fresh.expires_at === undefined ? NEVER : fresh.expires_at - REFRESH_MARGIN_SECONDS;
  return { access: { ok: true, headers: { authorization: `Bearer ${fresh.access_token}` } }, expiresAt: due };
}

/** The upstream refused a credential that looked valid (401): mark it so the person is asked to reconnect. */
export async function credentialRefused(
  env: OAuthClientEnv,
  upstream: Upstream,
  userId: string,
): Promise<void> {
  forgetAccess(userId, upstream.id);
  const connection = await findConnection(env.db, userId, upstream.id);
  if (connection) await markNeedsReconnect(env.db, userId, upstream.id, connection.version, env.now);
}

async function revokeAtUpstream(
  env: OAuthClientEnv,
  upstream: Upstream | undefined,
  connection: Connection,
): Promise<void> {
  if (!upstream || connection.kind !== 'oauth') return;
  try {
    const credential = await openCredential(env, connection);
    if (credential.t === 'oauth') await revokeCredential(env, upstream, credential);
  } catch (err) {
    log('warn', 'gateway.revoke_failed', { upstream: connection.upstreamId, ...describeError(err) });
  }
}

/** Disconnects: deletes the credential, then revokes it at the upstream where it offers revocation. */
export async function disconnect(env: OAuthClientEnv, upstream: Upstream, userId: string): Promise<boolean> {
  forgetAccess(userId, upstream.id);
  const removed = await deleteConnection(env.db, userId, upstream.id);
  if (!removed) return false;
  await revokeAtUpstream(env, upstream, removed);
  return true;
}

/** Sign out everywhere and account deletion: every connection of the person, each revoked upstream. */
export async function disconnectAll(
  env: OAuthClientEnv,
  catalog: readonly Upstream[],
  userId: string,
): Promise<number> {
  const removed = await deleteAllConnections(env.db, userId);
  for (const c of removed) forgetAccess(userId, c.upstreamId);
  await Promise.all(
    removed.map((c) =>
      revokeAtUpstream(
        env,
        catalog.find((u) => u.id === c.upstreamId),
        c,
      ),
    ),
  );
  return removed.length;
}

/** An upstream leaves the catalog: everyone's connection to it is deleted and revoked there. */
export async function disconnectEveryone(env: OAuthClientEnv, upstream: Upstream): Promise<number> {
  const removed = await deleteConnectionsToUpstream(env.db, upstream.id);
  for (const c of removed) forgetAccess(c.userId, upstream.id);
  await Promise.all(removed.map((c) => revokeAtUpstream(env, upstream, c)));
  return removed.length;
}

/** `last_used_at` is written at most this often per person and upstream per isolate. */
export const LAST_USED_RESOLUTION_SECONDS = 300;
const touched = new IsolateCache<string, true>({ maxEntries: 2_000 });

/**
 * Records that a connection was used, for the person's connections page — after the response
 * (`defer`), and at most once per {@link LAST_USED_RESOLUTION_SECONDS} per isolate, so a call's own
 * path never waits on a write.
 */
export function noteUse(
  env: OAuthClientEnv,
  upstream: Upstream,
  userId: string,
  defer: (work: Promise<unknown>) => void,
): void {
  if (!needsConnection(upstream)) return;
  const key = memoKey(userId, upstream.id);
  if (touched.get(key, env.now)) return;
  touched.set(key, true, env.now + LAST_USED_RESOLUTION_SECONDS);
  defer(touchConnection(env.db, userId, upstream.id, env.now).catch(() => {}));
}
