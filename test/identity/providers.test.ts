import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { Browser, createTestApp, uniqueEmail } from '../helpers/app';

/**
 * GitHub and Entra against stand-ins reached through the app's injectable outbound fetch: the
 * requests Gatehouse sends are checked, and the answers are what those services document.
 */

type Handler = (url: URL, init: RequestInit | undefined) => Response | Promise<Response>;

function stubFetch(routes: Record<string, Handler>): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const handler = routes[`${url.origin}${url.pathname}`];
    if (!handler) return new Response('not found', { status: 404 });
    return handler(url, init);
  };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

async function start(browser: Browser, providerId: string): Promise<URL> {
  const { csrf } = await browser.page('/login');
  const res = await browser.postForm(`/auth/${providerId}/start`, { csrf_token: csrf });
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location')!);
}

describe('GitHub (OAuth 2.0 and the emails API)', () => {
  function github(
    emails: { email: string; primary: boolean; verified: boolean }[],
    id = Math.floor(Math.random() * 1e9),
  ) {
    const seen: { token?: URLSearchParams; apiAuth?: string | null } = {};
    const fetch = stubFetch({
      'https://github.com/login/oauth/access_token': async (_u, init) => {
        seen.token = new URLSearchParams(String(init?.body));
        // GitHub answers a bad code with 200 and an error body.
        if (seen.token.get('code') !== 'abc') return json({ error: 'bad_verification_code' });
        return json({ access_token: 'gho_test', token_type: 'bearer', scope: 'read:user,user:email' });
      },
      'https://api.github.com/user': (_u, init) => {
        seen.apiAuth = new Headers(init?.headers).get('authorization');
        return json({ id, login: 'octo' });
      },
      'https://api.github.com/user/emails': () => json(emails),
    });
    const app = createTestApp({
      fetch,
      env: {
        AUTH_PROVIDERS: JSON.stringify([{ id: 'gh', type: 'github', name: 'GitHub', client_id: 'Iv1.test' }]),
        AUTH_PROVIDER_GH_SECRET: 'gh-secret',
      },
    });
    return { app, seen };
  }

  it('sends PKCE S256 and state, redeems the code with the secret, and takes the primary verified email', async () => {
    const email = uniqueEmail('gh');
    const { app, seen } = github([
      { email: uniqueEmail('other'), primary: false, verified: true },
      { email, primary: true, verified: true },
    ]);
    const browser = new Browser(app);
    const authorize = await start(browser, 'gh');
    expect(authorize.origin + authorize.pathname).toBe('https://github.com/login/oauth/authorize');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe('http://localhost/auth/gh/callback');
    const state = authorize.searchParams.get('state')!;
    const res = await browser.get(`/auth/gh/callback?code=abc&state=${state}`);
    expect(res.status).toBe(303);
    expect(seen.token?.get('client_secret')).toBe('gh-secret');
    expect(seen.token?.get('code_verifier')).toMatch(/^[\w-]{43,128}$/);
    expect(seen.apiAuth).toBe('Bearer gho_test');
    const home = await browser.page('/');
    expect(home.html).toContain(email);
    expect(home.html).toContain('badge ok');
  });

  it('counts the primary email as unverified when GitHub has not verified it', async () => {
    const email = uniqueEmail('gh-unverified');
    const { app } = github([{ email, primary: true, verified: false }]);
    const browser = new Browser(app);
    const state = (await start(browser, 'gh')).searchParams.get('state')!;
    expect((await browser.get(`/auth/gh/callback?code=abc&state=${state}`)).status).toBe(303);
    expect((await browser.page('/')).html).toContain('not verified');
  });

  it('answers every hostile callback with the sign-in page and 400, never a 5xx, and signs no one in', async () => {
    const { app } = github([{ email: uniqueEmail('gh-hostile'), primary: true, verified: true }]);
    // The code is the one the stand-in accepts, so each refusal is Gatehouse's own check.
    const hostile = (state: string) => [
      `code=abc&code=abc&state=${state}`,
      `code=abc&state=${state}&state=${state}`,
      `state=${state}`,
      `code=${'x'.repeat(20_000)}&state=${state}`,
      `code=abc%00%0d%0a&state=${state}`,
      `code=abc&state=${state}x`,
      `code=abc&state=${state}&response=eyJ`,
      `code=abc&state=${state}&id_token=eyJ`,
      'code=abc',
      '',
    ];
    for (let i = 0; i < hostile(':').length; i++) {
      const browser = new Browser(app);
      const state = (await start(browser, 'gh')).searchParams.get('state')!;
      const query = hostile(state)[i]!;
      const res = await browser.get(`/auth/gh/callback?${query}`);
      expect(res.status, query.slice(0, 60)).toBe(400);
      expect(browser.cookies.has('__Host-gh_session'), query.slice(0, 60)).toBe(false);
    }
  });

  it('shows the cancellation page when the person declines at GitHub', async () => {
    const { app } = github([]);
    const browser = new Browser(app);
    const state = (await start(browser, 'gh')).searchParams.get('state')!;
    const res = await browser.get(`/auth/gh/callback?error=access_denied&state=${state}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('x-gatehouse-error')).toBe('access_denied');
  });
});

describe('Entra (the multi-tenant issuer check)', () => {
  const HOME = '11111111-2222-4333-8444-555555555555';
  const OTHER = '99999999-8888-4777-8666-555555555555';

  async function entra(
    tenant: string,
    mint: { tid: string; iss?: string; xms_edov?: boolean; email: string },
  ) {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const base = `https://login.microsoftonline.com/${tenant}`;
    const metadataIssuer =
      tenant === 'common' ? 'https://login.microsoftonline.com/{tenantid}/v2.0' : `${base}/v2.0`;
    let nonce = '';
    const fetch = stubFetch({
      [`${base}/v2.0/.well-known/openid-configuration`]: () =>
        json({
          issuer: metadataIssuer,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          id_token_signing_alg_values_supported: ['RS256'],
          response_types_supported: ['code'],
        }),
      [`${base}/discovery/v2.0/keys`]: () => json({ keys: [jwk] }),
      [`${base}/oauth2/v2.0/token`]: async () =>
        json({
          access_token: 'at',
          token_type: 'Bearer',
          expires_in: 3600,
          id_token: await new SignJWT({
            tid: mint.tid,
            nonce,
            email: mint.email,
            ...(mint.xms_edov !== undefined ? { xms_edov: mint.xms_edov } : {}),
          })
            .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
            .setIssuer(mint.iss ?? `https://login.microsoftonline.com/${mint.tid}/v2.0`)
            .setSubject(`sub-${Math.random()}`)
            .setAudience('entra-client')
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(privateKey),
        }),
    });
    // A fresh provider id per case: discovery documents are memoised per isolate by id.
    const id = `ms${Math.random().toString(36).slice(2, 10)}`;
    const app = createTestApp({
      fetch,
      env: {
        AUTH_PROVIDERS: JSON.stringify([
          { id, type: 'entra', name: 'Microsoft', client_id: 'entra-client', tenant },
        ]),
        [`AUTH_PROVIDER_${id.toUpperCase()}_SECRET`]: 'entra-secret',
      },
    });
    const browser = new Browser(app);
    const authorize = await start(browser, id);
    nonce = authorize.searchParams.get('nonce')!;
    return browser
      .get(`/auth/${id}/callback?code=c&state=${authorize.searchParams.get('state')}`)
      .then(async (res) => ({
        res,
        browser,
      }));
  }

  it('with `common`, accepts any tenant whose token names its own tenant as issuer', async () => {
    const email = uniqueEmail('entra');
    const { res, browser } = await entra('common', { tid: OTHER, email, xms_edov: true });
    expect(res.status).toBe(303);
    expect((await browser.page('/')).html).toContain('badge ok');
  });

  it('with `common`, refuses a token whose issuer is another tenant than its tid', async () => {
    const { res } = await entra('common', {
      tid: OTHER,
      iss: `https://login.microsoftonline.com/${HOME}/v2.0`,
      email: uniqueEmail('entra-mixed'),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-gatehouse-error')).toBe('invalid_response');
  });

  it('counts Entra’s email as verified only with xms_edov (the "nOAuth" rule)', async () => {
    const { res, browser } = await entra('common', { tid: OTHER, email: uniqueEmail('entra-noauth') });
    expect(res.status).toBe(303);
    expect((await browser.page('/')).html).toContain('not verified');
  });

  it('with a tenant id, refuses a person from another tenant', async () => {
    const { res } = await entra(HOME, {
      tid: OTHER,
      iss: `https://login.microsoftonline.com/${HOME}/v2.0`,
      email: uniqueEmail('entra-outsider'),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-gatehouse-error')).toBe('tenant_not_allowed');
  });
});
