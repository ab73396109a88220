/**
 * Revocation markers in KV, read on the /mcp hot path (one read per request, no D1). D1 stays the
 * truth (grants.revoked_at); a marker only needs to outlive the longest access token, so its TTL is
 * the access-token lifetime (KV's minimum TTL is 60 s).
 */

const grantKey = (grantId: string) => `revoked:grant:${grantId}`;

export async function markGrantRevoked(
  kv: KVNamespace,
  grantId: string,
  accessTokenTtlSeconds: number,
): Promise<void> {
  await kv.put(grantKey(grantId), '1', { expirationTtl: Math.max(60, accessTokenTtlSeconds + 60) });
}

/** True when the grant was revoked. A KV failure throws: callers fail closed. */
export async function isGrantRevoked(kv: KVNamespace, grantId: string): Promise<boolean> {
  return (await kv.get(grantKey(grantId))) !== null;
}
