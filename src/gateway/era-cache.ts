import type { DiscoverResult } from '@modelcontextprotocol/client';
import type { Upstream } from './upstreams';

/**
 * What Gatehouse remembers about the protocol era each upstream speaks, so it probes an upstream once
 * (`server/discover` under the v2 client's `versionNegotiation: 'auto'`) instead of on every call.
 *
 * - The era verdict (`modern` = 2026-07-28, `legacy` = the 2025 `initialize` eras) is a fact about the
 *   server, shared by everyone: kept per isolate and in KV, keyed by upstream id and URL (a changed
 *   URL is a new server), dated, and retired after {@link ERA_HORIZON_MS}. A stale legacy verdict would
 *   otherwise hide an upgrade forever (the SDK's gateway guide); a stale modern one fails loudly.
 * - The `DiscoverResult` a modern upstream returned is what it told ONE person's credential, so it is
 *   kept per person and upstream, in this isolate only, and never handed to anyone else's connection
 *   (the SDK's gateway guide: "never share a persisted DiscoverResult across principals").
 * A probe that ends in 401/403 or any other failure records nothing.
 */
export type Era = 'modern' | 'legacy';

export const ERA_HORIZON_MS = 24 * 60 * 60 * 1000;
const DISCOVER_TTL_MS = 60 * 60 * 1000;
const MAX_ENTRIES = 512;

interface Dated<T> {
  readonly value: T;
  readonly storedAt: number;
}

function remember<T>(map: Map<string, Dated<T>>, key: string, value: T, now: number): void {
  map.delete(key);
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
  map.set(key, { value, storedAt: now });
}

async function urlDigest(url: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(url));
  return [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export interface EraCache {
  era(upstream: Upstream): Promise<Era | undefined>;
  discover(userId: string, upstream: Upstream): DiscoverResult | undefined;
  record(
    userId: string,
    upstream: Upstream,
    outcome: { era: Era; discover: DiscoverResult | undefined },
  ): Promise<void>;
  /** A modern verdict or discover result turned out stale: forget both for this person and upstream. */
  forget(userId: string, upstream: Upstream): Promise<void>;
}

/** One per isolate (the caller keeps it); `kv` is the CACHE namespace. */
export function createEraCache(kv: KVNamespace, now: () => number): EraCache {
  const eras = new Map<string, Dated<Era>>();
  const discovers = new Map<string, Dated<DiscoverResult>>();
  const kvKey = async (u: Upstream) => `gw:era:v1:${u.id}:${await urlDigest(u.url)}`;
  const eraKey = (u: Upstream) => JSON.stringify([u.id, u.url]);
  const personKey = (userId: string, u: Upstream) => JSON.stringify([userId, u.id, u.url]);
  const fresh = (d: Dated<unknown>, ttl: number) => now() - d.storedAt < ttl;

  return {
    async era(upstream) {
      const local = eras.get(eraKey(upstream));
      if (local && fresh(local, ERA_HORIZON_MS)) return local.value;
      const stored = await kv.get<{ era: Era; storedAt: number }>(await kvKey(upstream), 'json');
      if (
        !stored ||
        (stored.era !== 'modern' && stored.era !== 'legacy') ||
        typeof stored.storedAt !== 'number'
      ) {
        return undefined;
      }
      const dated = { value: stored.era, storedAt: stored.storedAt };
      if (!fresh(dated, ERA_HORIZON_MS)) return undefined;
      remember(eras, eraKey(upstream), stored.era, stored.storedAt);
      return stored.era;
    },
    discover(userId, upstream) {
      const hit = discovers.get(personKey(userId, upstream));
      return hit && fresh(hit, DISCOVER_TTL_MS) ? hit.value : undefined;
    },
    async record(userId, upstream, outcome) {
      const at = now();
      const known = eras.get(eraKey(upstream));
      if (!known || known.value !== outcome.era || !fresh(known, ERA_HORIZON_MS)) {
        remember(eras, eraKey(upstream), outcome.era, at);
        await kv.put(await kvKey(upstream), JSON.stringify({ era: outcome.era, storedAt: at }), {
          expirationTtl: ERA_HORIZON_MS / 1000,
        });
      }
      if (outcome.discover) remember(discovers, personKey(userId, upstream), outcome.discover, at);
    },
    async forget(userId, upstream) {
      discovers.delete(personKey(userId, upstream));
      eras.delete(eraKey(upstream));
      await kv.delete(await kvKey(upstream));
    },
  };
}
