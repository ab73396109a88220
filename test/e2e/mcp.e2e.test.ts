import { auth, type OAuthClientProvider, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLike, hiddenField } from './helpers/browser-like';
import { type DevServer, startDevServer } from './helpers/dev-server';

/**
 * A real MCP client against a real `npm run dev`: the SDK's Client with its streamable-HTTP transport
 * and OAuth provider starts from the bare /mcp URL, gets challenged, discovers, registers, and we play
 * the person's browser on the sign-up and consent pages. Then every tool is called, the token is
 * refreshed, the grant is revoked, and the same workspace is read over REST v1 and the Action API.
 */
class RecordingProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  stored: OAuthTokens | undefined;
  verifier = '';
  pendingAuthorization: URL | undefined;
  refreshes = 0;

  constructor(
    readonly redirect: string,
    readonly scope?: string,
  ) {}

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Gatehouse MCP e2e',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(this.scope ? { scope: this.scope } : {}),
    };
  }

  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.stored;
  }
  saveTokens(tokens: OAuthTokens) {
    if (this.stored) this.refreshes += 1;
    this.stored = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.pendingAuthorization = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'tokens') this.stored = undefined;
    if (scope === 'all' || scope === 'client') this.client = undefined;
  }
}

/** Opens the authorization URL in the signed-in browser, approves, returns the code. */
async function approve(browser: BrowserLike, url: URL): Promise<string> {
  const consent = await browser.get(url.href);
  expect(consent.status).toBe(200);
  const html = await consent.text();
  const decision = await browser.postForm('/oauth2/authorize', {
    request: hiddenField(html, 'request')!.replace(/&amp;/g, '&'),
    csrf_token: hiddenField(html, 'csrf_token')!,
    decision: 'approve',
  });
  expect(decision.status).toBe(302);
  const callback = new URL(decision.headers.get('location')!);
  return callback.searchParams.get('code')!;
}

type Structured = Record<string, Record<string, unknown> & { id: string }>;

