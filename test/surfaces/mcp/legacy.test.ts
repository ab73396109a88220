import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/actions/registry';
import { MCP_BODY_LIMIT } from '../../../src/surfaces/mcp/routes';
import { createTestApp, ORIGIN } from '../../helpers/app';
import { callTool, mcpPost, rpc, signedInApp } from '../support';

const clientInfo = { name: 'test-client', version: '1.0.0' };

async function json(res: Response) {
  return (await res.json()) as {
    result?: Record<string, unknown>;
    error?: { code: number; message: string };
    id?: unknown;
  };
}

describe('POST /mcp: lifecycle (streamable HTTP, stateless)', () => {
  for (const version of ['2025-03-26', '2025-06-18', '2025-11-25']) {
    it(`negotiates protocol version ${version} and sets no session`, async () => {
      const { app, token } = await signedInApp('mcp');
      const res = await mcpPost(
        app,
        token,
        rpc('initialize', { protocolVersion: version, capabilities: {}, clientInfo }),
        { 'mcp-protocol-version': version },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('mcp-session-id')).toBeNull();
      const body = await json(res);
      expect(body.result?.protocolVersion).toBe(version);
      expect(body.result?.capabilities).toMatchObject({ tools: {}, resources: {} });
      expect(body.result?.serverInfo).toMatchObject({ name: 'gatehouse' });
      expect(String(body.result?.instructions)).toContain('listMyProjects');
    });
  }

  it('answers an unknown protocol version with the latest it supports', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPost(
      app,
      token,
      rpc('initialize', { protocolVersion: '1999-01-01', capabilities: {}, clientInfo }),
    );
    expect((await json(res)).result?.protocolVersion).toBe('2025-11-25');
  });

  it('refuses an unsupported MCP-Protocol-Version header with 400', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPost(app, token, rpc('ping'), { 'mcp-protocol-version': '1999-01-01' });
    expect(res.status).toBe(400);
  });

  it('answers ping without initialize (every request stands alone)', async () => {
    const { app, token } = await signedInApp('mcp');
    const body = await json(await mcpPost(app, token, rpc('ping')));
    expect(body.result).toEqual({});
  });

  it('accepts a notification with 202 and no body', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPost(app, token, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
  });

  it('serves /mcp/ exactly like /mcp, without a redirect', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPost(app, token, rpc('ping'), {}, '/mcp/');
    expect(res.status).toBe(200);
    expect((await json(res)).result).toEqual({});
  });
});

describe('POST /mcp: tools', () => {
  it('lists one tool per registry action with schemas, title and annotations', async () => {
    const { app, token } = await signedInApp('mcp');
    const body = await json(await mcpPost(app, token, rpc('tools/list')));
    const tools = body.result?.tools as {
      name: string;
      title: string;
      inputSchema: { type: string };
      outputSchema: { type: string };
      annotations: Record<string, unknown>;
    }[];
    expect(tools.map((t) => t.name)).toEqual(ACTIONS.map((a) => a.name));
    for (const tool of tools) {
      const action = ACTIONS.find((a) => a.name === tool.name)!;
      expect(tool.title).toBe(action.title);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema.type).toBe('object');
      expect(tool.annotations).toMatchObject({
        readOnlyHint: action.annotations.readOnly,
        destructiveHint: action.annotations.destructive,
        idempotentHint: action.annotations.idempotent,
        openWorldHint: false,
      });
    }
  });

  it('answers an unknown tool with JSON-RPC invalid params (-32602)', async () => {
    const { app, token } = await signedInApp('mcp');
    const body = await json(
      await mcpPost(app, token, rpc('tools/call', { name: 'dropTables', arguments: {} })),
    );
    expect(body.error?.code).toBe(-32602);
  });

  it('answers invalid arguments with an isError result naming the field', async () => {
    const { app, token } = await signedInApp('mcp');
    const hostile: Record<string, unknown>[] = [
      { title: '' },
      { title: 'x'.repeat(201) },
      { title: 42 },
      { title: 'ok', extra: true },
      { title: 'line\u0000break' },
      {},
    ];
    for (const args of hostile) {
      const result = await callTool(app, token, 'createProject', args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(result.content[0]?.text).toMatch(/\(validation_failed\)$/);
      expect(result.structuredContent).toBeUndefined();
    }
  });

  it('answers a missing record with an isError result, not a protocol error', async () => {
    const { app, token } = await signedInApp('mcp');
    const result = await callTool(app, token, 'getTask', { taskId: 'tsk_doesnotexist' });
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toBe('No task with that id in your workspace. (not_found)');
  });
});

