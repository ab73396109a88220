import { env } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { getConfig } from '../../../src/config';
import { saveConnection } from '../../../src/gateway/connection-store';
import { forgetAccess } from '../../../src/gateway/connections';
import { seal, vaultFor } from '../../../src/gateway/vault';
import { createTestApp, createUser, type TestApp } from '../../helpers/app';
import { mcpPost, mintAccessToken, modernPost, rpc } from '../../surfaces/support';
import { FIXTURE_BEARER } from './provided';

/**
 * /mcp as a gateway, end to end in workerd: Gatehouse's own tools beside the tools of real upstream
 * MCP servers started on loopback by the globalSetup (the modern-era fixture, a keyed copy of it, and
 * server-everything, a 2025-era server), reached through the person's token in both eras.
 */

interface RpcBody {
  result?: Record<string, unknown> & { tools?: { name: string; title?: string }[] };
  error?: { code: number; message: string; data?: unknown };
}

function gatewayApp(upstreams: unknown[]): TestApp {
  return createTestApp({
    env: { UPSTREAM_ALLOW_HTTP_LOOPBACK: 'true', GATEHOUSE_UPSTREAMS: JSON.stringify(upstreams) },
  });
}

const fixture = (extra: Record<string, unknown> = {}) => ({
  id: 'fixture',
  name: 'Fixture',
  url: `${inject('fixtureOrigin')}/mcp`,
  prefix: 'fx',
  auth: { type: 'none' },
  ...extra,
});
const keyed = () => ({
  id: 'keyed',
  name: 'Keyed',
  url: `${inject('keyedFixtureOrigin')}/mcp`,
  prefix: 'keyed',
  auth: { type: 'api_key_per_user', scheme: 'Bearer' },
});
const everything = () => ({
  id: 'everything',
  name: 'Everything',
  url: inject('everythingUrl'),
  prefix: 'ev',
  auth: { type: 'none' },
});

async function person(app: TestApp) {
  const user = await createUser({ verified: true });
  const token = await mintAccessToken(app, { userId: user.id, scope: 'mcp' });
  return { user, token };
}

/** What connecting the keyed upstream in the browser stores: the person's key, sealed. */
async function connectKeyed(app: TestApp, userId: string): Promise<void> {
  const vault = await vaultFor(getConfig(app.env).vaultKeys);
  const credential = JSON.stringify({ t: 'api_key', key: FIXTURE_BEARER });
  await saveConnection(
    env.DB,
    {
      userId,
      upstreamId: 'keyed',
      kind: 'api_key',
      credential: await seal(vault, { userId, upstreamId: 'keyed' }, credential),
      accountLabel: null,
      accessExpiresAt: null,
    },
    Math.floor(Date.now() / 1000),
  );
}

async function body(res: Response): Promise<RpcBody> {
  expect(res.status).toBe(200);
  return (await res.json()) as RpcBody;
}

const names = (b: RpcBody) => (b.result?.tools ?? []).map((t) => t.name);

describe('/mcp as a gateway: one list of every tool', () => {
  it('lists our own tools and each upstream tool under <prefix>__<name>, in both eras', async () => {
    const app = gatewayApp([fixture(), everything()]);
    const { token } = await person(app);
    const legacy = await body(await mcpPost(app, token, rpc('tools/list')));
    expect(names(legacy)).toEqual(
      expect.arrayContaining(['listMyProjects', 'fx__test_simple_text', 'ev__echo']),
    );
    const fx = legacy.result?.tools?.find((t) => t.name === 'fx__test_simple_text');
    expect(fx?.title).toMatch(/^Fixture: /);
    const modern = await body(await modernPost(app, token, 'tools/list'));
    expect(names(modern)).toEqual(names(legacy));
    expect(modern.result?.cacheScope).toBe('private');
    expect(modern.result?.ttlMs).toBe(60_000);
  });

  it('routes a call to its upstream and returns what it returned, in both eras', async () => {
    const app = gatewayApp([fixture(), everything()]);
    const { token } = await person(app);
    const legacy = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'fx__test_simple_text', arguments: {} })),
    );
    expect(legacy.result?.content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
    const modern = await body(
      await modernPost(app, token, 'tools/call', {
        params: { name: 'ev__echo', arguments: { message: 'hi there' } },
      }),
    );
    expect(JSON.stringify(modern.result?.content)).toContain('hi there');
    const image = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'fx__test_image_content', arguments: {} })),
    );
    expect(image.result?.content).toEqual([
      { type: 'image', data: expect.stringMatching(/^iVBOR/), mimeType: 'image/png' },
    ]);
    const failing = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'fx__test_error_handling', arguments: {} })),
    );
    expect(failing.result?.isError).toBe(true);
  });

  it('answers an unknown upstream tool with -32602, as the upstream did', async () => {
    const app = gatewayApp([fixture()]);
    const { token } = await person(app);
    const res = await body(await mcpPost(app, token, rpc('tools/call', { name: 'fx__nope', arguments: {} })));
    expect(res.error?.code).toBe(-32602);
    const unrouted = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'zz__nope', arguments: {} })),
    );
    expect(unrouted.error?.code).toBe(-32602);
  });

  it('turns an upstream that is down into a tool error and a skipped list entry, never a 5xx', async () => {
    const app = gatewayApp([
      fixture(),
      { ...fixture(), id: 'down', name: 'Down', prefix: 'down', url: 'http://127.0.0.1:9/mcp' },
    ]);
    const { token } = await person(app);
    const list = await body(await mcpPost(app, token, rpc('tools/list')));
    expect(names(list)).toContain('fx__test_simple_text');
    expect((list.result?._meta as Record<string, unknown> | undefined)?.['io.gatehouse/skipped']).toEqual([
      { upstream: 'down', reason: expect.stringContaining('Down could not be reached') },
    ]);
    const call = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'down__anything', arguments: {} })),
    );
    expect(call.result?.isError).toBe(true);
    expect(JSON.stringify(call.result?.content)).toContain('Down could not be reached');
  });

  it('reads upstream resources through rewritten URIs and gets upstream prompts', async () => {
    const app = gatewayApp([fixture()]);
    const { token } = await person(app);
    const list = await body(await mcpPost(app, token, rpc('resources/list')));
    const uris = ((list.result?.resources as { uri: string }[]) ?? []).map((r) => r.uri);
    expect(uris).toContain('gatehouse-upstream://fx/test://static-text');
    const read = await body(
      await mcpPost(app, token, rpc('resources/read', { uri: 'gatehouse-upstream://fx/test://static-text' })),
    );
    const contents = read.result?.contents as { uri: string; text?: string }[];
    expect(contents[0]?.uri).toBe('gatehouse-upstream://fx/test://static-text');
    expect(contents[0]?.text).toBeTruthy();
    const prompts = await body(await mcpPost(app, token, rpc('prompts/list')));
    expect(((prompts.result?.prompts as { name: string }[]) ?? []).map((p) => p.name)).toContain(
      'fx__test_simple_prompt',
    );
    const prompt = await body(
      await mcpPost(app, token, rpc('prompts/get', { name: 'fx__test_simple_prompt' })),
    );
    expect(Array.isArray(prompt.result?.messages)).toBe(true);
  });

  it("keeps an unprefixed upstream's names, and withholds one that would shadow our own tool", async () => {
    const app = gatewayApp([{ ...fixture(), prefix: '' }]);
    const { token } = await person(app);
    const list = await body(await mcpPost(app, token, rpc('tools/list')));
    expect(names(list)).toEqual(expect.arrayContaining(['listMyProjects', 'test_simple_text']));
    const call = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'test_simple_text', arguments: {} })),
    );
    expect(call.result?.content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
  });
});

