import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  createPersonalAccessToken,
  listPersonalAccessTokens,
  MAX_ACTIVE_TOKENS,
  revokePersonalAccessToken,
  verifyPersonalAccessToken,
} from '../../src/tokens/pat-store';
import { generatePersonalAccessToken } from '../../src/tokens/personal-access-token';
import { createUser } from '../helpers/app';

const now = () => Math.floor(Date.now() / 1000);

function collector() {
  const pending: Promise<unknown>[] = [];
  return { defer: (p: Promise<unknown>) => pending.push(p), settle: () => Promise.all(pending) };
}

describe('personal access token store', () => {
  it('stores only the hash and a hint, never the token', async () => {
    const user = await createUser({ verified: true });
    const created = await createPersonalAccessToken(env.DB, user.id, 'ci', null, now());
    if (!created.ok) throw new Error('expected a token');
    const rows = await env.DB.prepare('SELECT * FROM personal_access_tokens WHERE user_id = ?')
      .bind(user.id)
      .all();
    const dump = JSON.stringify(rows.results);
    expect(dump).not.toContain(created.token);
    expect(dump).toContain(created.token.slice(-4));
  });

  it('refuses the sixth active token', async () => {
    const user = await createUser({ verified: true });
    for (let i = 0; i < MAX_ACTIVE_TOKENS; i++) {
      expect((await createPersonalAccessToken(env.DB, user.id, `t${i}`, null, now())).ok).toBe(true);
    }
    expect(await createPersonalAccessToken(env.DB, user.id, 'one too many', null, now())).toEqual({
      ok: false,
      reason: 'limit_reached',
    });
  });

  it('never exceeds the limit under 12 parallel creations, repeatedly', async () => {
    for (let round = 0; round < 3; round++) {
      const user = await createUser({ verified: true });
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          createPersonalAccessToken(env.DB, user.id, `p${i}`, null, now()),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(MAX_ACTIVE_TOKENS);
      expect(await listPersonalAccessTokens(env.DB, user.id, now())).toHaveLength(MAX_ACTIVE_TOKENS);
    }
  });

  it('frees a slot when a token is revoked or expires', async () => {
    const user = await createUser({ verified: true });
    const t = now();
    const ids: string[] = [];
    for (let i = 0; i < MAX_ACTIVE_TOKENS; i++) {
      const r = await createPersonalAccessToken(env.DB, user.id, `t${i}`, i === 0 ? t + 10 : null, t);
      if (r.ok) ids.push(r.record.id);
    }
    expect((await createPersonalAccessToken(env.DB, user.id, 'x', null, t)).ok).toBe(false);
    expect((await createPersonalAccessToken(env.DB, user.id, 'x', null, t + 11)).ok).toBe(true);
    expect(await revokePersonalAccessToken(env.DB, env.CACHE, user.id, ids[1]!, t + 12)).not.toBeNull();
    expect((await createPersonalAccessToken(env.DB, user.id, 'y', null, t + 12)).ok).toBe(true);
  });

  it('verifies a live token, and not after revocation, expiry or for a made-up one', async () => {
    const user = await createUser({ verified: true });
    const t = now();
    const created = await createPersonalAccessToken(env.DB, user.id, 'ci', t + 3600, t);
    if (!created.ok) throw new Error('expected a token');
    const c = collector();
    expect(await verifyPersonalAccessToken(env.DB, env.CACHE, created.token, t, c.defer)).toEqual({
      id: created.record.id,
      userId: user.id,
    });
    await c.settle();
    // warm: served from KV
    expect(await verifyPersonalAccessToken(env.DB, env.CACHE, created.token, t + 1, c.defer)).not.toBeNull();
    expect(await verifyPersonalAccessToken(env.DB, env.CACHE, created.token, t + 3600, c.defer)).toBeNull();
    expect(
      await verifyPersonalAccessToken(env.DB, env.CACHE, generatePersonalAccessToken(), t, c.defer),
    ).toBeNull();
    await revokePersonalAccessToken(env.DB, env.CACHE, user.id, created.record.id, t + 2);
    expect(await verifyPersonalAccessToken(env.DB, env.CACHE, created.token, t + 3, c.defer)).toBeNull();
    await c.settle();
  });

  it('does not let one user revoke another user’s token', async () => {
    const alice = await createUser({ verified: true });
    const mallory = await createUser({ verified: true });
    const created = await createPersonalAccessToken(env.DB, alice.id, 'ci', null, now());
    if (!created.ok) throw new Error('expected a token');
    expect(
      await revokePersonalAccessToken(env.DB, env.CACHE, mallory.id, created.record.id, now()),
    ).toBeNull();
    expect(await listPersonalAccessTokens(env.DB, alice.id, now())).toHaveLength(1);
  });

  it('records last use at most once a minute', async () => {
    const user = await createUser({ verified: true });
    const t = now();
    const created = await createPersonalAccessToken(env.DB, user.id, 'ci', null, t);
    if (!created.ok) throw new Error('expected a token');
    const c = collector();
    await verifyPersonalAccessToken(env.DB, env.CACHE, created.token, t, c.defer);
    await c.settle();
    await verifyPersonalAccessToken(env.DB, env.CACHE, created.token, t + 30, c.defer);
    await c.settle();
    const [first] = await listPersonalAccessTokens(env.DB, user.id, t + 30);
    expect(first?.lastUsedAt).toBe(t);
    await verifyPersonalAccessToken(env.DB, env.CACHE, created.token, t + 61, c.defer);
    await c.settle();
    const [second] = await listPersonalAccessTokens(env.DB, user.id, t + 61);
    expect(second?.lastUsedAt).toBe(t + 61);
  });
});
