import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { Browser, createTestApp, createUser } from '../helpers/app';

async function signedIn(verified = true) {
  const app = createTestApp();
  const user = await createUser({ verified });
  const browser = new Browser(app);
  expect((await browser.signIn(user.email)).status).toBe(303);
  return { app, user, browser };
}

function tokenFrom(html: string): string | undefined {
  return /id="new-token"[^>]*value="(tskdp_[0-9A-Za-z]+)"/.exec(html)?.[1];
}

describe('GET /settings/api', () => {
  it('sends a signed-out person to sign in and back', async () => {
    const res = await new Browser(createTestApp()).get('/settings/api');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?return_to=%2Fsettings%2Fapi');
  });

  it('shows the full-access warning', async () => {
    const { browser } = await signedIn();
    const { html } = await browser.page('/settings/api');
    expect(html).toContain('full access to your account');
  });

  it('explains to an unverified person why they cannot create a token and offers the link again', async () => {
    const { browser, user } = await signedIn(false);
    const { html, csrf } = await browser.page('/settings/api');
    expect(html).toContain('Confirm your email address before creating a token');
    expect(html).toContain('action="/verify-email/resend"');
    expect(html).not.toContain('action="/settings/api/tokens"');
    const res = await browser.postForm('/settings/api/tokens', { name: 'x', csrf_token: csrf });
    expect(res.status).toBe(403);
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM personal_access_tokens WHERE user_id = ?')
      .bind(user.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });
});

describe('POST /settings/api/tokens', () => {
  it('shows a new token once, stores only its hash, and never shows it again', async () => {
    const { browser, user } = await signedIn();
    const { csrf } = await browser.page('/settings/api');
    const res = await browser.postForm('/settings/api/tokens', {
      name: 'nightly export',
      expires_in_days: '30',
      csrf_token: csrf,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    const token = tokenFrom(html);
    expect(token).toMatch(/^tskdp_/);
    expect(html).toContain('shown only once');
    const again = await browser.page('/settings/api');
    expect(again.html).not.toContain(token!);
    expect(again.html).toContain(token!.slice(-4));
    const stored = await env.DB.prepare('SELECT * FROM personal_access_tokens WHERE user_id = ?')
      .bind(user.id)
      .all();
    expect(JSON.stringify(stored.results)).not.toContain(token!);
  });

  it('refuses a sixth token with a clear message', async () => {
    const { browser } = await signedIn();
    for (let i = 0; i < 5; i++) {
      const { csrf } = await browser.page('/settings/api');
      expect(
        (await browser.postForm('/settings/api/tokens', { name: `t${i}`, csrf_token: csrf })).status,
      ).toBe(201);
    }
    const { html, csrf } = await browser.page('/settings/api');
    expect(html).toContain('the most an account can hold');
    const res = await browser.postForm('/settings/api/tokens', { name: 'sixth', csrf_token: csrf });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('Revoke one first');
  });

  it('rejects a post without a valid CSRF token and creates nothing', async () => {
    const { browser, user } = await signedIn();
    for (const fields of [{ name: 'x' }, { name: 'x', csrf_token: 'forged' }] as Record<string, string>[]) {
      expect((await browser.postForm('/settings/api/tokens', fields)).status).toBe(403);
    }
    const n = await env.DB.prepare('SELECT COUNT(*) AS n FROM personal_access_tokens WHERE user_id = ?')
      .bind(user.id)
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
  });

  it('rejects empty, overlong and control-character names', async () => {
    const { browser } = await signedIn();
    for (const name of ['', '   ', 'x'.repeat(65), 'bad\u0007name']) {
      const { csrf } = await browser.page('/settings/api');
      expect((await browser.postForm('/settings/api/tokens', { name, csrf_token: csrf })).status).toBe(400);
    }
  });

  it('escapes a hostile token name in the list', async () => {
    const { browser } = await signedIn();
    const { csrf } = await browser.page('/settings/api');
    await browser.postForm('/settings/api/tokens', { name: '<script>alert(1)</script>', csrf_token: csrf });
    const { html } = await browser.page('/settings/api');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('POST /settings/api/tokens/:id/revoke', () => {
  it('revokes the token and records it in the security log without the secret', async () => {
    const { browser, user } = await signedIn();
    const { csrf } = await browser.page('/settings/api');
    const token = tokenFrom(
      await (await browser.postForm('/settings/api/tokens', { name: 'ci', csrf_token: csrf })).text(),
    )!;
    const list = await browser.page('/settings/api');
    const action = /action="(\/settings\/api\/tokens\/[^"]+\/revoke)"/.exec(list.html)?.[1];
    expect(action).toBeDefined();
    const res = await browser.postForm(action!, { csrf_token: list.csrf });
    expect(res.status).toBe(303);
    const row = await env.DB.prepare('SELECT revoked_at FROM personal_access_tokens WHERE user_id = ?')
      .bind(user.id)
      .first<{ revoked_at: number | null }>();
    expect(row).toEqual({ revoked_at: expect.any(Number) });
    const log = await env.DB.prepare('SELECT kind, detail FROM audit_events WHERE user_id = ?')
      .bind(user.id)
      .all();
    const kinds = log.results.map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['token_created', 'token_revoked']));
    expect(JSON.stringify(log.results)).not.toContain(token);
    const security = await browser.page('/settings/security');
    expect(security.html).toContain('Token revoked');
  });

  it('does not revoke another person’s token', async () => {
    const alice = await signedIn();
    const { csrf } = await alice.browser.page('/settings/api');
    await alice.browser.postForm('/settings/api/tokens', { name: 'ci', csrf_token: csrf });
    const id = /\/settings\/api\/tokens\/([^/"]+)\/revoke/.exec(
      (await alice.browser.page('/settings/api')).html,
    )?.[1];
    const mallory = await signedIn();
    const page = await mallory.browser.page('/settings/api');
    expect(
      (await mallory.browser.postForm(`/settings/api/tokens/${id}/revoke`, { csrf_token: page.csrf })).status,
    ).toBe(404);
    const row = await env.DB.prepare('SELECT revoked_at FROM personal_access_tokens WHERE id = ?')
      .bind(id)
      .first<{ revoked_at: number | null }>();
    expect(row?.revoked_at).toBeNull();
  });
});

describe('/api/v1/me/tokens (session + CSRF JSON API)', () => {
  it('creates, lists and revokes tokens with the session and the X-CSRF-Token header', async () => {
    const { browser } = await signedIn();
    const session = await (await browser.get('/api/v1/me/session')).json<{ csrf_token: string }>();
    const headers = { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token };
    const created = await browser.request('/api/v1/me/tokens', {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'script', expires_in_days: 90 }),
    });
    expect(created.status).toBe(201);
    const body = await created.json<{ token: string; record: { id: string; expires_at: string } }>();
    expect(body.token).toMatch(/^tskdp_/);
    expect(body.record.expires_at).not.toBeNull();
    const list = await (await browser.get('/api/v1/me/tokens')).json<{ tokens: { id: string }[] }>();
    expect(list.tokens.map((t) => t.id)).toEqual([body.record.id]);
    expect(JSON.stringify(list)).not.toContain(body.token);
    const revoked = await browser.request(`/api/v1/me/tokens/${body.record.id}`, {
      method: 'DELETE',
      headers,
    });
    expect(revoked.status).toBe(200);
  });

  it('refuses JSON writes without the CSRF header', async () => {
    const { browser } = await signedIn();
    const res = await browser.request('/api/v1/me/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(res.status).toBe(403);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe('csrf_failed');
  });

  it('refuses to create a token with a Bearer token, even alongside a session', async () => {
    const { browser } = await signedIn();
    const session = await (await browser.get('/api/v1/me/session')).json<{ csrf_token: string }>();
    const res = await browser.request('/api/v1/me/tokens', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-csrf-token': session.csrf_token,
        authorization: 'Bearer tskdp_x',
      },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(res.status).toBe(403);
  });

  it('answers 401 without a session', async () => {
    const res = await createTestApp().fetch('/api/v1/me/tokens');
    expect(res.status).toBe(401);
    expect((await res.json<{ ok: boolean }>()).ok).toBe(false);
  });
});
