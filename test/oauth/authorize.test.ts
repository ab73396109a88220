import { describe, expect, it } from 'vitest';
import { revokeGrant } from '../../src/oauth/grant-store';
import { Browser, createTestApp, createUser } from '../helpers/app';
import {
  approve,
  authorizePath,
  env,
  hiddenValue,
  ISSUER,
  MCP_URL,
  pkcePair,
  registerClient,
  signedInBrowser,
} from './helpers';

async function setup(overrides: Record<string, unknown> = {}) {
  const app = createTestApp();
  const client = await registerClient(app, overrides);
  const { browser, userId } = await signedInBrowser(app);
  const { challenge, verifier } = await pkcePair();
  const base = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0]!,
    state: 'xyz',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  return { app, client, browser, userId, challenge, verifier, base };
}

async function grantCount(userId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM oauth_grants WHERE user_id = ?')
    .bind(userId)
    .first<{ n: number }>();
  return row!.n;
}

describe('GET /oauth2/authorize — phase 1 (RFC 6749 §4.1.2.1): never redirect before the redirect URI is trusted', () => {
  const cases: [string, (b: Record<string, string>) => Record<string, string | undefined>][] = [
    ['missing client_id', (b) => ({ ...b, client_id: undefined })],
    ['unknown client_id', (b) => ({ ...b, client_id: 'no-such-client' })],
    ['missing redirect_uri', (b) => ({ ...b, redirect_uri: undefined })],
    [
      'unregistered redirect_uri (CVE-2025-4143)',
      (b) => ({ ...b, redirect_uri: 'https://attacker.example/cb' }),
    ],
    [
      'redirect_uri with another path',
      (b) => ({ ...b, redirect_uri: 'https://client.example/callback/evil' }),
    ],
    ['redirect_uri with extra query', (b) => ({ ...b, redirect_uri: 'https://client.example/callback?x=1' })],
    ['redirect_uri differing in case', (b) => ({ ...b, redirect_uri: 'https://CLIENT.example/callback' })],
    [
      'redirect_uri with a trailing slash',
      (b) => ({ ...b, redirect_uri: 'https://client.example/callback/' }),
    ],
    ['redirect_uri as javascript:', (b) => ({ ...b, redirect_uri: 'javascript:alert(1)' })],
  ];
  for (const [name, mutate] of cases) {
    it(`shows an error page for ${name}`, async () => {
      const { browser, base, userId } = await setup();
      const res = await browser.get(authorizePath(mutate(base)));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await grantCount(userId)).toBe(0);
    });
  }

  it('refuses a repeated redirect_uri with a page', async () => {
    const { browser, base } = await setup();
    const res = await browser.get(
      `${authorizePath(base)}&redirect_uri=${encodeURIComponent('https://attacker.example/cb')}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('does not auto-approve to an unregistered redirect URI after an earlier approval (CVE-2025-4143)', async () => {
    const { browser, base, challenge, client } = await setup();
    await approve(browser, { clientId: client.client_id, redirectUri: base.redirect_uri, challenge });
    const res = await browser.get(authorizePath({ ...base, redirect_uri: 'https://attacker.example/cb' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('never reflects hostile input unescaped on the error page', async () => {
    const { browser, base } = await setup();
    const payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
    for (const params of [
      { ...base, client_id: payload },
      { ...base, redirect_uri: `https://client.example/${payload}` },
    ]) {
      const res = await browser.get(authorizePath(params));
      const html = await res.text();
      expect(res.status).toBe(400);
      expect(html).not.toContain('<script>alert(1)');
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('onerror=alert');
    }
  });
});

