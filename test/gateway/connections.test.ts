import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import type { Env } from '../../src/env';
import { findConnection } from '../../src/gateway/connection-store';
import { upstreamAccess } from '../../src/gateway/connections';
import type { OAuthClientEnv } from '../../src/gateway/upstream-oauth';
import { vaultFor } from '../../src/gateway/vault';
import { Browser, createTestApp, createUser, ORIGIN, type TestApp, TestClock } from '../helpers/app';
import { hiddenValue } from '../oauth/helpers';

/**
 * Gatehouse connecting to an `oauth` upstream, end to end in one isolate: the upstream is a second,
 * real Gatehouse app (its own issuer, accounts, consent and token endpoint, on the same local D1), and
 * every request between the two goes through the apps' injected fetch — nothing is stubbed.
 */

const UPSTREAM_ORIGIN = 'http://127.0.0.1:9911';
const UPSTREAM_MCP = `${UPSTREAM_ORIGIN}/mcp`;

interface Pair {
  gateway: TestApp;
  upstream: TestApp;
  clock: TestClock;
  seen: string[];
  route: typeof fetch;
}

function pair(auth: Record<string, unknown> = { type: 'oauth' }, upstreamEnv: Partial<Env> = {}): Pair {
  const clock = new TestClock();
  const seen: string[] = [];
  const apps: { gateway?: TestApp; upstream?: TestApp } = {};
  const route: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    seen.push(`${request.method} ${request.url}`);
    const url = new URL(request.url);
    if (url.origin === UPSTREAM_ORIGIN) return apps.upstream!.fetch(request);
    if (url.origin === ORIGIN) return apps.gateway!.fetch(request);
    throw new TypeError(`no route to ${url.origin}`);
  };
  apps.upstream = createTestApp({
    clock,
    fetch: route,
    env: { PUBLIC_URL: UPSTREAM_ORIGIN, CIMD_ALLOW_HTTP_LOOPBACK: 'true', ...upstreamEnv },
  });
  apps.gateway = createTestApp({
    clock,
    fetch: route,
    env: {
      UPSTREAM_ALLOW_HTTP_LOOPBACK: 'true',
      GATEHOUSE_UPSTREAMS: JSON.stringify([
        { id: 'team', name: 'Team', url: UPSTREAM_MCP, prefix: 'team', auth },
      ]),
    },
  });
  return { gateway: apps.gateway, upstream: apps.upstream, clock, seen, route };
}

async function signedIn(app: TestApp): Promise<{ browser: Browser; userId: string }> {
  const user = await createUser({ verified: true });
  const browser = new Browser(app);
  expect((await browser.signIn(user.email, user.password)).status).toBe(303);
  return { browser, userId: user.id };
}

async function clientEnv(p: Pair): Promise<OAuthClientEnv> {
  const config = getConfig(p.gateway.env);
  return {
    db: env.DB,
    vault: await vaultFor(config.vaultKeys),
    fetch: p.route,
    now: Math.floor(p.clock.now() / 1000),
    origin: ORIGIN,
    serviceName: 'Gatehouse',
    allowHttpLoopback: true,
  };
}

/** Starts connecting on the gateway, approves at the upstream, and returns the callback path. */
async function authorizeAtUpstream(person: Browser, upstreamPerson: Browser): Promise<string> {
  const page = await person.page('/settings/connections/team');
  expect(page.res.status).toBe(200);
  const start = await person.postForm('/settings/connections/team/connect', {
    csrf_token: page.csrf,
    return_to: '/',
  });
  expect(start.status).toBe(303);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.origin).toBe(UPSTREAM_ORIGIN);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('resource')).toBe(UPSTREAM_MCP);
  expect(authorize.searchParams.get('scope')).toBe('mcp');
  const consent = await upstreamPerson.page(authorize.pathname + authorize.search);
  expect(consent.res.status).toBe(200);
  const decided = await upstreamPerson.postForm('/oauth2/authorize', {
    request: hiddenValue(consent.html, 'request'),
    csrf_token: consent.csrf,
    decision: 'approve',
  });
  expect(decided.status).toBe(302);
  const callback = new URL(decided.headers.get('location')!);
  expect(callback.origin + callback.pathname).toBe(`${ORIGIN}/settings/connections/callback`);
  expect(callback.searchParams.get('iss')).toBe(UPSTREAM_ORIGIN);
  return callback.pathname + callback.search;
}

