import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  Client,
  StreamableHTTPClientTransport,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_BEARER } from '../gateway/integration/provided';
import { type DevServer, freePort, startDevServer } from './helpers/dev-server';
import { approveAuthorization, createPerson, createPersonalAccessToken, type Person } from './helpers/person';
import { type RunningUpstream, startFixtureUpstream, startServerEverything } from './helpers/upstreams';

/**
 * The gateway end to end: a real `npm run dev` ("the gateway") with four real upstreams the test
 * starts on loopback — the fixture upstream (2026-07-28, no auth), a keyed copy of it (each person
 * pastes their own key), server-everything (a 2025-era server, no auth) and a SECOND Gatehouse
 * (`npm run dev` again, its own state) as an `oauth` upstream with its own accounts, registration
 * (the gateway's client ID metadata document) and consent. Real clients speak to the gateway: the v2
 * SDK client pinned to 2026-07-28 and in its legacy (2025) mode, and mcp-remote over stdio.
 */

/** The second Gatehouse issues 60 s access tokens: inside the gateway's 60 s refresh margin from the
 * start, so every use of the connection refreshes it there — expiry forced without waiting for it. */
const UPSTREAM_TOKEN_TTL = '60';

let gateway: DevServer;
let second: DevServer;
let fixture: RunningUpstream;
let keyed: RunningUpstream;
let everything: RunningUpstream;
/** One person: an account at the gateway, and their own account at the second Gatehouse. */
let person: Person;
let personThere: Person;
let pat: string;
const clients: Client[] = [];

/** The second Gatehouse and the gateway naming it as an `oauth` upstream, on ports chosen here. */
async function startPair(): Promise<[DevServer, DevServer]> {
  const [gatewayPort, secondPort] = await Promise.all([freePort(), freePort()]);
  const startSecond = () =>
    startDevServer({
      port: secondPort,
      vars: { CIMD_ALLOW_HTTP_LOOPBACK: 'true', ACCESS_TOKEN_TTL_SECONDS: UPSTREAM_TOKEN_TTL },
    });
  const startGateway = () =>
    startDevServer({
      port: gatewayPort,
      vars: {
        UPSTREAM_ALLOW_HTTP_LOOPBACK: 'true',
        GATEHOUSE_UPSTREAMS: JSON.stringify([
          { id: 'fixture', name: 'Fixture', url: fixture.url, prefix: 'fx', auth: { type: 'none' } },
          {
            id: 'keyed',
            name: 'Keyed',
            url: keyed.url,
            prefix: 'keyed',
            auth: { type: 'api_key_per_user', scheme: 'Bearer' },
          },
          { id: 'everything', name: 'Everything', url: everything.url, prefix: 'ev', auth: { type: 'none' } },
          {
            id: 'second',
            name: 'Second Gatehouse',
            url: `http://127.0.0.1:${secondPort}/mcp`,
            prefix: 'gh2',
            auth: { type: 'oauth' },
          },
        ]),
      },
    });
  // Both read the generated .dev.vars; on a fresh clone the first creates it, so they start in turn.
  if (!existsSync(new URL('../../.dev.vars', import.meta.url))) {
    const first = await startSecond();
    try {
      return [first, await startGateway()];
    } catch (error) {
      await first.stop();
      throw error;
    }
  }
  const started = await Promise.allSettled([startSecond(), startGateway()]);
  if (started[0].status === 'fulfilled' && started[1].status === 'fulfilled') {
    return [started[0].value, started[1].value];
  }
  await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  throw started.find((s) => s.status === 'rejected')!.reason;
}

beforeAll(async () => {
  [fixture, keyed, everything] = await Promise.all([
    startFixtureUpstream(),
    startFixtureUpstream({ bearer: FIXTURE_BEARER }),
    startServerEverything(),
  ]);
  // The ports are chosen before either server binds, since the gateway's configuration names the
  // second one; on this shared machine another process can take a port meanwhile, so try again then.
  for (let attempt = 1; ; attempt += 1) {
    try {
      [second, gateway] = await startPair();
      break;
    } catch (error) {
      if (attempt === 3 || !String(error).includes('Address already in use')) throw error;
    }
  }
  [person, personThere] = await Promise.all([
    createPerson(gateway.url, 'gateway'),
    createPerson(second.url, 'upstream'),
  ]);
  pat = await createPersonalAccessToken(person, 'gateway e2e');
}, 300_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await Promise.all([gateway?.stop(), second?.stop(), fixture?.stop(), keyed?.stop(), everything?.stop()]);
});

const require = createRequire(import.meta.url);
const mcpRemoteBin = join(dirname(require.resolve('mcp-remote/package.json')), 'dist', 'proxy.js');

type Mode = VersionNegotiationMode;
const MODERN: Mode = { pin: '2026-07-28' };
const LEGACY: Mode = 'legacy';

/**
 * A v2 SDK client on the gateway's /mcp with the person's token. `onUrl` answers URL elicitations
 * (declared only when given): it plays the person opening the link, then accepts.
 */
