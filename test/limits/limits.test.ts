import { describe, expect, it } from 'vitest';
import { Browser, createTestApp, createUser, sessionCookieFor } from '../helpers/app';
import { apiCall, mcpPost, rpc, signedInApp } from '../surfaces/support';

/**
 * Limits: rate limits on password reset, token, revocation and authorize (sign-in, sign-up and
 * registration are proven in test/accounts and test/oauth/register.test.ts), body size on every route
 * that reads a body, oversized headers, and JSON-RPC batches on /mcp.
 */

/** The wall-clock minute the local rate limiter counts in. */
const rateWindow = () => Math.floor(Date.now() / 60_000);

let ipCounter = 0;
function limitIp(): string {
  ipCounter += 1;
  return `2001:db8:11:${(Date.now() % 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::${ipCounter.toString(16)}`;
}

/**
 * Sends `limit + 1` requests from one fresh address inside one rate-limit window (a run that
 * straddles a minute boundary is repeated with a new address) and returns the responses.
 */
async function overTheLimit(limit: number, send: (ip: string) => Promise<Response>): Promise<Response[]> {
  for (let round = 0; round < 3; round++) {
    const start = rateWindow();
    const ip = limitIp();
    const responses: Response[] = [];
    for (let i = 0; i <= limit; i++) responses.push(await send(ip));
    if (rateWindow() === start) return responses;
  }
  throw new Error('three rate-limit windows rolled over during the test');
}

async function expectOAuthLimited(res: Response) {
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe('60');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
}