async function mcpToolsList(p: Pair, headers: Record<string, string>): Promise<Response> {
  return p.upstream.fetch(UPSTREAM_MCP, {
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
}

describe('connecting an oauth upstream (Gatehouse as an OAuth client)', () => {
  it('discovers, registers by metadata document, signs in with PKCE and stores a working credential', async () => {
    const p = pair();
    const { browser, userId } = await signedIn(p.gateway);
    const { browser: atUpstream } = await signedIn(p.upstream);
    const callback = await authorizeAtUpstream(browser, atUpstream);
    // The upstream fetched our client ID metadata document to learn who we are.
    expect(p.seen).toContain(`GET ${ORIGIN}/gateway/client-metadata.json`);
    const done = await browser.get(callback);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/settings/connections/team?notice=connected');
    const connection = await findConnection(env.DB, userId, 'team');
    expect(connection).toMatchObject({ kind: 'oauth', status: 'connected', version: 1 });
    // Sealed at rest: no token in the row.
    expect(connection!.credential).toMatch(/^v1\./);
    expect(connection!.credential).not.toMatch(/eyJ/);
    const access = await upstreamAccess(await clientEnv(p), getConfig(p.gateway.env).upstreams[0]!, userId);
    expect(access.ok).toBe(true);
    if (!access.ok) return;
    expect((await mcpToolsList(p, access.headers)).status).toBe(200);
    const list = await browser.page('/settings/connections');
    expect(list.html).toContain('Connected');
    expect(list.html).toContain('Disconnect');
  });

  it('refuses a replayed callback, and a callback in another session of the same person', async () => {
    const p = pair();
    const user = await createUser({ verified: true });
    const first = new Browser(p.gateway);
    const second = new Browser(p.gateway);
    await first.signIn(user.email, user.password);
    await second.signIn(user.email, user.password);
    const { browser: atUpstream } = await signedIn(p.upstream);
    const callback = await authorizeAtUpstream(first, atUpstream);
    const elsewhere = await second.get(callback);
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('started in another browser session');
    // The state was spent by that attempt: the rightful session cannot use it afterwards either.
    const replay = await first.get(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('expired or was already used');
    expect(await findConnection(env.DB, user.id, 'team')).toBeNull();
  });

  it('refuses a callback whose iss names another issuer (RFC 9207)', async () => {
    const p = pair();
    const { browser, userId } = await signedIn(p.gateway);
    const { browser: atUpstream } = await signedIn(p.upstream);
    const callback = new URL(await authorizeAtUpstream(browser, atUpstream), ORIGIN);
    callback.searchParams.set('iss', 'http://127.0.0.1:9999');
    const res = await browser.get(callback.pathname + callback.search);
    expect(res.status).toBe(400);
    expect(await findConnection(env.DB, userId, 'team')).toBeNull();
  });

  it('refreshes once before expiry even under parallel calls, and keeps working', async () => {
    const p = pair();
    const { browser, userId } = await signedIn(p.gateway);
    const { browser: atUpstream } = await signedIn(p.upstream);
    await browser.get(await authorizeAtUpstream(browser, atUpstream));
    const upstream = getConfig(p.gateway.env).upstreams[0]!;
    p.clock.advance(3600 - 30);
    const before = p.seen.filter((s) => s.endsWith('/oauth2/token')).length;
    const cenv = await clientEnv(p);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => upstreamAccess(cenv, upstream, userId)),
    );
    const refreshes = p.seen.filter((s) => s.endsWith('/oauth2/token')).length - before;
    expect(refreshes).toBe(1);
    expect(results.every((r) => r.ok)).toBe(true);
    const connection = await findConnection(env.DB, userId, 'team');
    expect(connection?.version).toBe(2);
    // Past the old token's life, the refreshed credential still reaches the upstream.
    p.clock.advance(60);
    const later = await upstreamAccess(await clientEnv(p), upstream, userId);
    expect(later.ok).toBe(true);
    if (later.ok) expect((await mcpToolsList(p, later.headers)).status).toBe(200);
  });

  it('marks the connection "needs reconnect" when the upstream refuses the refresh (invalid_grant)', async () => {
    const p = pair();
    const { browser, userId } = await signedIn(p.gateway);
    const { browser: atUpstream } = await signedIn(p.upstream);
    await browser.get(await authorizeAtUpstream(browser, atUpstream));
    // The person ends Gatehouse's access at the upstream (its connected-apps page).
    const apps = await atUpstream.page('/settings/apps');
    const revokeAction = /action="(\/settings\/apps\/grants\/[^"]+\/revoke)"/.exec(apps.html)?.[1];
    expect(revokeAction).toBeTruthy();
    expect((await atUpstream.postForm(revokeAction!, { csrf_token: apps.csrf })).status).toBe(303);
    p.clock.advance(3600);
    const access = await upstreamAccess(await clientEnv(p), getConfig(p.gateway.env).upstreams[0]!, userId);
    expect(access).toEqual({ ok: false, failure: 'needs_reconnect' });
    expect((await findConnection(env.DB, userId, 'team'))?.status).toBe('needs_reconnect');
    expect((await browser.page('/settings/connections')).html).toContain('Needs reconnecting');
  });

  it('disconnecting revokes at the upstream (RFC 7009) and deletes the credential', async () => {
    const p = pair();
    const { browser, userId } = await signedIn(p.gateway);
    const { browser: atUpstream } = await signedIn(p.upstream);
    await browser.get(await authorizeAtUpstream(browser, atUpstream));
    const access = await upstreamAccess(await clientEnv(p), getConfig(p.gateway.env).upstreams[0]!, userId);
    if (!access.ok) throw new Error('not connected');
    const page = await browser.page('/settings/connections');
    const res = await browser.postForm('/settings/connections/team/disconnect', { csrf_token: page.csrf });
    expect(res.status).toBe(303);
    expect(p.seen).toContain(`POST ${UPSTREAM_ORIGIN}/oauth2/revoke`);
    expect(await findConnection(env.DB, userId, 'team')).toBeNull();
    // The grant is over at the upstream, so even the access token it issued stops working there.
    expect((await mcpToolsList(p, access.headers)).status).toBe(401);
  });

  it('falls back to dynamic client registration when the upstream takes no metadata documents', async () => {
    // An operator whose upstream cannot reach our document asks for registration instead.
    const p = pair({ type: 'oauth', registration: 'dynamic' });
    const { browser, userId } = await signedIn(p.gateway);
    const { browser: atUpstream } = await signedIn(p.upstream);
    const page = await browser.page('/settings/connections/team');
    const start = await browser.postForm('/settings/connections/team/connect', { csrf_token: page.csrf });
    expect(start.status).toBe(303);
    expect(p.seen).toContain(`POST ${UPSTREAM_ORIGIN}/oauth2/register`);
    const clientId = new URL(start.headers.get('location')!).searchParams.get('client_id');
    expect(clientId).not.toContain('client-metadata');
    const reg = await env.DB.prepare(
      'SELECT client_id FROM upstream_clients WHERE upstream_id = ? AND issuer = ?',
    )
      .bind('team', UPSTREAM_ORIGIN)
      .first<{ client_id: string }>();
    expect(reg?.client_id).toBe(clientId);
    // The registered client completes the flow, and a second person reuses the registration.
    const consent = await atUpstream.page(
      new URL(start.headers.get('location')!).pathname + new URL(start.headers.get('location')!).search,
    );
    const decided = await atUpstream.postForm('/oauth2/authorize', {
      request: hiddenValue(consent.html, 'request'),
      csrf_token: consent.csrf,
      decision: 'approve',
    });
    const callback = new URL(decided.headers.get('location')!);
    expect((await browser.get(callback.pathname + callback.search)).status).toBe(303);
    expect(await findConnection(env.DB, userId, 'team')).toMatchObject({ status: 'connected' });
    const { browser: second } = await signedIn(p.gateway);
    const page2 = await second.page('/settings/connections/team');
    const start2 = await second.postForm('/settings/connections/team/connect', { csrf_token: page2.csrf });
    expect(new URL(start2.headers.get('location')!).searchParams.get('client_id')).toBe(clientId);
    expect(p.seen.filter((s) => s.endsWith('/oauth2/register'))).toHaveLength(1);
  });

  it('"sign out everywhere" and account deletion revoke every connection at its upstream', async () => {
    for (const [path, fields] of [
      ['/settings/sign-out-everywhere', {}],
      ['/settings/account/delete', { confirm: 'delete my account', password: 'correct horse battery' }],
    ] as const) {
      const p = pair();
      const { browser, userId } = await signedIn(p.gateway);
      const { browser: atUpstream } = await signedIn(p.upstream);
      await browser.get(await authorizeAtUpstream(browser, atUpstream));
      expect(await findConnection(env.DB, userId, 'team')).not.toBeNull();
      const page = await browser.page('/settings/account');
      const res = await browser.postForm(path, { csrf_token: page.csrf, ...fields });
      expect(res.status).toBe(303);
      expect(p.seen).toContain(`POST ${UPSTREAM_ORIGIN}/oauth2/revoke`);
      expect(await findConnection(env.DB, userId, 'team')).toBeNull();
    }
  });

  it('refuses a connect without the CSRF token, and an unknown server with 404', async () => {
    const p = pair();
    const { browser } = await signedIn(p.gateway);
    expect((await browser.postForm('/settings/connections/team/connect', {})).status).toBe(403);
    expect((await browser.get('/settings/connections/nope')).status).toBe(404);
  });
});

