import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/actions/registry';
import { callTool, MODERN, mcpPostRaw, modernPost, rpc, signedInApp } from '../support';

interface RpcBody {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: Record<string, unknown> };
  id?: unknown;
}

async function json(res: Response): Promise<RpcBody> {
  return (await res.json()) as RpcBody;
}

const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

describe('POST /mcp, 2026-07-28: server/discover', () => {
  it('answers with the supported versions, capabilities, server info and instructions, with no session', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'server/discover');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    const { result } = await json(res);
    expect(result?.resultType).toBe('complete');
    expect(result?.supportedVersions).toContain(MODERN);
    expect(result?.capabilities).toMatchObject({ tools: {}, resources: {} });
    expect(result?._meta).toHaveProperty([SERVER_INFO]);
    expect((result!._meta as Record<string, unknown>)[SERVER_INFO]).toMatchObject({ name: 'gatehouse' });
    expect(String(result?.instructions)).toContain('listMyProjects');
    expect(result).toMatchObject({ cacheScope: 'private', ttlMs: expect.any(Number) });
  });

  it('answers SSE when the client accepts only event streams', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'server/discover', { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await res.text()).toMatch(/data: \{.*"supportedVersions"/);
  });
});

describe('POST /mcp, 2026-07-28: results', () => {
  it('lists the registry tools with schemas and annotations, resultType and private caching hints', async () => {
    const { app, token } = await signedInApp('mcp');
    const { result } = await json(await modernPost(app, token, 'tools/list'));
    expect(result?.resultType).toBe('complete');
    expect(result).toMatchObject({ cacheScope: 'private', ttlMs: expect.any(Number) });
    const tools = result?.tools as {
      name: string;
      inputSchema: object;
      outputSchema: object;
      annotations: object;
    }[];
    expect(tools.map((t) => t.name)).toEqual(ACTIONS.map((a) => a.name));
    for (const tool of tools) {
      expect(tool.inputSchema).toMatchObject({ type: 'object' });
      expect(tool.outputSchema).toMatchObject({ type: 'object' });
      expect(tool.annotations).toMatchObject({ openWorldHint: false });
    }
  });

  it('calls a tool with structured content and resultType complete, never a caching hint', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'tools/call', {
      params: { name: 'createProject', arguments: { title: 'Modern' } },
    });
    expect(res.status).toBe(200);
    const { result } = await json(res);
    expect(result?.resultType).toBe('complete');
    expect(result?.structuredContent).toMatchObject({ project: { title: 'Modern' } });
    expect(result?.ttlMs).toBeUndefined();
    expect(result?._meta).toHaveProperty([SERVER_INFO]);
    expect((result!._meta as Record<string, unknown>)[SERVER_INFO]).toMatchObject({ name: 'gatehouse' });
  });

  it('lists and reads project resources with private caching hints', async () => {
    const { app, token } = await signedInApp('mcp');
    const created = await callTool(app, token, 'createProject', { title: 'Readable' });
    const id = (created.structuredContent!.project as { id: string }).id;
    for (const method of ['resources/list', 'resources/templates/list']) {
      const { result } = await json(await modernPost(app, token, method));
      expect(result, method).toMatchObject({
        resultType: 'complete',
        cacheScope: 'private',
        ttlMs: expect.any(Number),
      });
    }
    const read = await json(
      await modernPost(app, token, 'resources/read', { params: { uri: `gatehouse://projects/${id}` } }),
    );
    expect(read.result).toMatchObject({ resultType: 'complete', cacheScope: 'private' });
    expect(JSON.parse((read.result!.contents as { text: string }[])[0]!.text).project.id).toBe(id);
  });

  it('answers a resource that is not the caller’s with -32602 naming the URI (SEP-2164)', async () => {
    const { app, token } = await signedInApp('mcp');
    const uri = 'gatehouse://projects/prj_notyours';
    const { error } = await json(await modernPost(app, token, 'resources/read', { params: { uri } }));
    expect(error?.code).toBe(-32602);
    expect(error?.data).toEqual({ uri });
  });
});

