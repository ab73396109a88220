import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { createPersonalAccessToken } from '../../src/tokens/pat-store';
import { createTestApp, createUser } from '../helpers/app';
import { mcpPost, mintAccessToken, rpc } from '../surfaces/support';
import { expectUnavailable, faultyDb, unavailableKv } from './faulty-bindings';

/**
 * KV unavailable on the /mcp hot path: the revocation marker (OAuth) or the PAT cache cannot be read,
 * so the request fails closed — 503 with Retry-After, never a tool result.
 */
describe('faults: KV unavailable on /mcp', () => {
  const call = rpc('tools/call', { name: 'whoAmI', arguments: {} });

  it('refuses an OAuth access token with 503 when its revocation marker cannot be read', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const user = await createUser({ verified: true });
    const healthy = createTestApp();
    const token = await mintAccessToken(healthy, { userId: user.id, scope: 'mcp' });
    expect((await mcpPost(healthy, token, call)).status).toBe(200);
    const app = createTestApp({ env: { CACHE: unavailableKv() }, clock: healthy.clock });
    // A "not revoked" answer is reused for at most 2 s (src/tokens/revocation.ts); past that the
    // marker must be read again, and an unreadable marker refuses the token.
    healthy.clock.advance(3);
    await expectUnavailable(await mcpPost(app, token, call), 'api');
  });

  it('refuses a personal access token with 503 when its cache cannot be read', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const user = await createUser({ verified: true });
    const now = Math.floor(Date.now() / 1000);
    const created = await createPersonalAccessToken(env.DB, user.id, 'ci', null, now);
    if (!created.ok) throw new Error('no token');
    const app = createTestApp({ env: { CACHE: unavailableKv() } });
    await expectUnavailable(await mcpPost(app, created.token, call), 'api');
  });

  it('answers a JSON-RPC internal error (-32603), never a result or internals, when D1 fails in a tool call', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const user = await createUser({ verified: true });
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const token = await mintAccessToken(app, { userId: user.id, scope: 'mcp' });
    faulty.failAt(1);
    const res = await mcpPost(app, token, rpc('tools/call', { name: 'listMyProjects', arguments: {} }));
    expect(faulty.fired).toBe(true);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('D1_ERROR');
    const body = JSON.parse(text) as { result?: unknown; error?: { code: number } };
    expect(body.result).toBeUndefined();
    expect(body.error?.code).toBe(-32603);
  });
});