describe('connecting an api_key_per_user upstream', () => {
  it('stores the pasted key sealed and sends it in the configured header', async () => {
    const p = pair({ type: 'api_key_per_user', header: 'X-Api-Key' });
    const { browser, userId } = await signedIn(p.gateway);
    const page = await browser.page('/settings/connections/team');
    expect(page.html).toContain('Your API key for Team');
    const short = await browser.postForm('/settings/connections/team/connect', {
      csrf_token: page.csrf,
      api_key: 'x',
    });
    expect(short.status).toBe(400);
    const res = await browser.postForm('/settings/connections/team/connect', {
      csrf_token: page.csrf,
      api_key: 'sk-live-0123456789abcdef',
    });
    expect(res.status).toBe(303);
    const row = await findConnection(env.DB, userId, 'team');
    expect(row).toMatchObject({ kind: 'api_key', accountLabel: 'key …cdef' });
    expect(row!.credential).not.toContain('0123456789');
    const access = await upstreamAccess(await clientEnv(p), getConfig(p.gateway.env).upstreams[0]!, userId);
    expect(access).toEqual({ ok: true, headers: { 'X-Api-Key': 'sk-live-0123456789abcdef' } });
  });

  it('answers not_connected for someone who has not connected', async () => {
    const p = pair({ type: 'api_key_per_user' });
    const other = await createUser({ verified: true });
    const access = await upstreamAccess(await clientEnv(p), getConfig(p.gateway.env).upstreams[0]!, other.id);
    expect(access).toEqual({ ok: false, failure: 'not_connected' });
  });
});
