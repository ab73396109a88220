import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { signAccessToken } from '../../src/tokens/access-token';
import { getKeySet } from '../../src/tokens/keys';
import { createPersonalAccessToken } from '../../src/tokens/pat-store';
import { createUser, ORIGIN } from '../helpers/app';
import { instrumentedApp } from '../helpers/storage-counts';

/**
 * Storage operations per authenticated /mcp request, counted by wrapping the real local D1 and KV
 * bindings (docs/benchmarks.md, "Hot path"). Goals: authenticating an OAuth access token costs no
 * D1 query and at most one KV read (the revocation marker); a warm personal access token at most
 * one KV read. What a tool itself reads (whoAmI reads the account row) is the tool's work, not the
 * hot path's, and is asserted to be exactly that.
 */
const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

function mcp(token: string | undefined, method: string, params: Record<string, unknown> = {}): RequestInit {
  return {
    method: 'POST',
    headers: token ? { ...MCP_HEADERS, authorization: `Bearer ${token}` } : MCP_HEADERS,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  };
}

async function oauthToken(userId: string): Promise<string> {
  const keys = await getKeySet(getConfig(env));
  return signAccessToken(keys, {
    issuer: ORIGIN,
    audience: `${ORIGIN}/mcp`,
    userId,
    clientId: 'bench-client',
    scope: 'mcp',
    grantId: `bench-grant-${crypto.randomUUID()}`,
    now: Math.floor(Date.now() / 1000),
    ttlSeconds: 3600,
  });
}

describe('hot path: storage operations per authenticated /mcp request', () => {
  it('authenticating an OAuth access token reads no D1 and at most one KV key (tools/list)', async () => {
    const user = await createUser();
    const token = await oauthToken(user.id);
    const app = instrumentedApp();
    await (await app.fetch('/mcp', mcp(token, 'tools/list'))).text();
    await app.settle();
    app.reset();
    const res = await app.fetch('/mcp', mcp(token, 'tools/list'));
    expect(res.status).toBe(200);
    await res.text();
    await app.settle();
    expect(app.counts.d1).toEqual([]);
    expect(app.counts.kvReads.length).toBeLessThanOrEqual(1);
    expect(app.counts.kvWrites).toEqual([]);
  });

  it('tools/call whoAmI with an OAuth token adds only the tool’s own account read, on every call', async () => {
    const user = await createUser();
    const token = await oauthToken(user.id);
    const app = instrumentedApp();
    // The same on every call: the account row is read each time, never remembered per isolate.
    for (let call = 0; call < 2; call++) {
      app.reset();
      const res = await app.fetch('/mcp', mcp(token, 'tools/call', { name: 'whoAmI', arguments: {} }));
      const body = (await res.json()) as {
        result?: { isError?: boolean; structuredContent?: { userId?: string } };
      };
      await app.settle();
      expect(res.status).toBe(200);
      expect(body.result?.isError).not.toBe(true);
      expect(body.result?.structuredContent?.userId).toBe(user.id);
      expect(app.counts.d1).toHaveLength(1);
      expect(app.counts.d1[0]).toMatch(/\bFROM users\b/i);
      expect(app.counts.kvReads.length).toBeLessThanOrEqual(1);
      expect(app.counts.kvWrites).toEqual([]);
    }
  });

  it('the same call in the 2026-07-28 shape costs the same: one account read, no other D1', async () => {
    const user = await createUser();
    const token = await oauthToken(user.id);
    const app = instrumentedApp();
    const res = await app.fetch('/mcp', {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'whoAmI',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {
          name: 'whoAmI',
          arguments: {},
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });
    const body = (await res.json()) as {
      result?: { resultType?: string; structuredContent?: { userId?: string } };
    };
    await app.settle();
    expect(body.result?.resultType).toBe('complete');
    expect(body.result?.structuredContent?.userId).toBe(user.id);
    expect(app.counts.d1).toHaveLength(1);
    expect(app.counts.d1[0]).toMatch(/\bFROM users\b/i);
    expect(app.counts.kvReads.length).toBeLessThanOrEqual(1);
    expect(app.counts.kvWrites).toEqual([]);
  });

  it('a request without a token touches no storage', async () => {
    const app = instrumentedApp();
    const res = await app.fetch('/mcp', mcp(undefined, 'tools/list'));
    expect(res.status).toBe(401);
    await res.text();
    expect(app.counts).toEqual({ d1: [], kvReads: [], kvWrites: [] });
  });

  it('a warm personal access token costs at most one KV read and no D1 (tools/list)', async () => {
    const user = await createUser({ verified: true });
    const created = await createPersonalAccessToken(
      env.DB,
      user.id,
      'bench',
      null,
      Math.floor(Date.now() / 1000),
    );
    if (!created.ok) throw new Error('could not create a personal access token');
    const app = instrumentedApp();
    // The first use fills the KV cache and records last_used_at off the hot path.
    await (await app.fetch('/mcp', mcp(created.token, 'tools/list'))).text();
    await app.settle();
    app.reset();
    const res = await app.fetch('/mcp', mcp(created.token, 'tools/list'));
    expect(res.status).toBe(200);
    await res.text();
    await app.settle();
    expect(app.counts.d1).toEqual([]);
    expect(app.counts.kvReads.length).toBeLessThanOrEqual(1);
  });
});
