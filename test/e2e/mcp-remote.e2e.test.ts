import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, freePort, startDevServer } from './helpers/dev-server';
import { approveAuthorization, createPerson, type Person } from './helpers/person';

/**
 * mcp-remote, the stdio-to-remote proxy many desktop clients are configured with, run as a real
 * process: it discovers and registers on its own, prints the authorization URL, and waits on its own
 * loopback callback server. We play the person on that URL and let the redirect reach mcp-remote,
 * then speak MCP through its stdio.
 */
const require = createRequire(import.meta.url);
const mcpRemoteBin = join(dirname(require.resolve('mcp-remote/package.json')), 'dist', 'proxy.js');

let server: DevServer;
let person: Person;
let home: string;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startDevServer();
  person = await createPerson(server.url, 'mcp-remote');
  // mcp-remote keeps its registration and tokens in ~/.mcp-auth; give it a folder of its own.
  home = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-remote-'));
});

afterAll(async () => {
  // Closing the client ends the mcp-remote process (stdin closed, then SIGTERM, then SIGKILL).
  for (const client of clients) await client.close().catch(() => {});
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/**
 * Without a port, mcp-remote reuses the one of its stored registration, as on a person's machine.
 * `configDir` keeps one run's registration and tokens apart from another's.
 */
function launch(callbackPort?: number, extraArgs: string[] = [], configDir = join(home, '.mcp-auth')) {
  const port = callbackPort === undefined ? [] : [String(callbackPort)];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [mcpRemoteBin, `${server.url}/mcp`, ...port, '--auth-timeout', '90', ...extraArgs],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      MCP_REMOTE_CONFIG_DIR: configDir,
      // It tries to open a browser; make that a no-op, we are the browser.
      BROWSER: 'true',
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => {
    stderr += d;
  });
  const client = new Client({ name: 'mcp-remote-e2e', version: '1.0.0' });
  clients.push(client);
  return { client, transport, stderr: () => stderr };
}

async function waitFor<T>(what: string, probe: () => T | undefined, log: () => string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; mcp-remote said:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('mcp-remote as a real stdio client against the real `npm run dev`', () => {
  it('authorizes through its own loopback callback, then lists tools and calls whoAmI over stdio', async () => {
    const callbackPort = await freePort();
    const { client, transport, stderr } = launch(callbackPort);
    // mcp-remote answers `initialize` only once it is connected upstream, i.e. after the consent.
    const connected = client.connect(transport);
    connected.catch(() => {});

    const printed = await waitFor(
      'the authorization URL',
      () => /Please authorize this client by visiting:\s*(\S+)/.exec(stderr())?.[1],
      stderr,
    );
    const authorizationUrl = new URL(printed);
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${server.url}/oauth2/authorize`);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(
      `http://localhost:${callbackPort}/oauth/callback`,
    );
    expect(authorizationUrl.searchParams.get('resource')).toBe(`${server.url}/mcp`);
    // mcp-remote takes its scope from our 401 challenge.
    expect(authorizationUrl.searchParams.get('scope')).toBe('mcp');

    const callback = await approveAuthorization(person, printed);
    expect(`${callback.origin}${callback.pathname}`).toBe(`http://localhost:${callbackPort}/oauth/callback`);
    expect(callback.searchParams.get('iss')).toBe(server.url);
    expect(callback.searchParams.get('state')).toBe(authorizationUrl.searchParams.get('state'));
    const delivered = await fetch(callback);
    expect(delivered.status).toBe(200);
    expect(await delivered.text()).toContain('Authorization successful');

    await connected;
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['whoAmI', 'listMyProjects', 'createProject']),
    );
    const created = await client.callTool({
      name: 'createProject',
      arguments: { title: 'Made through mcp-remote' },
    });
    expect(created.isError).not.toBe(true);
    const who = await client.callTool({ name: 'whoAmI', arguments: {} });
    expect(who.isError).not.toBe(true);
    expect(JSON.stringify(who.content)).toContain(person.email);
    await client.close();

    // What it registered: DCR with `none`, its software id and our redirect.
    const dir = join(home, '.mcp-auth');
    const clientInfo = readdirSync(dir, { recursive: true, encoding: 'utf8' }).find((f) =>
      f.endsWith('_client_info.json'),
    );
    const registered = JSON.parse(readFileSync(join(dir, clientInfo!), 'utf8')) as Record<string, unknown>;
    expect(registered).toMatchObject({
      token_endpoint_auth_method: 'none',
      redirect_uris: [`http://localhost:${callbackPort}/oauth/callback`],
      client_name: 'MCP CLI Proxy',
      software_id: expect.any(String),
      software_version: '0.15.1',
      scope: 'mcp',
    });
    expect(registered.client_secret).toBeUndefined();
  });

  // `--protocol auto` spends one server/discover and stays in the 2025 era unless a 2026-07-28
  // server answers it (mcp-remote README, "Protocol Eras"); either way the local client is served.
  it('with --protocol auto: bare URL → OAuth → tools/list and tools/call over stdio', async () => {
    const callbackPort = await freePort();
    const { client, transport, stderr } = launch(
      callbackPort,
      ['--protocol', 'auto'],
      join(home, '.mcp-auth-auto'),
    );
    const connected = client.connect(transport);
    connected.catch(() => {});
    const printed = await waitFor(
      'the authorization URL',
      () => /Please authorize this client by visiting:\s*(\S+)/.exec(stderr())?.[1],
      stderr,
    );
    const callback = await approveAuthorization(person, printed);
    expect(`${callback.origin}${callback.pathname}`).toBe(`http://localhost:${callbackPort}/oauth/callback`);
    expect((await fetch(callback)).status).toBe(200);
    await connected;
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['whoAmI', 'createProject']));
    const who = await client.callTool({ name: 'whoAmI', arguments: {} });
    expect(who.isError).not.toBe(true);
    expect(JSON.stringify(who.content)).toContain(person.email);
    await client.close();
  });

  it('starts again from its stored tokens without asking the person', async () => {
    const { client, transport, stderr } = launch();
    await client.connect(transport);
    const projects = await client.callTool({ name: 'listMyProjects', arguments: {} });
    expect(JSON.stringify(projects.content)).toContain('Made through mcp-remote');
    await client.close();
    expect(stderr()).not.toContain('Please authorize this client');
  });
});
