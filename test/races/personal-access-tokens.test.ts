import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  createPersonalAccessToken,
  revokePersonalAccessToken,
  verifyPersonalAccessToken,
} from '../../src/tokens/pat-store';
import { sha256Hex } from '../../src/tokens/secrets';
import { createUser } from '../helpers/app';

const now = () => Math.floor(Date.now() / 1000);

/**
 * The real KV namespace, except that `beforePut` runs just before each write lands: the interleaving
 * "verifier read D1 → revocation committed and evicted → verifier's cache write" made deterministic.
 */
function kvWithHook(beforePut: () => Promise<void>): KVNamespace {
  return new Proxy(env.CACHE, {
    get(target, prop, receiver) {
      if (prop === 'put') {
        return async (...args: Parameters<KVNamespace['put']>) => {
          await beforePut();
          return target.put(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function setup() {
  const user = await createUser({ verified: true });
  const created = await createPersonalAccessToken(env.DB, user.id, 'race', null, now());
  if (!created.ok) throw new Error('expected a token');
  return { user, token: created.token, id: created.record.id, key: `pat:${await sha256Hex(created.token)}` };
}

describe('race: a PAT revoked while its verification is being cached', () => {
  for (const when of ['on a cache miss', 'while last_used_at is refreshed'] as const) {
    it(`never leaves the revoked token cached (${when})`, async () => {
      const { user, token, id, key } = await setup();
      if (when === 'while last_used_at is refreshed') {
        // A warm entry whose last use is old enough to be refreshed on this request.
        await env.CACHE.put(key, JSON.stringify({ id, userId: user.id, expiresAt: null, lastUsedAt: 0 }));
      }
      let revoked = false;
      const kv = kvWithHook(async () => {
        if (revoked) return;
        revoked = true;
        expect(await revokePersonalAccessToken(env.DB, env.CACHE, user.id, id, now())).not.toBeNull();
      });
      const deferred: Promise<unknown>[] = [];
      // This request started before the revocation, so it may still be answered.
      expect(
        await verifyPersonalAccessToken(env.DB, kv, token, now(), (p) => deferred.push(p)),
      ).not.toBeNull();
      await Promise.all(deferred);
      expect(revoked).toBe(true);
      expect(await env.CACHE.get(key)).toBeNull();
      expect(await verifyPersonalAccessToken(env.DB, env.CACHE, token, now(), () => {})).toBeNull();
    });
  }
});
