import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createPersonalAccessToken, verifyPersonalAccessToken } from '../../src/tokens/pat-store';
import { Browser, createTestApp, createUser, TEST_PASSWORD } from '../helpers/app';

const now = () => Math.floor(Date.now() / 1000);
const ignore = () => {};

async function setup() {
  const app = createTestApp();
  const user = await createUser({ verified: true });
  const here = new Browser(app);
  const elsewhere = new Browser(app);
  expect((await here.signIn(user.email)).status).toBe(303);
  expect((await elsewhere.signIn(user.email)).status).toBe(303);
  const pat = await createPersonalAccessToken(env.DB, user.id, 'ci', null, now());
  if (!pat.ok) throw new Error('expected a token');
  // warm the KV cache so the test proves eviction, not just the D1 update
  expect(await verifyPersonalAccessToken(env.DB, env.CACHE, pat.token, now(), ignore)).not.toBeNull();
  return { app, user, here, elsewhere, pat: pat.token };
}

async function signedIn(browser: Browser): Promise<boolean> {
  const res = await browser.get('/settings/account');
  return res.status === 200;
}

describe('POST /settings/account/password', () => {
  it('refuses a wrong current password and changes nothing', async () => {
    const { here, elsewhere, user, pat } = await setup();
    const { csrf } = await here.page('/settings/account');
    const res = await here.postForm('/settings/account/password', {
      current_password: 'not the password',
      password: 'a brand new password',
      csrf_token: csrf,
    });
    expect(res.status).toBe(401);
    expect(await signedIn(elsewhere)).toBe(true);
    expect(await verifyPersonalAccessToken(env.DB, env.CACHE, pat, now(), ignore)).not.toBeNull();
    expect((await new Browser(here.app).signIn(user.email)).status).toBe(303);
  });

  it('changes the password, signs out other devices, revokes tokens and keeps this browser signed in', async () => {
    const { here, elsewhere, user, pat, app } = await setup();
    const { csrf } = await here.page('/settings/account');
    const res = await here.postForm('/settings/account/password', {
      current_password: TEST_PASSWORD,
      password: 'a brand new password',
      csrf_token: csrf,
    });
    expect(res.status).toBe(303);
    expect(await signedIn(here)).toBe(true);
    expect(await signedIn(elsewhere)).toBe(false);
    expect(await verifyPersonalAccessToken(env.DB, env.CACHE, pat, now(), ignore)).toBeNull();
    expect((await new Browser(app).signIn(user.email, TEST_PASSWORD)).status).toBe(401);
    expect((await new Browser(app).signIn(user.email, 'a brand new password')).status).toBe(303);
  });

  it('needs the CSRF token', async () => {
    const { here } = await setup();
    const res = await here.postForm('/settings/account/password', {
      current_password: TEST_PASSWORD,
      password: 'a brand new password',
    });
    expect(res.status).toBe(403);
  });
});

describe('POST /settings/sign-out-everywhere', () => {
  it('ends every session of the account', async () => {
    const { here, elsewhere, user } = await setup();
    const { csrf } = await here.page('/settings/account');
    expect((await here.postForm('/settings/sign-out-everywhere', { csrf_token: csrf })).status).toBe(303);
    expect(await signedIn(here)).toBe(false);
    expect(await signedIn(elsewhere)).toBe(false);
    const n = await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?')
      .bind(user.id)
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
  });
});

describe('POST /settings/account/delete', () => {
  it('asks for the confirmation phrase and the password', async () => {
    const { here, user } = await setup();
    let page = await here.page('/settings/account');
    expect(
      (
        await here.postForm('/settings/account/delete', {
          password: TEST_PASSWORD,
          confirm: 'yes',
          csrf_token: page.csrf,
        })
      ).status,
    ).toBe(400);
    page = await here.page('/settings/account');
    expect(
      (
        await here.postForm('/settings/account/delete', {
          password: 'wrong password',
          confirm: 'delete my account',
          csrf_token: page.csrf,
        })
      ).status,
    ).toBe(401);
    expect(await env.DB.prepare('SELECT id FROM users WHERE id = ?').bind(user.id).first()).not.toBeNull();
  });

  it('deletes the account and everything that authenticates as it', async () => {
    const { here, elsewhere, user, pat, app } = await setup();
    const { csrf } = await here.page('/settings/account');
    const res = await here.postForm('/settings/account/delete', {
      password: TEST_PASSWORD,
      confirm: 'Delete my account',
      csrf_token: csrf,
    });
    expect(res.status).toBe(303);
    expect(await env.DB.prepare('SELECT id FROM users WHERE id = ?').bind(user.id).first()).toBeNull();
    expect(await signedIn(elsewhere)).toBe(false);
    expect(await verifyPersonalAccessToken(env.DB, env.CACHE, pat, now(), ignore)).toBeNull();
    expect((await new Browser(app).signIn(user.email)).status).toBe(401);
  });
});
