import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { invalidateCatalog } from '../../src/gateway/catalog';
import { Browser, createTestApp, createUser, uniqueEmail } from '../helpers/app';

const configured = {
  id: 'everything',
  name: 'Everything',
  url: 'https://everything.example.com/mcp',
  prefix: 'ev',
  auth: { type: 'none' },
};

async function setup(options: { verified?: boolean } = {}) {
  const adminEmail = uniqueEmail('admin');
  const app = createTestApp({
    env: {
      ADMIN_EMAILS: `someone@example.org, ${adminEmail.toUpperCase()}`,
      GATEHOUSE_UPSTREAMS: JSON.stringify([configured]),
    },
  });
  const admin = await createUser({ email: adminEmail, verified: options.verified ?? true });
  const browser = new Browser(app);
  expect((await browser.signIn(admin.email, admin.password)).status).toBe(303);
  invalidateCatalog();
  return { app, browser, admin };
}

function addForm(csrf: string, fields: Record<string, string>) {
  return { csrf_token: csrf, auth_type: 'none', prefix: '', ...fields };
}

describe('/admin/upstreams', () => {
  it('is open only to verified accounts listed in ADMIN_EMAILS; others get the 404 of an unknown page', async () => {
    const { app, browser } = await setup();
    expect((await browser.get('/admin/upstreams')).status).toBe(200);
    const stranger = await createUser({ verified: true });
    const other = new Browser(app);
    await other.signIn(stranger.email, stranger.password);
    expect((await other.get('/admin/upstreams')).status).toBe(404);
    const signedOut = await new Browser(app).get('/admin/upstreams');
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe('/login?return_to=%2Fadmin%2Fupstreams');
    const { browser: unverified } = await setup({ verified: false });
    expect((await unverified.get('/admin/upstreams')).status).toBe(404);
  });

  it('lists configured servers, read-only', async () => {
    const { browser } = await setup();
    const page = await browser.page('/admin/upstreams');
    expect(page.html).toContain('Everything');
    expect(page.html).toContain('Configuration');
    expect(page.html).not.toContain('Remove Everything');
  });

  it('adds a server checked by the same rules as the configuration, and people see it at once', async () => {
    const { app, browser, admin } = await setup();
    const page = await browser.page('/admin/upstreams');
    const id = `k${Date.now().toString(36)}`;
    const res = await browser.postForm(
      '/admin/upstreams',
      addForm(page.csrf, {
        id,
        name: 'Keyed',
        url: 'https://keyed.example.com/mcp',
        prefix: id,
        auth_type: 'api_key_shared',
        scheme: 'Bearer',
        secret: 'operator-secret-key',
      }),
    );
    expect(res.status).toBe(303);
    const row = await env.DB.prepare('SELECT entry, secret, created_by FROM admin_upstreams WHERE id = ?')
      .bind(id)
      .first<{ entry: string; secret: string; created_by: string }>();
    expect(row?.created_by).toBe(admin.id);
    expect(row?.entry).not.toContain('operator-secret-key');
    expect(row?.secret).toMatch(/^v1\./);
    expect(row?.secret).not.toContain('operator-secret-key');
    const person = await createUser({ verified: true });
    const personBrowser = new Browser(app);
    await personBrowser.signIn(person.email, person.password);
    expect((await personBrowser.page('/settings/connections')).html).toContain('Keyed');
    const log = await env.DB.prepare(
      "SELECT detail FROM audit_events WHERE user_id = ? AND kind = 'upstream_added'",
    )
      .bind(admin.id)
      .first<{ detail: string }>();
    expect(JSON.parse(log!.detail)).toEqual({ upstream: id });
  });

  const refused: Array<[string, Record<string, string>, RegExp]> = [
    [
      'http to a public host',
      { id: 'plain', name: 'P', url: 'http://mcp.example.com/mcp', prefix: 'plain' },
      /url must be https/,
    ],
    [
      'a private address',
      { id: 'priv', name: 'P', url: 'https://192.168.1.10/mcp', prefix: 'priv' },
      /public host/,
    ],
    [
      'a configured id',
      { id: 'everything', name: 'P', url: 'https://x.example.com/mcp', prefix: 'other' },
      /id is used twice/,
    ],
    [
      'a configured prefix',
      { id: 'other', name: 'P', url: 'https://x.example.com/mcp', prefix: 'ev' },
      /prefix &quot;ev&quot; is used twice/,
    ],
    [
      'a bad prefix',
      { id: 'bad', name: 'P', url: 'https://x.example.com/mcp', prefix: 'a__b' },
      /prefix must be/,
    ],
    [
      'a shared key without the key',
      {
        id: 'nokey',
        name: 'P',
        url: 'https://x.example.com/mcp',
        prefix: 'nokey',
        auth_type: 'api_key_shared',
      },
      /secret is missing/,
    ],
  ];
  for (const [what, fields, message] of refused) {
    it(`refuses ${what} with 400 and keeps what was typed`, async () => {
      const { browser } = await setup();
      const page = await browser.page('/admin/upstreams');
      const res = await browser.postForm('/admin/upstreams', addForm(page.csrf, fields));
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toMatch(message);
      expect(html).toContain(`value="${fields.url}"`);
    });
  }

  it('removes an added server and every connection to it; configured servers cannot be removed here', async () => {
    const { browser } = await setup();
    const page = await browser.page('/admin/upstreams');
    const id = `r${Date.now().toString(36)}`;
    await browser.postForm(
      '/admin/upstreams',
      addForm(page.csrf, {
        id,
        name: 'Gone soon',
        url: 'https://gone.example.com/mcp',
        prefix: id,
        auth_type: 'api_key_per_user',
      }),
    );
    const person = await createUser({ verified: true });
    await env.DB.prepare(
      "INSERT INTO upstream_connections (user_id, upstream_id, kind, credential, created_at, updated_at) VALUES (?, ?, 'api_key', 'v1.x.y.z', 0, 0)",
    )
      .bind(person.id, id)
      .run();
    expect((await browser.postForm(`/admin/upstreams/${id}/delete`, { csrf_token: page.csrf })).status).toBe(
      303,
    );
    expect(await env.DB.prepare('SELECT 1 FROM admin_upstreams WHERE id = ?').bind(id).first()).toBeNull();
    expect(
      await env.DB.prepare('SELECT 1 FROM upstream_connections WHERE upstream_id = ?').bind(id).first(),
    ).toBeNull();
    expect(
      (await browser.postForm('/admin/upstreams/everything/delete', { csrf_token: page.csrf })).status,
    ).toBe(404);
  });

  it('refuses a change without the CSRF token', async () => {
    const { browser } = await setup();
    const res = await browser.postForm('/admin/upstreams', {
      id: 'x',
      name: 'x',
      url: 'https://x.example.com/mcp',
    });
    expect(res.status).toBe(403);
  });
});