describe('POST /mcp: resources', () => {
  it('lists projects as gatehouse:// resources and reads one with its tasks', async () => {
    const { app, token } = await signedInApp('mcp');
    const created = await callTool(app, token, 'createProject', { title: 'Res' });
    const project = created.structuredContent?.project as { id: string };
    await callTool(app, token, 'createTask', { projectId: project.id, text: 'one' });
    const templates = await json(await mcpPost(app, token, rpc('resources/templates/list')));
    expect(templates.result?.resourceTemplates).toEqual([
      expect.objectContaining({ uriTemplate: 'gatehouse://projects/{projectId}' }),
    ]);
    const list = await json(await mcpPost(app, token, rpc('resources/list')));
    expect(list.result?.resources).toEqual([
      expect.objectContaining({ uri: `gatehouse://projects/${project.id}` }),
    ]);
    const read = await json(
      await mcpPost(app, token, rpc('resources/read', { uri: `gatehouse://projects/${project.id}` })),
    );
    const contents = read.result?.contents as { text: string }[];
    const doc = JSON.parse(contents[0]!.text) as { project: { id: string }; tasks: { text: string }[] };
    expect(doc.project.id).toBe(project.id);
    expect(doc.tasks.map((t) => t.text)).toEqual(['one']);
  });

  // -32002 until 2025-11-25; the SDK sends 2026-07-28's -32602 (SEP-2164) in both eras.
  it('answers another user’s or a malformed resource URI with -32602 naming the URI', async () => {
    const owner = await signedInApp('mcp');
    const created = await callTool(owner.app, owner.token, 'createProject', { title: 'Mine' });
    const id = (created.structuredContent!.project as { id: string }).id;
    const intruder = await signedInApp('mcp');
    for (const uri of [`gatehouse://projects/${id}`, 'gatehouse://projects/../x', 'file:///etc/passwd']) {
      const body = await json(await mcpPost(intruder.app, intruder.token, rpc('resources/read', { uri })));
      expect(body.error?.code, uri).toBe(-32602);
      expect((body.error as { data?: unknown } | undefined)?.data, uri).toEqual({ uri });
      expect(JSON.stringify(body)).not.toContain('Mine');
    }
  });
});

describe('POST /mcp: malformed requests', () => {
  it('answers unparseable JSON with 400 and JSON-RPC parse error -32700', async () => {
    const { app, token } = await signedInApp('mcp');
    for (const body of [
      '{',
      'null',
      '"x"',
      '42',
      '{"jsonrpc":"2.0"}',
      '{"jsonrpc":"1.0","id":1,"method":"ping"}',
    ]) {
      const res = await mcpPost(app, token, body);
      expect(res.status, body).toBe(400);
      expect((await json(res)).error?.code, body).toBe(-32700);
    }
  });

  it('answers an unknown method with -32601', async () => {
    const { app, token } = await signedInApp('mcp');
    const body = await json(await mcpPost(app, token, rpc('tools/explode')));
    expect(body.error?.code).toBe(-32601);
  });

  it('refuses a body over the limit with 413', async () => {
    const { app, token } = await signedInApp('mcp');
    const big = JSON.stringify(
      rpc('tools/call', { name: 'createProject', arguments: { title: 'x'.repeat(MCP_BODY_LIMIT) } }),
    );
    const res = await mcpPost(app, token, big);
    expect(res.status).toBe(413);
  });

  it('refuses a body that is not application/json with 415', async () => {
    const { app, token } = await signedInApp('mcp');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const res = await mcpPost(app, token, JSON.stringify(rpc('ping')), { 'content-type': type });
      expect(res.status, type).toBe(415);
    }
  });

  it('answers JSON when the client accepts it, SSE when it only accepts event streams, 406 otherwise', async () => {
    const { app, token } = await signedInApp('mcp');
    const onlyJson = await mcpPost(app, token, rpc('ping'), { accept: 'application/json' });
    expect(onlyJson.status).toBe(200);
    expect(onlyJson.headers.get('content-type')).toMatch(/^application\/json/);
    const onlySse = await mcpPost(app, token, rpc('ping'), { accept: 'text/event-stream' });
    expect(onlySse.status).toBe(200);
    expect(onlySse.headers.get('content-type')).toBe('text/event-stream');
    const events = await onlySse.text();
    expect(events).toMatch(/^event: message\ndata: \{.*"result":\{\}.*\}\n/m);
    const html = await mcpPost(app, token, rpc('ping'), { accept: 'text/html' });
    expect(html.status).toBe(406);
  });
});

