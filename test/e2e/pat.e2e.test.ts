import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLike } from './helpers/browser-like';
import { type DevServer, startDevServer } from './helpers/dev-server';

/**
 * Personal access tokens the way a person gets and uses one: created through the pages with cookies,
 * then used by the MCP SDK client (no OAuth) on /mcp, by curl-like calls on REST v1 and the Action API,
 * and by the local stdio bridge; then revoked.
 */
let server: DevServer;
let token = '';
let browser: BrowserLike;

beforeAll(async () => {
  server = await startDevServer();
  browser = new BrowserLike(server.url);
  const email = `pat-e2e-${Date.now()}@example.com`;
  const password = 'a long e2e password';
  expect((await browser.signUp(email, password)).status).toBe(303);
  const link = new URL((await browser.mailTo(email))[0]!.links[0]!);
  const confirm = await browser.page(link.pathname + link.search);
  await browser.postForm('/verify-email', {
    token: link.searchParams.get('token')!,
    csrf_token: confirm.csrf,
  });
  const settings = await browser.page('/settings/api');
  const created = await browser.postForm('/settings/api/tokens', { name: 'e2e', csrf_token: settings.csrf });
  expect(created.status).toBe(201);
  token = /id="new-token"[^>]*value="(tskdp_[0-9A-Za-z]+)"/.exec(await created.text())?.[1] ?? '';
  expect(token).toMatch(/^tskdp_/);
});

afterAll(async () => {
  await server?.stop();
});

const bearer = () => ({ Authorization: `Bearer ${token}` });

async function revoke() {
  const page = await browser.page('/settings/api');
  const action = /action="(\/settings\/api\/tokens\/[^"]+\/revoke)"/.exec(page.html)?.[1];
  expect(action).toBeTruthy();
  expect((await browser.postForm(action!, { csrf_token: page.csrf })).status).toBe(303);
}

describe('a personal access token end to end', () => {
  it('drives /mcp with the MCP SDK client, and the data shows on REST v1 and the Action API', async () => {
    const client = new Client({ name: 'pat-e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: bearer() } }),
    );
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['listMyProjects', 'createProject', 'whoAmI']),
    );
    const created = await client.callTool({
      name: 'createProject',
      arguments: { title: 'Made over MCP with a PAT' },
    });
    expect(created.isError).not.toBe(true);
    await client.close();

    const v1 = await fetch(`${server.url}/api/v1/me/projects`, { headers: bearer() });
    expect(v1.status).toBe(200);
    expect(JSON.stringify(await v1.json())).toContain('Made over MCP with a PAT');
    const v2 = await fetch(`${server.url}/api/v2/listMyProjects`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(v2.status).toBe(200);
    expect(JSON.stringify(await v2.json())).toContain('Made over MCP with a PAT');
  });

  it('works through the stdio bridge (gatehouse-mcp) and reports a bad token clearly', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/gatehouse-mcp.mjs'],
      env: { GATEHOUSE_URL: server.url, GATEHOUSE_API_KEY: token, PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'bridge-e2e', version: '1.0.0' });
    await client.connect(transport);
    const result = await client.callTool({ name: 'listMyProjects', arguments: {} });
    expect(JSON.stringify(result)).toContain('Made over MCP with a PAT');
    await client.close();

    const bad = spawn(process.execPath, ['bin/gatehouse-mcp.mjs'], {
      env: { GATEHOUSE_URL: server.url, GATEHOUSE_API_KEY: 'not-a-token', PATH: process.env.PATH ?? '' },
    });
    let stderr = '';
    bad.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((r) => bad.on('exit', r));
    expect(code).toBe(1);
    expect(stderr).toContain('does not look like a personal access token');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('after revocation every surface answers 401, and the bridge says why', async () => {
    await revoke();
    const mcp = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        ...bearer(),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(mcp.status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/me/projects`, { headers: bearer() })).status).toBe(401);
    const v2 = await fetch(`${server.url}/api/v2/listMyProjects`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(v2.status).toBe(401);

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/gatehouse-mcp.mjs'],
      env: { GATEHOUSE_URL: server.url, GATEHOUSE_API_KEY: token, PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d) => {
      stderr += d;
    });
    const client = new Client({ name: 'bridge-e2e', version: '1.0.0' });
    await expect(client.connect(transport)).rejects.toThrow(/401|rejected the token/);
    await client.close().catch(() => {});
    expect(stderr).toContain('rejected the token (401)');
  });
});
