import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createPersonalAccessToken, revokePersonalAccessToken } from '../../src/tokens/pat-store';
import { generatePersonalAccessToken } from '../../src/tokens/personal-access-token';
import { createTestApp, createUser, type TestApp } from '../helpers/app';
import { apiCall, callTool, mcpPost, rpc } from '../surfaces/support';

const now = () => Math.floor(Date.now() / 1000);

async function patFor(expiresAt: number | null = null) {
  const user = await createUser({ verified: true });
  const created = await createPersonalAccessToken(env.DB, user.id, 'script', expiresAt, now());
  if (!created.ok) throw new Error('expected a token');
  return { user, token: created.token, id: created.record.id };
}

/** The same read on every surface; each answers 200 for a live token. */
const SURFACES: { label: string; call: (app: TestApp, token: string) => Promise<Response> }[] = [
  { label: 'POST /mcp tools/list', call: (app, t) => mcpPost(app, t, rpc('tools/list')) },
  { label: 'GET /api/v1/me/projects', call: (app, t) => apiCall(app, t, 'GET', '/api/v1/me/projects') },
  {
    label: 'POST /api/v2/listMyProjects',
    call: (app, t) => apiCall(app, t, 'POST', '/api/v2/listMyProjects', {}),
  },
];

describe('personal access tokens on every Bearer surface', () => {
  for (const surface of SURFACES) {
    it(`${surface.label}: a live token works, and after revocation answers 401 invalid_token`, async () => {
      const app = createTestApp();
      const { user, token, id } = await patFor();
      expect((await surface.call(app, token)).status).toBe(200);
      await revokePersonalAccessToken(env.DB, env.CACHE, user.id, id, now());
      const res = await surface.call(app, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it(`${surface.label}: made-up, mistyped and expired tokens answer 401`, async () => {
      const app = createTestApp();
      const { token } = await patFor(now() + 60);
      const typo = `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`;
      for (const bad of [generatePersonalAccessToken(), typo, 'tskdp_short']) {
        expect((await surface.call(app, bad)).status).toBe(401);
      }
      app.clock.advance(61);
      expect((await surface.call(app, token)).status).toBe(401);
    });
  }

  it('acts as its owner with full access: whoAmI names the account and the token kind', async () => {
    const app = createTestApp();
    const { user, token } = await patFor();
    const result = await callTool(app, token, 'whoAmI', {});
    expect(JSON.stringify(result.structuredContent)).toContain(user.id);
    const created = await callTool(app, token, 'createProject', { title: 'From a PAT' });
    expect(created.isError).not.toBe(true);
  });

  it('stops working on every surface when the password changes', async () => {
    const app = createTestApp();
    const { user, token } = await patFor();
    const { Browser } = await import('../helpers/app');
    const browser = new Browser(app);
    await browser.signIn(user.email, user.password);
    const { csrf } = await browser.page('/settings/account');
    await browser.postForm('/settings/account/password', {
      current_password: user.password,
      password: 'another long password',
      csrf_token: csrf,
    });
    for (const surface of SURFACES) expect((await surface.call(app, token)).status).toBe(401);
  });

  it('a malformed token costs no storage access', async () => {
    let touched = 0;
    const count = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(t, prop, receiver) {
          const value = Reflect.get(t, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            touched += 1;
            return value.apply(t, args);
          };
        },
      });
    const app = createTestApp({ env: { DB: count(env.DB), CACHE: count(env.CACHE) } });
    const token = generatePersonalAccessToken();
    const forged = `${token.slice(0, -6)}000000`;
    const res = await mcpPost(app, forged, rpc('tools/list'));
    expect(res.status).toBe(401);
    expect(touched).toBe(0);
  });
});