describe('/mcp: methods, Origin and CORS', () => {
  for (const method of ['GET', 'DELETE', 'PUT', 'PATCH']) {
    it(`answers ${method} with 405 and Allow: POST once authenticated`, async () => {
      const { app, token } = await signedInApp('mcp');
      const res = await app.fetch('/mcp', { method, headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    });
  }

  it('refuses a foreign Origin with 403 before looking at credentials (DNS rebinding)', async () => {
    const { app, token } = await signedInApp('mcp');
    for (const origin of ['http://evil.example.com', 'null', `${ORIGIN}.evil.com`, 'http://localhost:1']) {
      const res = await mcpPost(app, token, rpc('ping'), { origin });
      expect(res.status, origin).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    const anonymous = await mcpPost(app, undefined, rpc('ping'), { origin: 'http://evil.example.com' });
    expect(anonymous.status).toBe(403);
  });

  it('serves our own origin and ALLOWED_ORIGINS with CORS headers, including on a 401', async () => {
    const app = createTestApp({ env: { ALLOWED_ORIGINS: 'http://localhost:6274' } });
    const { token } = await signedInApp('mcp');
    for (const origin of [ORIGIN, 'http://localhost:6274']) {
      const ok = await mcpPost(app, token, rpc('ping'), { origin });
      expect(ok.status, origin).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
      expect(ok.headers.get('access-control-expose-headers')).toBe(
        'WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version',
      );
      const unauthorized = await mcpPost(app, undefined, rpc('ping'), { origin });
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.headers.get('access-control-allow-origin')).toBe(origin);
      expect(unauthorized.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    }
  });

  it('answers an allowed preflight with 204 and the MCP headers, without a token', async () => {
    const app = createTestApp({ env: { ALLOWED_ORIGINS: 'http://localhost:6274' } });
    const res = await app.fetch('/mcp', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:6274',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID',
    );
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const refused = await app.fetch('/mcp', {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example.com' },
    });
    expect(refused.status).toBe(403);
  });
});

describe('POST /mcp (2025 era): malformed params answer -32602 with a short message', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['tools/call', { name: 'createProject', arguments: ['title', 'x'] }],
    ['tools/call', { name: 'createProject', arguments: null }],
    ['tools/call', { arguments: {} }],
    ['resources/read', { uri: 42 }],
    ['resources/read', {}],
  ];
  for (const [method, params] of cases) {
    it(`answers ${method} ${JSON.stringify(params)} with -32602 and one sentence`, async () => {
      const { app, token } = await signedInApp('mcp');
      const res = await mcpPost(app, token, rpc(method, params));
      expect(res.status).toBe(200);
      const { error } = await json(res);
      expect(error?.code).toBe(-32602);
      expect(error?.message).toMatch(/^Invalid params: [^\n]{1,80}$/);
      expect(error?.message).not.toMatch(/expected|received|invalid_type|\[/);
    });
  }

  it('frames the error as an SSE event for a client that accepts only event streams', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPost(app, token, rpc('resources/read', { uri: 42 }), {
      accept: 'text/event-stream',
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await res.text()).toMatch(/^event: message\ndata: \{.*"code":-32602/);
  });
});
