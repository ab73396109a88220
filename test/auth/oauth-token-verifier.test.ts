import { describe, expect, it } from 'vitest';
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
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const other = await mintAccessToken(app, { userId: `${user.id}x` });
    const spliced = `${header}.${other.split('.')[1]}.${signature}`;
    expect((await mcpPost(app, spliced, rpc('tools/list'))).status).toBe(401);
    // The first signature character carries six signature bits (the last one carries padding bits,
    // which base64url decoding ignores, so changing it can leave the signature intact).
    const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect((await mcpPost(app, flipped, rpc('tools/list'))).status).toBe(401);
  });

  it('refuses a remembered token from the second its exp is reached', async () => {
    const { app, token } = await signedInApp();
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    app.clock.advance(3599);
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    app.clock.advance(1);
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(401);
  });
});

describe('OAuth access tokens: the "not revoked" memo (src/tokens/revocation.ts)', () => {
  it('reuses a "not revoked" answer for less than 2 s, and reads the marker again at 2 s', async () => {
    const { app, token, grantId } = await signedInApp();
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    await app.env.CACHE.put(`revoked:grant:${grantId}`, '1', { expirationTtl: 3600 });
    app.clock.advance(1);
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    app.clock.advance(1);
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(401);
  });

  it('keeps a revocation made in this isolate even when the marker cannot be read back', async () => {
    const { app, token, grantId } = await signedInApp();
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(200);
    await revokeGrant(app, grantId);
    // KV is eventually consistent: this isolate's own revocation must not wait for it.
    await app.env.CACHE.delete(`revoked:grant:${grantId}`);
    expect((await mcpPost(app, token, rpc('tools/list'))).status).toBe(401);
  });
});
