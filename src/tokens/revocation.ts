import { IsolateCache } from '../isolate-cache';

/**
 * Revocation markers in KV, read on the /mcp hot path (at most one read per request, no D1). D1 stays
 * the truth (grants.revoked_at); a marker only needs to outlive the longest access token, so its TTL
 * is the access-token lifetime (KV's minimum TTL is 60 s).
 *
 * Each isolate remembers a "not revoked" answer for {@link NOT_REVOKED_MEMO_SECONDS}. KV reads are
 * themselves cached at each Cloudflare location for up to 60 s, so this adds at most two seconds to a
 * bound that is already a minute; a revocation made in this isolate clears the memo at once (so the
 * local runtime, one isolate, revokes immediately). A "revoked" answer is final and kept.
 */

const grantKey = (grantId: string) => `revoked:grant:${grantId}`;

export const NOT_REVOKED_MEMO_SECONDS = 2;
/** grantId → revoked? A "revoked" entry never expires; a "not revoked" one after the memo's seconds. */
const memo = new IsolateCache<string, boolean>({ maxEntries: 10_000 });

export async function markGrantRevoked(
  kv: KVNamespace,
  grantId: string,
  accessTokenTtlSeconds: number,
): Promise<void> {
  memo.set(grantId, true, Number.POSITIVE_INFINITY);
  await kv.put(grantKey(grantId), '1', { expirationTtl: Math.max(60, accessTokenTtlSeconds + 60) });
}

/**
 * True when the grant was revoked; `now` in seconds (the request's clock). A KV failure throws:
 * callers fail closed (once the memo of a recent "not revoked" has run out).
 */
export async function isGrantRevoked(kv: KVNamespace, grantId: string, now: number): Promise<boolean> {
  const known = memo.get(grantId, now);
  if (known !== undefined) return known;
  const revoked = await hasRevocationMarker(kv, grantId);
  memo.set(grantId, revoked, revoked ? Number.POSITIVE_INFINITY : now + NOT_REVOKED_MEMO_SECONDS);
  return revoked;
}

/** Reads the marker itself, bypassing the isolate's memo (the truth as KV holds it). */
export async function hasRevocationMarker(kv: KVNamespace, grantId: string): Promise<boolean> {
  return (await kv.get(grantKey(grantId))) !== null;
}
