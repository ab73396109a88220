import { env } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { getConfig } from '../../../src/config';
import { saveConnection } from '../../../src/gateway/connection-store';
import { seal, vaultFor } from '../../../src/gateway/vault';
import { signAccessToken } from '../../../src/tokens/access-token';
import { getKeySet } from '../../../src/tokens/keys';
import { NOT_REVOKED_MEMO_SECONDS } from '../../../src/tokens/revocation';
import { createUser, ORIGIN, TestClock } from '../../helpers/app';
import { type InstrumentedApp, instrumentedApp } from '../../helpers/storage-counts';
import { recordingFetch } from './helpers';
import { FIXTURE_BEARER } from './provided';

/**
 * The gateway's warm path, counted (issue 14, "Bench"; docs/benchmarks.md, "Gateway"): once an
 * isolate has met an upstream and a person, a `tools/call` routed to that upstream costs at most one
 * KV read (the token's revocation marker) and no D1 query, whatever the upstream's era or whether the
 * person's own credential is needed; a warm `tools/list` costs no D1 query and no upstream round trip.
 * Real upstreams (globalSetup), real local D1/KV behind counting bindings.
 */

const MCP = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

function legacyCall(token: string, method: string, params: Record<string, unknown>): RequestInit {
  return {
    method: 'POST',
    headers: { ...MCP, 'mcp-protocol-version': '2025-11-25', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  };
}

function modernCall(token: string, name: string, args: Record<string, unknown>): RequestInit {
  const params = {
    name,
    arguments: args,
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'hot-path', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  };
  return {
    method: 'POST',
    headers: {
      ...MCP,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params }),
  };
}

const upstreams = () => [
  {
    id: 'fixture',
    name: 'Fixture',
    url: `${inject('fixtureOrigin')}/mcp`,
    prefix: 'fx',
    auth: { type: 'none' },
  },
  {
    id: 'everything',
    name: 'Everything',
    url: inject('everythingUrl'),
    prefix: 'ev',
    auth: { type: 'none' },
  },
  {
    id: 'keyed',
    name: 'Keyed',
    url: `${inject('keyedFixtureOrigin')}/mcp`,
    prefix: 'keyed',
    auth: { type: 'api_key_per_user', scheme: 'Bearer' },
  },
];

async function setUp(fetcher?: typeof fetch) {
  const clock = new TestClock();
  const app = instrumentedApp({
    clock,
    env: {
      UPSTREAM_ALLOW_HTTP_LOOPBACK: 'true',
      GATEHOUSE_UPSTREAMS: JSON.stringify(upstreams()),
      // With operators the catalog also holds admin-added upstreams, read from D1 (remembered per isolate).
      ADMIN_EMAILS: 'operator@example.com',
    },
    ...(fetcher && { fetch: fetcher }),
  });
  const user = await createUser({ verified: true });
  const config = getConfig(app.env);
  const token = await signAccessToken(await getKeySet(config), {
    issuer: ORIGIN,
    audience: `${ORIGIN}/mcp`,
    userId: user.id,
    clientId: 'hot-path-client',
    scope: 'mcp',
    grantId: `hot-path-${crypto.randomUUID()}`,
    now: Math.floor(Date.now() / 1000),
    ttlSeconds: 3600,
  });
  // The person's own key for the keyed upstream, stored as connecting it would.
  await saveConnection(
    env.DB,
    {
      userId: user.id,
      upstreamId: 'keyed',
      kind: 'api_key',
      credential: await seal(
        await vaultFor(config.vaultKeys),
        { userId: user.id, upstreamId: 'keyed' },
        JSON.stringify({ t: 'api_key', key: FIXTURE_BEARER }),
      ),
      accountLabel: null,
      accessExpiresAt: null,
    },
    Math.floor(Date.now() / 1000),
  );
  return { app, token, clock };
}

interface Answer {
  result?: { isError?: boolean; content?: { type: string; text?: string }[]; tools?: { name: string }[] };
  error?: unknown;
}

async function answer(app: InstrumentedApp, init: RequestInit): Promise<Answer> {
  const res = await app.fetch('/mcp', init);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Answer;
  await app.settle();
  return body;
}

/**
 * Sends the request once to warm the isolate, then again counted, after the isolate's "not revoked"
 * memo has lapsed (the worst warm case: the token's revocation marker is read again); returns the
 * counted answer.
 */
async function warm(
  { app, clock }: { app: InstrumentedApp; clock: TestClock },
  init: () => RequestInit,
): Promise<Answer> {
  const first = await answer(app, init());
  expect(first.error).toBeUndefined();
  clock.advance(NOT_REVOKED_MEMO_SECONDS + 1);
  app.reset();
  return answer(app, init());
}

/** The one KV read left is the token's revocation marker; the gateway itself reads nothing. */
function expectWarmCost(app: InstrumentedApp): void {
  expect(app.counts.d1).toEqual([]);
  expect(app.counts.kvReads).toEqual([expect.stringMatching(/^get revoked:grant:/)]);
  expect(app.counts.kvWrites).toEqual([]);
}

describe('gateway warm path: storage per routed tools/call', () => {
  it('a 2026-07-28 upstream without auth: no D1, at most one KV read', async () => {
    const { app, token, clock } = await setUp();
    const body = await warm({ app, clock }, () => modernCall(token, 'fx__test_simple_text', {}));
    expect(body.result?.content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
    expectWarmCost(app);
  });

  it('a 2025-era upstream (server-everything): no D1, at most one KV read', async () => {
    const { app, token, clock } = await setUp();
    const body = await warm({ app, clock }, () =>
      legacyCall(token, 'tools/call', { name: 'ev__echo', arguments: { message: 'warm' } }),
    );
    expect(JSON.stringify(body.result?.content)).toContain('warm');
    expectWarmCost(app);
  });

  it("an upstream that needs the person's own key: no D1, at most one KV read", async () => {
    const { app, token, clock } = await setUp();
    const body = await warm({ app, clock }, () =>
      legacyCall(token, 'tools/call', { name: 'keyed__test_simple_text', arguments: {} }),
    );
    expect(body.result?.isError).toBeFalsy();
    expect(body.result?.content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
    expectWarmCost(app);
  });
});

describe('gateway warm path: tools/list', () => {
  it('costs no D1 query and no upstream round trip once the lists are cached', async () => {
    const recorder = recordingFetch();
    const { app, token, clock } = await setUp(recorder.fetch);
    const first = await answer(app, legacyCall(token, 'tools/list', {}));
    const upstreamRequests = recorder.seen.length;
    expect(upstreamRequests).toBeGreaterThan(0);
    clock.advance(NOT_REVOKED_MEMO_SECONDS + 1);
    app.reset();
    const body = await answer(app, legacyCall(token, 'tools/list', {}));
    expect(body.result?.tools?.map((t) => t.name)).toEqual(first.result?.tools?.map((t) => t.name));
    expect(body.result?.tools?.map((t) => t.name)).toEqual(
      expect.arrayContaining(['fx__test_simple_text', 'ev__echo', 'keyed__test_simple_text']),
    );
    expect(recorder.seen.length).toBe(upstreamRequests);
    expect(app.counts.d1).toEqual([]);
    // One sealed list per upstream, and the token's revocation marker.
    expect([...app.counts.kvReads].sort()).toEqual([
      expect.stringMatching(/^get gw:tools:v1:/),
      expect.stringMatching(/^get gw:tools:v1:/),
      expect.stringMatching(/^get gw:tools:v1:/),
      expect.stringMatching(/^get revoked:grant:/),
    ]);
    expect(app.counts.kvWrites).toEqual([]);
  });
});