describe('an MCP client against the real `npm run dev`', () => {
  let server: DevServer;
  let browser: BrowserLike;
  const provider = new RecordingProvider('http://127.0.0.1:45890/callback');
  let client: Client;
  let mcpUrl: URL;
  let projectId = '';

  beforeAll(async () => {
    server = await startDevServer();
    browser = new BrowserLike(server.url);
    mcpUrl = new URL(`${server.url}/mcp`);
  });

  afterAll(async () => {
    await client?.close().catch(() => {});
    await server?.stop();
  });

  function connect(): Promise<void> {
    client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
    return client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
  }

  async function call(name: string, args: Record<string, unknown>): Promise<Structured> {
    const result = await client.callTool({ name, arguments: args });
    expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
    return result.structuredContent as Structured;
  }

  it('starts from the bare URL, is challenged, and completes OAuth', async () => {
    await expect(connect()).rejects.toBeInstanceOf(UnauthorizedError);
    const url = provider.pendingAuthorization!;
    expect(url.origin + url.pathname).toBe(`${server.url}/oauth2/authorize`);
    // The 401 challenge's scope is what the client asks for.
    expect(url.searchParams.get('scope')).toBe('mcp');
    expect(url.searchParams.get('resource')).toBe(mcpUrl.href);

    const email = `mcp-e2e-${Date.now().toString(36)}@example.com`;
    expect((await browser.signUp(email, 'an end-to-end password')).status).toBe(303);
    const code = await approve(browser, url);
    const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
    await transport.finishAuth(code);
    expect(provider.stored?.scope).toBe('mcp');
    await connect();
    expect(client.getServerVersion()?.name).toBe('gatehouse');
    expect(client.getInstructions()).toContain('listMyProjects');
  });

  it('lists every tool with its schemas and annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'completeTask',
        'createProject',
        'createTask',
        'deleteProject',
        'deleteTask',
        'getProject',
        'getTask',
        'listMyProjects',
        'listTasks',
        'moveTask',
        'reopenTask',
        'searchTasks',
        'updateProject',
        'updateTask',
        'whoAmI',
      ].sort(),
    );
    for (const tool of tools) {
      expect(tool.outputSchema?.type).toBe('object');
      expect(typeof tool.annotations?.readOnlyHint).toBe('boolean');
    }
  });

  it('calls every tool; the client checks each structured result against its output schema', async () => {
    expect((await call('whoAmI', {})).tokenKind).toBe('oauth');
    const { project } = await call('createProject', { title: 'Launch', description: 'From the e2e client' });
    projectId = project!.id;
    const scratch = (await call('createProject', { title: 'Scratch' })).project!.id;
    expect((await call('getProject', { projectId })).project!.title).toBe('Launch');
    expect((await call('updateProject', { projectId, title: 'Launch v2' })).project!.title).toBe('Launch v2');
    expect(((await call('listMyProjects', {})).projects as unknown as { id: string }[]).length).toBe(2);
    const first = (
      await call('createTask', { projectId, text: 'Write the announcement', dueDate: '2030-01-01' })
    ).task!;
    const second = (await call('createTask', { projectId, text: 'Ship it' })).task!;
    const third = (await call('createTask', { projectId, text: 'Throwaway' })).task!;
    expect((await call('getTask', { taskId: first.id })).task!.text).toBe('Write the announcement');
    expect((await call('updateTask', { taskId: first.id, notes: 'Keep it short' })).task!.notes).toBe(
      'Keep it short',
    );
    expect((await call('completeTask', { taskId: second.id })).task!.done).toBe(true);
    expect((await call('reopenTask', { taskId: second.id })).task!.done).toBe(false);
    expect((await call('completeTask', { taskId: second.id })).task!.done).toBe(true);
    const open = (await call('listTasks', { projectId, status: 'open' })).tasks as unknown as {
      id: string;
    }[];
    expect(open.map((t) => t.id)).toEqual([first.id, third.id]);
    const found = (await call('searchTasks', { query: 'announcement' })).tasks as unknown as { id: string }[];
    expect(found.map((t) => t.id)).toEqual([first.id]);
    expect((await call('moveTask', { taskId: third.id, projectId: scratch })).task!.projectId).toBe(scratch);
    expect((await call('deleteTask', { taskId: third.id })).deleted).toBe(true);
    expect((await call('deleteProject', { projectId: scratch })).deleted).toBe(true);

    const missing = await client.callTool({ name: 'getProject', arguments: { projectId: scratch } });
    expect(missing.isError).toBe(true);
  });

  it('refreshes its token when the access token stops working, and carries on', async () => {
    const before = provider.stored!;
    // Stand-in for expiry (the dev server's clock cannot be moved): the server answers 401
    // invalid_token exactly as for an expired token, and the SDK must take the refresh path.
    provider.stored = { ...before, access_token: `${before.access_token.slice(0, -4)}AAAA` };
    const refreshesBefore = provider.refreshes;
    expect((await call('whoAmI', {})).tokenKind).toBe('oauth');
    expect(provider.refreshes).toBe(refreshesBefore + 1);
    expect(provider.stored!.access_token).not.toBe(before.access_token);
    expect(provider.stored!.refresh_token).not.toBe(before.refresh_token);
  });

  it('sees the same workspace over REST v1 and the Action API with a token for `api`', async () => {
    const apiProvider = new RecordingProvider('http://127.0.0.1:45891/callback', 'api');
    expect(await auth(apiProvider, { serverUrl: mcpUrl, scope: 'api' })).toBe('REDIRECT');
    const code = await approve(browser, apiProvider.pendingAuthorization!);
    expect(await auth(apiProvider, { serverUrl: mcpUrl, scope: 'api', authorizationCode: code })).toBe(
      'AUTHORIZED',
    );
    const token = apiProvider.stored!.access_token;
    expect(apiProvider.stored!.scope).toBe('api');
    const headers = { authorization: `Bearer ${token}` };

    const v1 = await fetch(`${server.url}/api/v1/me/projects`, { headers });
    expect(v1.status).toBe(200);
    const listed = (await v1.json()) as { ok: boolean; projects: { id: string; title: string }[] };
    expect(listed.projects.map((p) => [p.id, p.title])).toEqual([[projectId, 'Launch v2']]);
    const tasks = (await (
      await fetch(`${server.url}/api/v1/projects/${projectId}/tasks`, { headers })
    ).json()) as {
      tasks: { text: string; done: boolean }[];
    };
    expect(tasks.tasks.map((t) => [t.text, t.done])).toEqual([
      ['Write the announcement', false],
      ['Ship it', true],
    ]);

    const v2 = await fetch(`${server.url}/api/v2/getProject`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId }),
    });
    expect(await v2.json()).toMatchObject({
      ok: true,
      result: { project: { id: projectId, title: 'Launch v2' } },
    });

    // The mcp-only token is refused on the API, and the api-only token on /mcp.
    const mcpOnly = await fetch(`${server.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${provider.stored!.access_token}` },
    });
    expect(mcpOnly.status).toBe(403);
    const apiOnMcp = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(apiOnMcp.status).toBe(403);
    expect(apiOnMcp.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('gets 401 as soon as its grant is revoked', async () => {
    const tokens = provider.stored!;
    const revoke = await fetch(`${server.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: tokens.refresh_token!,
        token_type_hint: 'refresh_token',
        client_id: provider.client!.client_id,
      }),
    });
    expect(revoke.status).toBe(200);
    const raw = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp", scope="mcp"`,
    );
    // The SDK client cannot refresh a revoked grant either: it is sent back to authorization.
    await expect(client.callTool({ name: 'whoAmI', arguments: {} })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });
});