describe('rate limits', () => {
  it('POST /oauth2/token: 600 a minute per address, then 429 temporarily_unavailable with Retry-After', async () => {
    const app = createTestApp();
    const responses = await overTheLimit(600, (ip) =>
      app.fetch('/oauth2/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': ip },
        body: 'grant_type=password',
      }),
    );
    expect(responses.slice(0, 600).every((r) => r.status === 400)).toBe(true);
    await expectOAuthLimited(responses[600]!);
  });

  it('POST /oauth2/revoke shares the token endpoint limit', async () => {
    const app = createTestApp();
    const responses = await overTheLimit(600, (ip) =>
      app.fetch('/oauth2/revoke', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': ip },
        body: 'token=x',
      }),
    );
    expect(responses.slice(0, 600).every((r) => r.status === 401)).toBe(true);
    await expectOAuthLimited(responses[600]!);
  });

  it('GET /oauth2/authorize: 300 a minute per address, then a 429 page with Retry-After', async () => {
    const app = createTestApp();
    const responses = await overTheLimit(300, (ip) =>
      app.fetch('/oauth2/authorize?client_id=nobody', { headers: { 'cf-connecting-ip': ip } }),
    );
    expect(responses.slice(0, 300).every((r) => r.status === 400)).toBe(true);
    const limited = responses[300]!;
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('POST /forgot-password: 5 a minute per address, then a 429 page, and no sixth mail', async () => {
    const app = createTestApp();
    const browser = new Browser(app);
    const { csrf } = await browser.page('/forgot-password');
    const user = await createUser();
    const responses = await overTheLimit(5, (ip) =>
      browser.request('/forgot-password', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': ip },
        body: new URLSearchParams({ email: `${Math.random()}-${user.email}`, csrf_token: csrf }).toString(),
      }),
    );
    expect(responses.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(responses[5]!.status).toBe(429);
    expect(responses[5]!.headers.get('retry-after')).toBe('60');
    expect(responses[5]!.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('POST /forgot-password: 5 a minute per account, from any address', async () => {
    const app = createTestApp();
    const user = await createUser();
    const responses = await overTheLimit(5, async () => {
      const browser = new Browser(app);
      const { csrf } = await browser.page('/forgot-password');
      return browser.request('/forgot-password', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': limitIp() },
        body: new URLSearchParams({ email: user.email, csrf_token: csrf }).toString(),
      });
    });
    expect(responses.slice(0, 5).every((r) => r.status === 200)).toBe(true);
    expect(responses[5]!.status).toBe(429);
  });
});

/** A body of `size` bytes sent as a stream, so no Content-Length tells the size up front. */
function streamed(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const chunk = new Uint8Array(Math.min(16 * 1024, size - sent)).fill(0x61);
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

describe('request body limits', () => {
  const FORM = 'application/x-www-form-urlencoded';
  const JSON_TYPE = 'application/json';
  const routes: { path: string; type: string; auth: 'none' | 'session' | 'bearer'; method?: string }[] = [
    { path: '/signup', type: FORM, auth: 'none' },
    { path: '/login', type: FORM, auth: 'none' },
    { path: '/logout', type: FORM, auth: 'none' },
    { path: '/forgot-password', type: FORM, auth: 'none' },
    { path: '/reset-password', type: FORM, auth: 'none' },
    { path: '/verify-email', type: FORM, auth: 'none' },
    { path: '/verify-email/resend', type: FORM, auth: 'none' },
    { path: '/oauth2/authorize', type: FORM, auth: 'none' },
    { path: '/oauth2/token', type: FORM, auth: 'none' },
    { path: '/oauth2/revoke', type: FORM, auth: 'none' },
    { path: '/oauth2/register', type: JSON_TYPE, auth: 'none' },
    { path: '/settings/api/tokens', type: FORM, auth: 'session' },
    { path: '/settings/account/password', type: FORM, auth: 'session' },
    { path: '/settings/account/delete', type: FORM, auth: 'session' },
    { path: '/settings/sign-out-everywhere', type: FORM, auth: 'session' },
    { path: '/settings/apps', type: FORM, auth: 'session' },
    { path: '/mcp', type: JSON_TYPE, auth: 'bearer' },
    { path: '/api/v2/createProject', type: JSON_TYPE, auth: 'bearer' },
    { path: '/api/v1/projects', type: JSON_TYPE, auth: 'bearer' },
  ];
  for (const route of routes) {
    it(`${route.method ?? 'POST'} ${route.path} refuses 1 MiB (streamed, no Content-Length) with 413`, async () => {
      const { app, token, user } = await signedInApp('mcp api');
      const headers: Record<string, string> = {
        'content-type': route.type,
        accept: 'application/json, text/event-stream',
        'cf-connecting-ip': limitIp(),
      };
      if (route.auth === 'bearer') headers.authorization = `Bearer ${token}`;
      if (route.auth === 'session') headers.cookie = await sessionCookieFor(user.id);
      const res = await app.fetch(
        new Request(`http://localhost${route.path}`, {
          method: route.method ?? 'POST',
          headers,
          body: streamed(1024 * 1024),
          duplex: 'half',
        } as RequestInit),
      );
      expect(res.status).toBe(413);
    });
  }

  it('POST /api/v1/me/tokens refuses an oversized JSON body with 413', async () => {
    const app = createTestApp();
    const user = await createUser({ verified: true });
    const browser = new Browser(app);
    browser.setCookie(await sessionCookieFor(user.id));
    const { csrf_token } = (await (await browser.get('/api/v1/me/session')).json()) as { csrf_token: string };
    const res = await browser.request('/api/v1/me/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token },
      body: JSON.stringify({ name: 'x'.repeat(100_000) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});

describe('header limits', () => {
  for (const size of [8 * 1024 + 1, 64 * 1024]) {
    it(`an Authorization header of ${size} bytes is a 401, never a 500, on every Bearer surface`, async () => {
      const { app } = await signedInApp();
      const huge = `Bearer ${'A'.repeat(size)}`;
      const mcp = await mcpPost(app, undefined, rpc('ping'), { authorization: huge });
      expect(mcp.status).toBe(401);
      expect(mcp.headers.get('www-authenticate')).toMatch(/^Bearer /);
      for (const [method, path] of [
        ['GET', '/api/v1/me/projects'],
        ['POST', '/api/v2/listMyProjects'],
      ] as const) {
        const res = await apiCall(app, undefined, method, path, method === 'POST' ? {} : undefined, {
          authorization: huge,
        });
        expect(res.status, path).toBe(401);
        expect(((await res.json()) as { ok: boolean }).ok).toBe(false);
      }
      const basic = await app.fetch('/oauth2/token', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${'A'.repeat(size)}`,
          'cf-connecting-ip': limitIp(),
        },
        body: 'grant_type=refresh_token&refresh_token=x',
      });
      expect(basic.status).toBe(401);
      expect(((await basic.json()) as { error: string }).error).toBe('invalid_client');
    });
  }

  it('a 16 KiB session cookie is ignored (signed out), never a 500', async () => {
    const app = createTestApp();
    const res = await app.fetch('/settings/api', {
      headers: { cookie: `__Host-gh_session=${'A'.repeat(16 * 1024)}` },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login/);
  });
});

describe('POST /mcp: JSON-RPC batches', () => {
  it('answers each member of a batch under 2025-03-26, which allows batching', async () => {
    const { app, token } = await signedInApp('mcp');
    const ping = rpc('ping');
    const list = rpc('tools/list');
    const res = await mcpPost(app, token, [ping, list], { 'mcp-protocol-version': '2025-03-26' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: number; result?: unknown }[];
    expect(body.map((m) => m.id).sort()).toEqual([ping.id, list.id].sort());
    expect(body.every((m) => m.result !== undefined)).toBe(true);
  });

  it('does not let a batch act for another person', async () => {
    const owner = await signedInApp('mcp');
    const other = await signedInApp('mcp');
    const res = await mcpPost(
      other.app,
      other.token,
      [rpc('tools/call', { name: 'whoAmI', arguments: {} })],
      {
        'mcp-protocol-version': '2025-03-26',
      },
    );
    const text = await res.text();
    expect(text).toContain(other.user.id);
    expect(text).not.toContain(owner.user.id);
  });

  // 2025-06-18 removed JSON-RPC batching; the SDK transport still serves arrays whatever the
  // negotiated version, so one request can carry thousands of tool calls (bounded only by the
  // 256 KiB body limit). Recorded as a gap in docs/security.md; this test flips when it is fixed.
  it('refuses a 2025-03-26 batch of more than 20 messages, and a batch without a version header is 2025-03-26', async () => {
    const { app, token } = await signedInApp('mcp');
    const big = Array.from({ length: 21 }, () => rpc('ping'));
    const refused = await mcpPost(app, token, big, { 'mcp-protocol-version': '2025-03-26' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(-32600);
    const small = await app.fetch('/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify([rpc('ping'), rpc('ping')]),
    });
    expect(small.status).toBe(200);
    expect(((await small.json()) as unknown[]).length).toBe(2);
  });

  it('refuses a batch under 2025-06-18 and later', async () => {
    const { app, token } = await signedInApp('mcp');
    const res = await mcpPost(app, token, [rpc('ping'), rpc('ping')], {
      'mcp-protocol-version': '2025-11-25',
    });
    expect(res.status).toBe(400);
  });
});
