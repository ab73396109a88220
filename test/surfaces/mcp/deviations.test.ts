import { afterEach, describe, expect, it, vi } from 'vitest';
import { envelope, MODERN, mcpPostRaw, modernPost, rpc, signedInApp } from '../support';

/**
 * The client bugs /mcp tolerates on purpose (docs/protocol.md), each replayed as the client sends it,
 * and each logged as `mcp.deviation` with the client's self-reported name.
 */

interface RpcBody {
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

function captureDeviations() {
  const lines: Record<string, unknown>[] = [];
  vi.spyOn(console, 'warn').mockImplementation((line: unknown) => {
    const parsed = JSON.parse(String(line)) as Record<string, unknown>;
    if (parsed.event === 'mcp.deviation') lines.push(parsed);
  });
  return lines;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('/mcp deviation (a): a 2026-07-28 body under a 2025-11-25 header (claude-code#93290)', () => {
  it('serves the request by its body and logs the deviation with the client name', async () => {
    const deviations = captureDeviations();
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'tools/list', {
      clientName: 'claude-ai',
      headers: { 'mcp-protocol-version': '2025-11-25' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RpcBody;
    expect(body.result?.resultType).toBe('complete');
    expect(body.result?.cacheScope).toBe('private');
    expect(deviations).toEqual([
      expect.objectContaining({
        level: 'warn',
        rule: 'modern-body-legacy-header',
        client: 'claude-ai',
        header: '2025-11-25',
        body: MODERN,
      }),
    ]);
  });

  it('serves a tools/call the same way, still checking Mcp-Name against the body', async () => {
    captureDeviations();
    const { app, token } = await signedInApp('mcp');
    const ok = await modernPost(app, token, 'tools/call', {
      params: { name: 'whoAmI', arguments: {} },
      headers: { 'mcp-protocol-version': '2025-11-25' },
    });
    expect(((await ok.json()) as RpcBody).result?.resultType).toBe('complete');
    const forged = await modernPost(app, token, 'tools/call', {
      params: { name: 'deleteProject', arguments: { projectId: 'prj_x' } },
      headers: { 'mcp-protocol-version': '2025-11-25', 'mcp-name': 'whoAmI' },
    });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as RpcBody).error?.code).toBe(-32020);
  });

  it('is not extended to an unknown header version: that is a mismatch (-32020)', async () => {
    const deviations = captureDeviations();
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'tools/list', {
      headers: { 'mcp-protocol-version': '1999-01-01' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as RpcBody).error?.code).toBe(-32020);
    expect(deviations).toEqual([]);
  });
});

describe('/mcp deviation (b): a 2025-era request under a 2026-07-28 header (SparkyFitness#2155)', () => {
  it('serves initialize as the legacy handshake it is', async () => {
    const deviations = captureDeviations();
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPostRaw(
      app,
      token,
      rpc('initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'claude-ai', version: '1.0' },
      }),
      { 'mcp-protocol-version': MODERN },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as RpcBody).result?.protocolVersion).toBe('2025-11-25');
    expect(deviations).toEqual([
      expect.objectContaining({ rule: 'legacy-body-modern-header', client: 'claude-ai', header: MODERN }),
    ]);
  });

  it('serves a claim-less tools/call as a 2025-11-25 request (no resultType)', async () => {
    const deviations = captureDeviations();
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPostRaw(app, token, rpc('tools/call', { name: 'whoAmI', arguments: {} }), {
      'mcp-protocol-version': MODERN,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RpcBody;
    expect(body.result?.structuredContent).toBeDefined();
    expect(body.result?.resultType).toBeUndefined();
    expect(deviations).toHaveLength(1);
  });

  it('is not extended to server/discover, which has no legacy meaning (400 -32602 for a missing envelope)', async () => {
    const deviations = captureDeviations();
    const { app, token } = await signedInApp('mcp');
    for (const params of [{}, { _meta: { 'io.modelcontextprotocol/clientCapabilities': {} } }]) {
      const res = await mcpPostRaw(app, token, rpc('server/discover', params), {
        'mcp-protocol-version': MODERN,
        'mcp-method': 'server/discover',
      });
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(((await res.json()) as RpcBody).error?.code).toBe(-32602);
    }
    expect(deviations).toEqual([]);
  });

  it('refuses a legacy request whose Mcp-Name contradicts its body with -32020', async () => {
    captureDeviations();
    const { app, token } = await signedInApp('mcp');
    const cases: Record<string, string>[] = [
      { 'mcp-protocol-version': MODERN, 'mcp-name': 'whoAmI' },
      { 'mcp-protocol-version': '2025-11-25', 'mcp-name': 'whoAmI' },
      { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/list' },
      { 'mcp-protocol-version': '2025-11-25', 'mcp-name': '=?base64?not base64?=' },
    ];
    for (const headers of cases) {
      const res = await mcpPostRaw(
        app,
        token,
        rpc('tools/call', { name: 'deleteProject', arguments: { projectId: 'prj_x' } }),
        headers,
      );
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect(((await res.json()) as RpcBody).error?.code).toBe(-32020);
    }
  });

  it('accepts a legacy request whose mirrored headers agree with the body', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPostRaw(app, token, rpc('tools/call', { name: 'whoAmI', arguments: {} }), {
      'mcp-protocol-version': '2025-11-25',
      'mcp-method': 'tools/call',
      'mcp-name': '=?base64?d2hvQW1J?=',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as RpcBody).result?.structuredContent).toBeDefined();
  });
});

describe('/mcp deviation (c): a modern server/discover with no MCP headers (older bridges)', () => {
  it('answers 400 with a non-modern error so a dual-era client falls back to initialize', async () => {
    const deviations = captureDeviations();
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPostRaw(
      app,
      token,
      rpc('server/discover', { _meta: envelope({ clientName: 'old-bridge' }) }),
      {},
    );
    expect(res.status).toBe(400);
    const code = ((await res.json()) as RpcBody).error?.code;
    expect(code).toBe(-32600);
    expect([-32020, -32021, -32022]).not.toContain(code);
    expect(deviations).toEqual([
      expect.objectContaining({ rule: 'discover-without-headers', client: 'old-bridge' }),
    ]);
    // …and the fallback works through the same bridge: initialize without headers.
    const init = await mcpPostRaw(
      app,
      token,
      rpc('initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'b', version: '1' },
      }),
      {},
    );
    expect(((await init.json()) as RpcBody).result?.protocolVersion).toBe('2025-11-25');
  });

  it('stays strict for every other modern request without headers (-32020)', async () => {
    const deviations = captureDeviations();
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPostRaw(app, token, rpc('tools/list', { _meta: envelope() }), {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as RpcBody).error?.code).toBe(-32020);
    expect(deviations).toEqual([]);
  });

  it('stays strict for a discover that carries some MCP headers but not all (-32020)', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'server/discover', { headers: { 'mcp-method': null } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as RpcBody).error?.code).toBe(-32020);
  });
});
