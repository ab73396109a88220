import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { verifyAccessToken } from '../../src/tokens/access-token';
import { getKeySet } from '../../src/tokens/keys';
import { hasRevocationMarker } from '../../src/tokens/revocation';
import { Browser, createTestApp, createUser, type TestApp } from '../helpers/app';
import {
  hiddenValue,
  issuedTokens,
  pkcePair,
  refresh,
  signedInBrowser,
  tokenRequest,
} from '../oauth/helpers';

async function registerAppViaPage(browser: Browser, fields: Record<string, string>) {
  const { csrf } = await browser.page('/settings/apps');
  const res = await browser.postForm('/settings/apps', { csrf_token: csrf, ...fields });
  return { res, html: await res.text() };
}

function clientIdFrom(html: string): string {
  const id = /Client ID<\/dt><dd><code>([^<]+)<\/code>/.exec(html)?.[1];
  if (!id) throw new Error('no client id on the page');
  return id;
}

function basic(id: string, secret: string) {
  return `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;
}

async function codeFor(app: TestApp, clientId: string, redirectUri: string) {
  const { browser } = await signedInBrowser(app);
  const { verifier, challenge } = await pkcePair();
  const page = await browser.page(
    `/oauth2/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's',
    })}`,
  );
  expect(page.res.status).toBe(200);
  const res = await browser.postForm('/oauth2/authorize', {
    request: hiddenValue(page.html, 'request'),
    csrf_token: page.csrf,
    decision: 'approve',
  });
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
  return { consentHtml: page.html, code, verifier };
}

describe('/settings/apps — OAuth 2.0 apps', () => {
  it('registers a confidential app, shows the secret once and stores only its hash', async () => {
    const app = createTestApp();
    const { browser, userId } = await signedInBrowser(app);
    const { res, html } = await registerAppViaPage(browser, {
      name: 'Reporting dashboard',
      redirect_uris: 'https://dash.example/callback\nhttp://localhost:3000/cb',
      kind: 'confidential',
    });
    expect(res.status).toBe(201);
    const secret = /id="client-secret"[^>]*value="([^"]+)"/.exec(html)?.[1];
    expect(secret).toBeTruthy();
    const clientId = clientIdFrom(html);
    expect(html).toContain('/oauth2/authorize?response_type=code');
    const row = await env.DB.prepare('SELECT * FROM oauth_clients WHERE id = ?')
      .bind(clientId)
      .first<Record<string, unknown>>();
    expect(row?.owner_user_id).toBe(userId);
    expect(row?.registration_type).toBe('app');
    expect(JSON.stringify(row)).not.toContain(secret!);
    const again = await browser.page('/settings/apps');
    expect(again.html).not.toContain(secret!);
    expect(again.html).toContain(clientId);
  });

  it('rejects hostile redirect URIs with the registration rules', async () => {
    const app = createTestApp();
    const { browser } = await signedInBrowser(app);
    for (const uri of [
      'javascript:alert(1)',
      'http://evil.example/cb',
      'https://a.example/cb#frag',
      'data:text/html,x',
      ' JavaScript:alert(1)',
    ]) {
      const { res } = await registerAppViaPage(browser, { name: 'x', redirect_uris: uri, kind: 'public' });
      expect(res.status).toBe(400);
    }
    expect(
      await env.DB.prepare(
        "SELECT COUNT(*) AS n FROM oauth_clients WHERE client_name = 'x' AND registration_type = 'app'",
      ).first(),
    ).toEqual({ n: 0 });
  });

  it('goes through the same consent, shows the owner and no self-registration warning, and the secret works', async () => {
    const app = createTestApp();
    const { browser } = await signedInBrowser(app);
    const { html } = await registerAppViaPage(browser, {
      name: 'Owner app',
      redirect_uris: 'https://owner.example/cb',
      kind: 'confidential',
    });
    const clientId = clientIdFrom(html);
    const secret = /id="client-secret"[^>]*value="([^"]+)"/.exec(html)![1]!;
    const { consentHtml, code, verifier } = await codeFor(app, clientId, 'https://owner.example/cb');
    expect(consentHtml).toContain('Registered by');
    expect(consentHtml).not.toContain('registered itself automatically');
    const token = await tokenRequest(
      app,
      {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: 'https://owner.example/cb',
      },
      { authorization: basic(clientId, secret) },
    );
    expect(token.status).toBe(200);
  });

  it('rotates the secret: the old one stops working, the new one works', async () => {
    const app = createTestApp();
    const { browser } = await signedInBrowser(app);
    const { html } = await registerAppViaPage(browser, {
      name: 'Rotating',
      redirect_uris: 'https://rot.example/cb',
      kind: 'confidential',
    });
    const clientId = clientIdFrom(html);
    const oldSecret = /id="client-secret"[^>]*value="([^"]+)"/.exec(html)![1]!;
    const page = await browser.page('/settings/apps');
    const rotated = await browser.postForm(`/settings/apps/${clientId}/rotate-secret`, {
      csrf_token: page.csrf,
    });
    const newSecret = /id="client-secret"[^>]*value="([^"]+)"/.exec(await rotated.text())![1]!;
    expect(newSecret).not.toBe(oldSecret);
    const first = await codeFor(app, clientId, 'https://rot.example/cb');
    const withOld = await tokenRequest(
      app,
      {
        grant_type: 'authorization_code',
        code: first.code,
        code_verifier: first.verifier,
        redirect_uri: 'https://rot.example/cb',
      },
      { authorization: basic(clientId, oldSecret) },
    );
    expect(withOld.status).toBe(401);
    expect(((await withOld.json()) as { error: string }).error).toBe('invalid_client');
    const withNew = await tokenRequest(
      app,
      {
        grant_type: 'authorization_code',
        code: first.code,
        code_verifier: first.verifier,
        redirect_uri: 'https://rot.example/cb',
      },
      { authorization: basic(clientId, newSecret) },
    );
    expect(withNew.status).toBe(200);
  });

  it('edits name and redirect URIs, and only the owner can', async () => {
    const app = createTestApp();
    const owner = await signedInBrowser(app);
    const { html } = await registerAppViaPage(owner.browser, {
      name: 'Before',
      redirect_uris: 'https://a.example/cb',
      kind: 'public',
    });
    const clientId = clientIdFrom(html);
    const other = await signedInBrowser(app);
    const otherPage = await other.browser.page('/settings/apps');
    const hijack = await other.browser.postForm(`/settings/apps/${clientId}`, {
      csrf_token: otherPage.csrf,
      name: 'Hijacked',
      redirect_uris: 'https://evil.example/cb',
    });
    expect(hijack.status).toBe(404);
    const page = await owner.browser.page('/settings/apps');
    const saved = await owner.browser.postForm(`/settings/apps/${clientId}`, {
      csrf_token: page.csrf,
      name: 'After',
      redirect_uris: 'https://b.example/cb',
    });
    expect(saved.status).toBe(303);
    const row = await env.DB.prepare('SELECT client_name, redirect_uris FROM oauth_clients WHERE id = ?')
      .bind(clientId)
      .first();
    expect(row).toEqual({ client_name: 'After', redirect_uris: JSON.stringify(['https://b.example/cb']) });
  });

  it('deleting an app ends every grant anyone gave it, on /mcp at once', async () => {
    const app = createTestApp();
    const owner = await signedInBrowser(app);
    const { html } = await registerAppViaPage(owner.browser, {
      name: 'Doomed',
      redirect_uris: 'https://doomed.example/cb',
      kind: 'public',
    });
    const clientId = clientIdFrom(html);
    const a = await codeFor(app, clientId, 'https://doomed.example/cb');
    const tokenRes = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: a.code,
      code_verifier: a.verifier,
      redirect_uri: 'https://doomed.example/cb',
      client_id: clientId,
    });
    const tokens = (await tokenRes.json()) as { access_token: string; refresh_token: string };
    const config = getConfig(env);
    const claims = await verifyAccessToken(await getKeySet(config), tokens.access_token, {
      issuer: 'http://localhost',
      audience: 'http://localhost/mcp',
      now: Math.floor(Date.now() / 1000),
    });
    const page = await owner.browser.page('/settings/apps');
    expect(
      (await owner.browser.postForm(`/settings/apps/${clientId}/delete`, { csrf_token: page.csrf })).status,
    ).toBe(303);
    expect(await hasRevocationMarker(env.CACHE, claims.grantId)).toBe(true);
    expect(
      await env.DB.prepare('SELECT id FROM oauth_clients WHERE id = ?').bind(clientId).first(),
    ).toBeNull();
    const refreshed = await refresh(app, clientId, tokens.refresh_token);
    expect(refreshed.status).toBe(401);
  });
});

describe('/settings/apps — connected apps', () => {
  it('lists a connected MCP client and disconnects it: refresh fails and the access token is marked revoked', async () => {
    const app = createTestApp();
    const issued = await issuedTokens(app, { client_name: 'Claude' });
    const page = await issued.browser.page('/settings/apps');
    expect(page.html).toContain('Claude');
    expect(page.html).toContain('Registered itself');
    const action = /action="(\/settings\/apps\/grants\/[^"]+\/revoke)"/.exec(page.html)?.[1];
    expect(action).toBeTruthy();
    const res = await issued.browser.postForm(action!, { csrf_token: page.csrf });
    expect(res.status).toBe(303);
    const grantId = action!.split('/')[4]!;
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(true);
    const refreshed = await refresh(app, issued.client.client_id, issued.tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
    const log = await issued.browser.page('/settings/security');
    expect(log.html).toContain('App disconnected');
  });

  it('cannot disconnect another person’s grant', async () => {
    const app = createTestApp();
    const issued = await issuedTokens(app);
    const page = await issued.browser.page('/settings/apps');
    const grantId = /\/settings\/apps\/grants\/([^/"]+)\/revoke/.exec(page.html)![1]!;
    const other = await signedInBrowser(app);
    const otherPage = await other.browser.page('/settings/apps');
    const res = await other.browser.postForm(`/settings/apps/grants/${grantId}/revoke`, {
      csrf_token: otherPage.csrf,
    });
    expect(res.status).toBe(404);
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(false);
    expect((await refresh(app, issued.client.client_id, issued.tokens.refresh_token)).status).toBe(200);
  });

  it('sign out everywhere ends every grant as well as every session', async () => {
    const app = createTestApp();
    const issued = await issuedTokens(app);
    const page = await issued.browser.page('/settings/apps');
    const grantId = /\/settings\/apps\/grants\/([^/"]+)\/revoke/.exec(page.html)![1]!;
    expect(
      (await issued.browser.postForm('/settings/sign-out-everywhere', { csrf_token: page.csrf })).status,
    ).toBe(303);
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(true);
    expect((await refresh(app, issued.client.client_id, issued.tokens.refresh_token)).status).toBe(400);
    expect((await issued.browser.get('/settings/apps')).status).toBe(303);
  });

  it('needs CSRF on every form', async () => {
    const app = createTestApp();
    const issued = await issuedTokens(app);
    const page = await issued.browser.page('/settings/apps');
    const grantId = /\/settings\/apps\/grants\/([^/"]+)\/revoke/.exec(page.html)![1]!;
    for (const path of [
      '/settings/apps',
      `/settings/apps/grants/${grantId}/revoke`,
      '/settings/apps/x',
      '/settings/apps/x/rotate-secret',
      '/settings/apps/x/delete',
    ]) {
      expect(
        (await issued.browser.postForm(path, { name: 'x', redirect_uris: 'https://x.example/cb' })).status,
      ).toBe(403);
    }
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(false);
  });
});

describe('registering an app needs a verified email', () => {
  it('refuses an unverified account on the page and the JSON API with 403 email_not_verified, storing nothing', async () => {
    const app = createTestApp();
    const user = await createUser({ verified: false });
    const browser = new Browser(app);
    expect((await browser.signIn(user.email, user.password)).status).toBe(303);
    const { res, html } = await registerAppViaPage(browser, {
      name: 'Claude',
      redirect_uris: 'https://claude.example/cb',
      kind: 'public',
    });
    expect(res.status).toBe(403);
    expect(html).toContain('Confirm your email address before registering an app.');
    const { csrf_token } = (await (await browser.get('/api/v1/me/session')).json()) as { csrf_token: string };
    const json = await browser.request('/api/v1/me/apps', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token },
      body: JSON.stringify({
        client_name: 'Claude',
        redirect_uris: ['https://claude.example/cb'],
        type: 'public',
      }),
    });
    expect(json.status).toBe(403);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe('email_not_verified');
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM oauth_clients WHERE owner_user_id = ?')
      .bind(user.id)
      .first<{ n: number }>();
    expect(rows).toEqual({ n: 0 });
  });
});

describe('/api/v1/me/apps and /api/v1/me/grants', () => {
  it('creates, lists, edits and deletes apps and lists/revokes grants with the session', async () => {
    const app = createTestApp();
    const issued = await issuedTokens(app);
    const { browser } = issued;
    const { csrf_token } = (await (await browser.get('/api/v1/me/session')).json()) as { csrf_token: string };
    const headers = { 'content-type': 'application/json', 'x-csrf-token': csrf_token };
    const created = await browser.request('/api/v1/me/apps', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        client_name: 'API app',
        redirect_uris: ['https://api-app.example/cb'],
        type: 'public',
      }),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { app: { client_id: string }; client_secret: string | null };
    expect(body.client_secret).toBeNull();
    const patched = await browser.request(`/api/v1/me/apps/${body.app.client_id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ client_name: 'Renamed' }),
    });
    expect(((await patched.json()) as { app: { client_name: string } }).app.client_name).toBe('Renamed');
    const grants = (await (await browser.get('/api/v1/me/grants')).json()) as { grants: { id: string }[] };
    expect(grants.grants).toHaveLength(1);
    expect(
      (await browser.request(`/api/v1/me/grants/${grants.grants[0]!.id}`, { method: 'DELETE', headers }))
        .status,
    ).toBe(200);
    expect(
      (await browser.request(`/api/v1/me/apps/${body.app.client_id}`, { method: 'DELETE', headers })).status,
    ).toBe(200);
    const list = (await (await browser.get('/api/v1/me/apps')).json()) as { apps: unknown[] };
    expect(list.apps).toEqual([]);
  });

  it('refuses a Bearer token and a missing CSRF header', async () => {
    const app = createTestApp();
    const { browser } = await signedInBrowser(app);
    const noCsrf = await browser.request('/api/v1/me/apps', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'x', redirect_uris: ['https://x.example/cb'] }),
    });
    expect(noCsrf.status).toBe(403);
    const bearer = await app.fetch('/api/v1/me/grants', { headers: { authorization: 'Bearer abc' } });
    expect(bearer.status).toBe(403);
  });
});