describe('RFC 8252 §7.3 loopback redirect URIs', () => {
  it('accepts any port on a registered loopback redirect URI', async () => {
    const { browser, client, challenge } = await setup({ redirect_uris: ['http://localhost/callback'] });
    const location = await approve(browser, {
      clientId: client.client_id,
      redirectUri: 'http://localhost:53124/callback',
      challenge,
    });
    expect(location.origin).toBe('http://localhost:53124');
    expect(location.searchParams.get('code')).toBeTruthy();
  });

  for (const uri of [
    'http://127.0.0.1:53124/callback',
    'http://localhost:53124/other',
    'https://localhost/callback',
  ]) {
    it(`does not stretch the rule to ${uri}`, async () => {
      const { browser, base } = await setup({ redirect_uris: ['http://localhost/callback'] });
      const res = await browser.get(authorizePath({ ...base, redirect_uri: uri }));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    });
  }
});

describe('GET /oauth2/authorize — phase 2 errors redirect with error, state and iss', () => {
  const cases: [string, (b: Record<string, string>) => Record<string, string | undefined>, string][] = [
    ['a missing response_type', (b) => ({ ...b, response_type: undefined }), 'invalid_request'],
    ['response_type=token', (b) => ({ ...b, response_type: 'token' }), 'unsupported_response_type'],
    ['a missing code_challenge', (b) => ({ ...b, code_challenge: undefined }), 'invalid_request'],
    ['code_challenge_method=plain', (b) => ({ ...b, code_challenge_method: 'plain' }), 'invalid_request'],
    [
      'a missing code_challenge_method (plain by default)',
      (b) => ({ ...b, code_challenge_method: undefined }),
      'invalid_request',
    ],
    ['a malformed code_challenge', (b) => ({ ...b, code_challenge: 'short' }), 'invalid_request'],
    ['another resource', (b) => ({ ...b, resource: 'https://other.example/mcp' }), 'invalid_target'],
    ['a resource on another path', (b) => ({ ...b, resource: `${MCP_URL}-other` }), 'invalid_target'],
    ['a resource with a query', (b) => ({ ...b, resource: `${MCP_URL}?x=1` }), 'invalid_target'],
  ];
  for (const [name, mutate, code] of cases) {
    it(`answers ${name} with ${code}`, async () => {
      const { browser, base, userId } = await setup();
      const res = await browser.get(authorizePath(mutate(base)));
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(base.redirect_uri);
      expect(location.searchParams.get('error')).toBe(code);
      expect(location.searchParams.get('state')).toBe('xyz');
      expect(location.searchParams.get('iss')).toBe(ISSUER);
      expect(location.searchParams.get('code')).toBeNull();
      expect(await grantCount(userId)).toBe(0);
    });
  }

  it('refuses a repeated parameter with invalid_request', async () => {
    const { browser, base } = await setup();
    const res = await browser.get(`${authorizePath(base)}&scope=mcp&scope=api`);
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  for (const resource of [MCP_URL, `${MCP_URL}/`, 'HTTP://LOCALHOST/mcp']) {
    it(`accepts resource=${resource}`, async () => {
      const { browser, base } = await setup();
      const res = await browser.get(authorizePath({ ...base, resource }));
      expect(res.status).toBe(200);
    });
  }
});

describe('sign-in and consent', () => {
  it('sends a signed-out person to sign in and back with the request intact', async () => {
    const app = createTestApp();
    const client = await registerClient(app);
    const { challenge } = await pkcePair();
    const browser = new Browser(app);
    const path = authorizePath({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: client.redirect_uris[0],
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const res = await browser.get(path);
    expect(res.status).toBe(303);
    const login = new URL(res.headers.get('location')!, ISSUER);
    expect(login.pathname).toBe('/login');
    expect(login.searchParams.get('return_to')).toBe(path);
    const user = await createUser();
    const signIn = await browser.page(`/login?return_to=${encodeURIComponent(path)}`);
    const after = await browser.postForm(`/login?return_to=${encodeURIComponent(path)}`, {
      email: user.email,
      password: user.password,
      csrf_token: signIn.csrf,
    });
    expect(after.headers.get('location')).toBe(path);
    const consent = await browser.page(path);
    expect(consent.res.status).toBe(200);
    expect(consent.html).toContain('decision');
  });

  it('shows the client name, the redirect host, a warning and each scope in words', async () => {
    const { browser, base } = await setup({ client_name: 'Acme Agent' });
    const { res, html } = await browser.page(authorizePath({ ...base, scope: 'mcp api' }));
    expect(res.status).toBe(200);
    expect(html).toContain('Acme Agent');
    expect(html).toContain('client.example');
    expect(html).toContain('registered itself automatically');
    expect(html).toContain('Use the tools on the MCP server');
    expect(html).toContain('Use the REST API');
    expect(html).toMatch(/name="decision" value="approve"/);
    expect(html).toMatch(/name="decision" value="deny"/);
  });

  it('cannot be framed or cached', async () => {
    const { browser, base } = await setup();
    const res = await browser.get(authorizePath(base));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('escapes a hostile client name', async () => {
    const { browser, base } = await setup({ client_name: '<img src=x onerror=alert(1)>' });
    const { html } = await browser.page(authorizePath(base));
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('ignores unknown scopes and falls back to mcp', async () => {
    const { browser, client, challenge, userId } = await setup();
    const location = await approve(browser, {
      clientId: client.client_id,
      redirectUri: client.redirect_uris[0]!,
      challenge,
      scope: 'openid email profile claudeai',
    });
    expect(location.searchParams.get('code')).toBeTruthy();
    const grant = await env.DB.prepare('SELECT scope FROM oauth_grants WHERE user_id = ?')
      .bind(userId)
      .first();
    expect(grant?.scope).toBe('mcp');
  });

  it('approval redirects with code, state and iss; denial with access_denied', async () => {
    const { browser, base, userId } = await setup();
    const page = await browser.page(authorizePath(base));
    const request = hiddenValue(page.html, 'request');
    const deny = await browser.postForm('/oauth2/authorize', {
      request,
      csrf_token: page.csrf,
      decision: 'deny',
    });
    expect(deny.status).toBe(302);
    const denied = new URL(deny.headers.get('location')!);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('xyz');
    expect(denied.searchParams.get('iss')).toBe(ISSUER);
    expect(denied.searchParams.get('code')).toBeNull();
    expect(await grantCount(userId)).toBe(0);
    const ok = await browser.postForm('/oauth2/authorize', {
      request,
      csrf_token: page.csrf,
      decision: 'approve',
    });
    const approved = new URL(ok.headers.get('location')!);
    expect(approved.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(approved.searchParams.get('state')).toBe('xyz');
    expect(approved.searchParams.get('iss')).toBe(ISSUER);
    expect(await grantCount(userId)).toBe(1);
    const audit = await env.DB.prepare(
      "SELECT detail FROM audit_events WHERE user_id = ? AND kind = 'app_connected'",
    )
      .bind(userId)
      .first<{ detail: string }>();
    expect(JSON.parse(audit!.detail)).toMatchObject({ client_id: base.client_id });
  });

  it('answers at /authorize too', async () => {
    const { browser, base } = await setup();
    const res = await browser.get(authorizePath(base, '/authorize'));
    expect(res.status).toBe(200);
  });
});

describe('POST /oauth2/authorize — consent cannot be forged', () => {
  it('refuses a decision without the CSRF token', async () => {
    const { browser, base, userId } = await setup();
    const page = await browser.page(authorizePath(base));
    const request = hiddenValue(page.html, 'request');
    const attempts: Record<string, string>[] = [
      { request, decision: 'approve' },
      { request, decision: 'approve', csrf_token: '' },
      { request, decision: 'approve', csrf_token: 'forged' },
      { request, decision: 'approve', csrf_token: `${page.csrf}x` },
    ];
    for (const fields of attempts) {
      const res = await browser.postForm('/oauth2/authorize', fields);
      expect(res.status).toBe(403);
      expect(res.headers.get('location')).toBeNull();
    }
    expect(await grantCount(userId)).toBe(0);
  });

  it("refuses another person's CSRF token", async () => {
    const { app, browser, base, userId } = await setup();
    const other = await signedInBrowser(app);
    const theirs = await other.browser.page(authorizePath(base));
    const mine = await browser.page(authorizePath(base));
    const res = await browser.postForm('/oauth2/authorize', {
      request: hiddenValue(mine.html, 'request'),
      csrf_token: theirs.csrf,
      decision: 'approve',
    });
    expect(res.status).toBe(403);
    expect(await grantCount(userId)).toBe(0);
  });

  it('re-validates a tampered request: an unregistered redirect URI gets a page, not a code', async () => {
    const { browser, base, userId } = await setup();
    const page = await browser.page(authorizePath(base));
    const tampered = new URLSearchParams(hiddenValue(page.html, 'request'));
    tampered.set('redirect_uri', 'https://attacker.example/cb');
    const res = await browser.postForm('/oauth2/authorize', {
      request: tampered.toString(),
      csrf_token: page.csrf,
      decision: 'approve',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await grantCount(userId)).toBe(0);
  });

  it('refuses a decision other than approve or deny', async () => {
    const { browser, base } = await setup();
    const page = await browser.page(authorizePath(base));
    const res = await browser.postForm('/oauth2/authorize', {
      request: hiddenValue(page.html, 'request'),
      csrf_token: page.csrf,
      decision: 'maybe',
    });
    expect(res.status).toBe(400);
  });
});

describe('remembered consent', () => {
  it('does not ask again for the same client, redirect URI and scopes', async () => {
    const { browser, base, client, challenge } = await setup();
    await approve(browser, { clientId: client.client_id, redirectUri: base.redirect_uri, challenge });
    const again = await browser.get(authorizePath(base));
    expect(again.status).toBe(302);
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('asks again for other scopes or another redirect URI', async () => {
    const { browser, base, client, challenge } = await setup({
      redirect_uris: ['https://client.example/callback', 'https://client.example/other'],
    });
    await approve(browser, { clientId: client.client_id, redirectUri: base.redirect_uri, challenge });
    expect((await browser.get(authorizePath({ ...base, scope: 'mcp api' }))).status).toBe(200);
    expect(
      (await browser.get(authorizePath({ ...base, redirect_uri: 'https://client.example/other' }))).status,
    ).toBe(200);
  });

  it('asks again once the grant was revoked', async () => {
    const { browser, base, client, challenge, userId } = await setup();
    await approve(browser, { clientId: client.client_id, redirectUri: base.redirect_uri, challenge });
    const grant = await env.DB.prepare('SELECT id FROM oauth_grants WHERE user_id = ?')
      .bind(userId)
      .first<{ id: string }>();
    await revokeGrant(env.DB, env.CACHE, grant!.id, {
      now: Math.floor(Date.now() / 1000),
      accessTokenTtlSeconds: 3600,
    });
    expect((await browser.get(authorizePath(base))).status).toBe(200);
  });
});

describe('the consent page says where access goes (RFC 8252 §8.6)', () => {
  async function consentFor(redirectUri: string, clientName = 'Claude') {
    const app = createTestApp();
    const client = await registerClient(app, { client_name: clientName, redirect_uris: [redirectUri] });
    const { browser } = await signedInBrowser(app);
    const { challenge } = await pkcePair();
    const page = await browser.page(
      authorizePath({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 's',
      }),
    );
    expect(page.res.status).toBe(200);
    const destination = /<p class="destination">([\s\S]*?)<\/p>/.exec(page.html)?.[1] ?? '';
    return destination.replace(/<[^>]+>/g, '');
  }

  it('shows the full private-use scheme and that an app on this device receives access, not the host', async () => {
    const said = await consentFor('x-evil://claude.ai/api/mcp/auth_callback');
    expect(said).toContain('x-evil:');
    expect(said).toContain('an app on this device');
    expect(said).not.toContain('claude.ai');
  });

  it('shows the host for https', async () => {
    const said = await consentFor('https://claude.ai/api/mcp/auth_callback');
    expect(said).toContain('claude.ai');
    expect(said).not.toContain('this device');
    expect(said).not.toContain('this computer');
  });

  it('says a program on this computer receives access for a loopback redirect', async () => {
    const said = await consentFor('http://127.0.0.1:33418/callback');
    expect(said).toContain('a program on this computer');
    expect(said).not.toContain('https');
  });
});