describe('POST /mcp, 2026-07-28: reserved errors', () => {
  it('answers an unknown method with 404 and -32601', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'tools/explode');
    expect(res.status).toBe(404);
    expect((await json(res)).error?.code).toBe(-32601);
  });

  it('answers initialize inside a modern envelope as an unknown method', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'initialize', {
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    expect(res.status).toBe(404);
    expect((await json(res)).error?.code).toBe(-32601);
  });

  it('answers an unsupported version with 400 and -32022 listing the supported versions', async () => {
    const { app, token } = await signedInApp('mcp');
    for (const version of ['2099-01-01', '2026-01-01']) {
      const res = await modernPost(app, token, 'tools/list', { version });
      expect(res.status, version).toBe(400);
      const { error, id } = await json(res);
      expect(error?.code, version).toBe(-32022);
      expect(error?.data?.supported).toContain(MODERN);
      expect(error?.data?.requested).toBe(version);
      expect(id).not.toBeNull();
    }
  });

  // -32021 is never needed: no method we serve requires a client capability, and the one input we
  // ask for (confirmation.test.ts) is asked only of clients that declared it.
  it('refuses an envelope without client info and capabilities with 400 and -32602', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPostRaw(
      app,
      token,
      rpc('tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } }),
      { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
    );
    expect(res.status).toBe(400);
    expect((await json(res)).error?.code).toBe(-32602);
  });
});

describe('POST /mcp, 2026-07-28: request headers against the body (SEP-2243)', () => {
  it('refuses a missing or contradicting Mcp-Method with 400 and -32020', async () => {
    const { app, token } = await signedInApp('mcp');
    for (const headers of [{ 'mcp-method': null }, { 'mcp-method': 'tools/call' }]) {
      const res = await modernPost(app, token, 'tools/list', { headers });
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect((await json(res)).error?.code).toBe(-32020);
    }
  });

  it('refuses a tools/call whose Mcp-Name is missing or names another tool, and runs nothing', async () => {
    const { app, token } = await signedInApp('mcp');
    for (const name of [null, 'listMyProjects', '=?base64?bGlzdE15UHJvamVjdHM=?=', '=?base64?!!!?=']) {
      const res = await modernPost(app, token, 'tools/call', {
        params: { name: 'createProject', arguments: { title: 'Should not exist' } },
        headers: { 'mcp-name': name },
      });
      expect(res.status, String(name)).toBe(400);
      expect((await json(res)).error?.code, String(name)).toBe(-32020);
    }
    const listed = await callTool(app, token, 'listMyProjects', {});
    expect(listed.structuredContent?.projects).toEqual([]);
  });

  it('accepts a base64-encoded Mcp-Name that decodes to the body value', async () => {
    const { app, token } = await signedInApp('mcp');
    const uri = 'gatehouse://projects/prj_x y';
    const res = await modernPost(app, token, 'resources/read', { params: { uri } });
    expect(res.status).toBe(200);
    const { error } = await json(res);
    expect(error?.code).toBe(-32602);
    expect(error?.data).toEqual({ uri });
  });

  it('refuses a resources/read whose Mcp-Name names another URI with -32020', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'resources/read', {
      params: { uri: 'gatehouse://projects/prj_a' },
      headers: { 'mcp-name': 'gatehouse://projects/prj_b' },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error?.code).toBe(-32020);
  });

  it('refuses a modern body under another modern header version with -32020', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'tools/list', {
      headers: { 'mcp-protocol-version': '2099-01-01' },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error?.code).toBe(-32020);
  });
});

describe('POST /mcp, 2026-07-28: subscriptions/listen', () => {
  it('acknowledges with no notification types and ends the stream at once (we offer none)', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await modernPost(app, token, 'subscriptions/listen', {
      params: {
        notifications: { toolsListChanged: true, resourcesListChanged: true, resourceSubscriptions: ['x'] },
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: {} },
    });
    expect(events[1]).toMatchObject({ result: { resultType: 'complete' } });
  });
});

describe('POST /mcp, 2026-07-28: malformed params (-32602, short message)', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['tools/call', { name: 'createProject', arguments: ['title', 'x'] }],
    ['tools/call', { name: 'createProject', arguments: 'title' }],
    ['tools/call', { name: 42 }],
    ['resources/read', { uri: 42 }],
    ['resources/read', { uri: { href: 'gatehouse://projects/x' } }],
  ];
  for (const [method, params] of cases) {
    it(`answers ${method} ${JSON.stringify(params)} with -32602 and one sentence`, async () => {
      const { app, token } = await signedInApp('mcp');
      const res = await modernPost(app, token, method, { params });
      const { error } = await json(res);
      expect(error?.code).toBe(-32602);
      expect(error?.message).toMatch(/^Invalid params: [^\n]{1,80}$/);
      expect(error?.message).not.toMatch(/expected|received|invalid_type|\[/);
    });
  }
});