async function connect(mode: Mode, onUrl?: (url: string) => Promise<void>): Promise<Client> {
  const client = new Client(
    { name: `gateway-e2e-${typeof mode === 'string' ? mode : mode.pin}`, version: '1.0.0' },
    { versionNegotiation: { mode }, capabilities: onUrl ? { elicitation: { url: {} } } : {} },
  );
  if (onUrl) {
    client.setRequestHandler('elicitation/create', async (request) => {
      const params = request.params as { mode?: string; url?: string };
      expect(params.mode).toBe('url');
      await onUrl(params.url!);
      return { action: 'accept' };
    });
  }
  clients.push(client);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${pat}` } },
    }),
  );
  return client;
}

async function signedIn(p: Person): Promise<void> {
  if ((await p.browser.page('/')).html.includes(p.email)) return;
  const page = await p.browser.page('/login');
  const res = await p.browser.postForm('/login', {
    email: p.email,
    password: p.password,
    csrf_token: page.csrf,
  });
  expect(res.status).toBe(303);
}

/**
 * The person connects the second Gatehouse in the browser: the gateway's connect page → the second
 * Gatehouse's sign-in and consent (for the gateway's client ID metadata document) → the callback.
 */
async function connectSecondInBrowser(connectPage: string): Promise<void> {
  await signedIn(person);
  const path = new URL(connectPage).pathname;
  const page = await person.browser.page(path);
  expect(page.status).toBe(200);
  const started = await person.browser.postForm(`${path}/connect`, { csrf_token: page.csrf });
  expect(started.status).toBe(303);
  const authorize = new URL(started.headers.get('location')!);
  expect(authorize.origin + authorize.pathname).toBe(`${second.url}/oauth2/authorize`);
  expect(authorize.searchParams.get('client_id')).toBe(`${gateway.url}/gateway/client-metadata.json`);
  expect(authorize.searchParams.get('resource')).toBe(`${second.url}/mcp`);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  const callback = await approveAuthorization(personThere, authorize.href);
  expect(callback.origin + callback.pathname).toBe(`${gateway.url}/settings/connections/callback`);
  expect(callback.searchParams.get('iss')).toBe(second.url);
  const done = await person.browser.get(callback.pathname + callback.search);
  expect(done.status).toBe(303);
  expect(done.headers.get('location')).toContain('notice=connected');
}

interface Grant {
  client_id: string;
  first_used_at: string | null;
  last_used_at: string | null;
}

/** The person's grants at the second Gatehouse, as its own settings API shows them. */
async function grantsThere(): Promise<Grant[]> {
  await signedIn(personThere);
  const res = await personThere.browser.get('/api/v1/me/grants');
  expect(res.status).toBe(200);
  const body = (await res.json()) as { grants: Grant[] };
  return body.grants.filter((g) => g.client_id === `${gateway.url}/gateway/client-metadata.json`);
}

const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);
const text = (result: object) => JSON.stringify('content' in result ? result.content : result);

describe('the gateway through a real `npm run dev`, with real upstreams', () => {
  it('lists its own tools, each no-auth upstream’s under its prefix, and a connect tool for the others, in both eras', async () => {
    for (const mode of [MODERN, LEGACY]) {
      const listed = await names(await connect(mode));
      expect(listed).toEqual(
        expect.arrayContaining([
          'whoAmI',
          'fx__test_simple_text',
          'ev__echo',
          'keyed__connect',
          'gh2__connect',
        ]),
      );
      expect(listed.some((n) => n.startsWith('gh2__') && n !== 'gh2__connect')).toBe(false);
    }
  });

  it('routes calls to the no-auth upstreams in both eras, each client era to each upstream era', async () => {
    for (const mode of [MODERN, LEGACY]) {
      const client = await connect(mode);
      const simple = await client.callTool({ name: 'fx__test_simple_text', arguments: {} });
      expect(simple.content).toEqual([{ type: 'text', text: 'This is a simple text response for testing.' }]);
      const echo = await client.callTool({ name: 'ev__echo', arguments: { message: 'through the gateway' } });
      expect(echo.isError).toBeFalsy();
      expect(text(echo)).toContain('through the gateway');
    }
  });

  it('lazy consent, 2026-07-28: input_required with a URL elicitation, the person connects the second Gatehouse, the retry succeeds', async () => {
    const asked: string[] = [];
    const client = await connect(MODERN, async (url) => {
      asked.push(url);
      await connectSecondInBrowser(url);
    });
    // One call: the client's SDK answers the input_required round and retries with our requestState.
    const who = await client.callTool({ name: 'gh2__whoAmI', arguments: {} });
    expect(asked).toEqual([`${gateway.url}/settings/connections/second`]);
    expect(who.isError, text(who)).toBeFalsy();
    // The second Gatehouse answered as the person's own account there, through its own OAuth token.
    expect(text(who)).toContain(personThere.email);
    expect(text(who)).not.toContain(person.email);
    const listed = await names(client);
    expect(listed).toEqual(expect.arrayContaining(['gh2__whoAmI', 'gh2__createProject']));
    expect(listed).not.toContain('gh2__connect');
  });

  it('uses the connected upstream from a 2025 client too, and refreshes its token at the upstream', async () => {
    const [before] = await grantsThere();
    expect(before).toBeDefined();
    // A refresh is recorded at the second Gatehouse with one-second precision: let a second pass.
    await new Promise((r) => setTimeout(r, 1_100));
    const client = await connect(LEGACY);
    const created = await client.callTool({
      name: 'gh2__createProject',
      arguments: { title: 'Made through the gateway' },
    });
    expect(created.isError, text(created)).toBeFalsy();
    const listedThere = await client.callTool({ name: 'gh2__listMyProjects', arguments: {} });
    expect(text(listedThere)).toContain('Made through the gateway');
    const [after] = await grantsThere();
    // The same grant (no new consent), with tokens issued again since: refresh-token rotation there.
    expect(after!.first_used_at).toBe(before!.first_used_at);
    expect(Date.parse(after!.last_used_at!)).toBeGreaterThan(Date.parse(before!.last_used_at!));
  });

  it('lazy consent, 2025-11-25: the URL-elicitation-required error (-32042); once the key is pasted, the call goes through', async () => {
    const client = await connect(LEGACY);
    await expect(client.callTool({ name: 'keyed__test_simple_text', arguments: {} })).rejects.toMatchObject({
      code: -32042,
    });
    await signedIn(person);
    const page = await person.browser.page('/settings/connections/keyed');
    const saved = await person.browser.postForm('/settings/connections/keyed/connect', {
      csrf_token: page.csrf,
      api_key: FIXTURE_BEARER,
    });
    expect(saved.status).toBe(303);
    const simple = await client.callTool({ name: 'keyed__test_simple_text', arguments: {} });
    expect(simple.isError, text(simple)).toBeFalsy();
    expect(text(simple)).toContain('simple text response');
  });

  it('disconnecting revokes the grant at the second Gatehouse; the next call asks to connect again', async () => {
    expect(await grantsThere()).toHaveLength(1);
    await signedIn(person);
    const page = await person.browser.page('/settings/connections');
    const res = await person.browser.postForm('/settings/connections/second/disconnect', {
      csrf_token: page.csrf,
    });
    expect(res.status).toBe(303);
    expect(await grantsThere()).toEqual([]);
    const client = await connect(MODERN);
    // A client that declared no URL elicitation gets the link as a tool result.
    const again = await client.callTool({ name: 'gh2__whoAmI', arguments: {} });
    expect(again.isError).toBe(true);
    expect(text(again)).toContain(`${gateway.url}/settings/connections/second`);
    expect(await names(client)).toContain('gh2__connect');
  });

  it('mcp-remote over stdio reaches every upstream through the one URL', async () => {
    // mcp-remote with the person's token as a header (its own OAuth against /mcp is mcp-remote.e2e.test.ts).
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-gateway-mcp-remote-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [mcpRemoteBin, `${gateway.url}/mcp`, '--header', `Authorization:Bearer ${pat}`],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        MCP_REMOTE_CONFIG_DIR: join(home, '.mcp-auth'),
        BROWSER: 'true',
      },
      stderr: 'pipe',
    });
    const client = new V1Client({ name: 'gateway-e2e-mcp-remote', version: '1.0.0' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining([
          'whoAmI',
          'fx__test_simple_text',
          'ev__echo',
          'keyed__test_simple_text',
          'gh2__connect',
        ]),
      );
      const simple = await client.callTool({ name: 'fx__test_simple_text', arguments: {} });
      expect(simple.content).toEqual([{ type: 'text', text: 'This is a simple text response for testing.' }]);
      const echo = await client.callTool({ name: 'ev__echo', arguments: { message: 'via mcp-remote' } });
      expect(text(echo)).toContain('via mcp-remote');
      const key = await client.callTool({ name: 'keyed__test_simple_text', arguments: {} });
      expect(key.isError, text(key)).toBeFalsy();
    } finally {
      await client.close().catch(() => {});
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('an upstream killed mid-use: its calls become tool errors, /mcp keeps answering, the others are unaffected', async () => {
    const modern = await connect(MODERN);
    const legacy = await connect(LEGACY);
    expect(text(await modern.callTool({ name: 'ev__echo', arguments: { message: 'before' } }))).toContain(
      'before',
    );
    await everything.stop();
    for (const client of [modern, legacy]) {
      const dead = await client.callTool({ name: 'ev__echo', arguments: { message: 'after' } });
      expect(dead.isError).toBe(true);
      expect(text(dead)).toContain('Everything could not be reached');
      expect(await names(client)).toContain('fx__test_simple_text');
      const alive = await client.callTool({ name: 'fx__test_simple_text', arguments: {} });
      expect(alive.isError).toBeFalsy();
      const keyedAlive = await client.callTool({ name: 'keyed__test_simple_text', arguments: {} });
      expect(keyedAlive.isError).toBeFalsy();
    }
  });
});
