import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../src/tokens/verified-cache';
import { mcpPost, mintAccessToken, revokeGrant, rpc, signedInApp } from '../surfaces/support';

/**
 * The per-isolate memo of verified signatures must never widen what is accepted: each request still
 * checks expiry against the clock and the revocation marker, and only the exact token string that
 * verified is remembered.
 */
describe('OAuth access tokens: the verified-signature memo', () => {
  it('still refuses a remembered token once it has expired', async () => {
    const { app, token } = await signedInApp();
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    app.clock.advance(3601);
    const res = await mcpPost(app, token, rpc('tools/list'));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('still refuses a remembered token once its grant is revoked', async () => {
    const { app, token, grantId } = await signedInApp();
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    await revokeGrant(app, grantId);
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(401);
  });

  it('applies a revocation written by another isolate once the 2-second "not revoked" memo runs out', async () => {
    const { app, token, grantId } = await signedInApp();
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    // Another isolate (another Cloudflare location) writes the marker; this isolate's memo is not told.
    await app.env.CACHE.put(`revoked:grant:${grantId}`, '1', { expirationTtl: 3600 });
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    app.clock.advance(3);
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(401);
  });

  it('does not accept a tampered copy of a remembered token', async () => {
    const { app, token, user } = await signedInApp();
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    const [header, , signature] = token.split('.');
    const other = await mintAccessToken(app, { userId: `${user.id}x` });
    const spliced = `${header}.${other.split('.')[1]}.${signature}`;
    expect((await mcpPost(app, spliced, rpc('tools/list'))).status).toBe(401);
    const flipped = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
    expect((await mcpPost(app, flipped, rpc('tools/list'))).status).toBe(401);
  });

  it('keeps a bounded number of entries and drops expired ones', () => {
    const memo = new VerifiedTokenCache<{ expiresAt: number }>(3);
    for (let i = 0; i < 5; i++) memo.set(`t${i}`, { expiresAt: 100 });
    expect(memo.size).toBe(3);
    expect(memo.get('t0', 50)).toBeUndefined();
    expect(memo.get('t4', 50)).toEqual({ expiresAt: 100 });
    expect(memo.get('t4', 100)).toBeUndefined();
    expect(memo.size).toBe(2);
  });
});