describe('/mcp as a gateway: lazy consent for upstreams that need a connection', () => {
  it("offers one connect tool until the person connects, then the upstream's tools", async () => {
    const app = gatewayApp([keyed()]);
    const { user, token } = await person(app);
    const before = await body(await mcpPost(app, token, rpc('tools/list')));
    expect(names(before)).toContain('keyed__connect');
    expect(names(before)).not.toContain('keyed__test_simple_text');
    await connectKeyed(app, user.id);
    forgetAccess(user.id, 'keyed');
    const after = await body(await mcpPost(app, token, rpc('tools/list')));
    expect(names(after)).toContain('keyed__test_simple_text');
    expect(names(after)).not.toContain('keyed__connect');
    const call = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'keyed__test_simple_text', arguments: {} })),
    );
    expect(call.result?.isError).toBeFalsy();
    // The connections page learns of the use after the response (deferred, throttled).
    await expect
      .poll(
        async () =>
          (
            await env.DB.prepare(
              'SELECT last_used_at FROM upstream_connections WHERE user_id = ? AND upstream_id = ?',
            )
              .bind(user.id, 'keyed')
              .first<{ last_used_at: number | null }>()
          )?.last_used_at,
      )
      .toBeTypeOf('number');
  });

  it('asks a 2026-07-28 client with URL elicitation to connect (input_required), and the retry succeeds once connected', async () => {
    const app = gatewayApp([keyed()]);
    const { user, token } = await person(app);
    const capabilities = { elicitation: { url: {} } };
    const first = await body(
      await modernPost(app, token, 'tools/call', {
        capabilities,
        params: { name: 'keyed__test_simple_text', arguments: {} },
      }),
    );
    expect(first.result?.resultType).toBe('input_required');
    const requests = first.result?.inputRequests as
      | Record<string, { method: string; params: { mode: string; url: string } }>
      | undefined;
    const request = requests?.connect;
    expect(request?.method).toBe('elicitation/create');
    expect(request?.params.mode).toBe('url');
    expect(request?.params.url).toBe('http://localhost/settings/connections/keyed');
    const state = first.result?.requestState as string;
    expect(state).toBeTruthy();
    // The person connects in the browser (here: the stored key), then the client retries.
    await connectKeyed(app, user.id);
    const retry = await body(
      await modernPost(app, token, 'tools/call', {
        capabilities,
        params: {
          name: 'keyed__test_simple_text',
          arguments: {},
          requestState: state,
          inputResponses: { connect: { action: 'accept' } },
        },
      }),
    );
    expect(retry.result?.resultType).toBe('complete');
    expect(retry.result?.content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
  });

  it('gives a 2025-11-25 client the URL-elicitation-required error, and older clients a tool result with the link', async () => {
    const app = gatewayApp([keyed()]);
    const { token } = await person(app);
    const latest = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'keyed__test_simple_text', arguments: {} })),
    );
    expect(latest.error?.code).toBe(-32042);
    expect(JSON.stringify(latest.error?.data)).toContain('/settings/connections/keyed');
    const older = await body(
      await mcpPost(app, token, rpc('tools/call', { name: 'keyed__connect', arguments: {} }), {
        'mcp-protocol-version': '2025-06-18',
      }),
    );
    expect(older.result?.isError).toBe(true);
    expect(JSON.stringify(older.result?.content)).toContain('http://localhost/settings/connections/keyed');
  });
});
