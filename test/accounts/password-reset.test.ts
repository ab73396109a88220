import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/accounts/passwords';
import { createApp } from '../../src/app';
import type { Env } from '../../src/env';
import { createApp as createOAuthApp } from '../../src/oauth/apps';
import { createPersonalAccessToken } from '../../src/tokens/pat-store';
import { hasRevocationMarker } from '../../src/tokens/revocation';
import { createTestApp, createUser, outboxFor, TEST_PASSWORD, TestClock, uniqueEmail } from '../helpers/app';
import { approve, pkcePair, redeem, signedInBrowser, type TokenSet } from '../oauth/helpers';
import { IpBrowser, latestToken, sessionCount, userRow } from './support';

const NEW_PASSWORD = 'a brand new password';

async function resetLink(clock = new TestClock(), verified = true) {
  const app = createTestApp({ clock });
  const user = await createUser({ verified });
  const browser = new IpBrowser(app);
  expect((await browser.forgotPassword(user.email)).status).toBe(200);
  return { app, user, browser, token: await latestToken(user.email, '/reset-password') };
}

async function submitReset(browser: IpBrowser, token: string, password = NEW_PASSWORD) {
  const { csrf } = await browser.page('/forgot-password');
  return browser.postForm('/reset-password', { token, password, csrf_token: csrf });
}

async function passwordIs(email: string, password: string): Promise<boolean> {
  return verifyPassword(password, (await userRow(email))!.password_hash);
}

describe('POST /forgot-password', () => {
  it('mails a reset link valid for one hour', async () => {
    const { user } = await resetLink();
    const [mail] = await outboxFor(user.email);
    expect(mail!.links[0]).toMatch(/^http:\/\/localhost\/reset-password\?token=[\w-]{43}$/);
    const row = await env.DB.prepare(
      "SELECT expires_at - created_at AS ttl FROM email_tokens WHERE user_id = ? AND purpose = 'reset_password'",
    )
      .bind(user.id)
      .first<{ ttl: number }>();
    expect(row?.ttl).toBe(3600);
  });

  it('answers an unknown email exactly like a known one (status, headers, cookies, body) and sends nothing', async () => {
    const app = createTestApp();
    const user = await createUser();
    const answer = async (email: string) => {
      const browser = new IpBrowser(app);
      const { csrf } = await browser.page('/forgot-password');
      const res = await browser.postForm('/forgot-password', { email, csrf_token: csrf });
      const headers = [...res.headers].filter(([name]) => name !== 'set-cookie');
      const cookies = res.headers.getSetCookie().map((c) => c.replace(/=[^;]*/, '=VALUE'));
      return { status: res.status, headers, cookies, body: (await res.text()).replaceAll(csrf, 'CSRF') };
    };
    const nobody = uniqueEmail('nobody');
    const unknown = await answer(nobody);
    expect(unknown).toEqual(await answer(user.email));
    expect(unknown.status).toBe(200);
    expect(await outboxFor(nobody)).toHaveLength(0);
    expect(await outboxFor(user.email)).toHaveLength(1);
  });

  it('takes the same path before answering whether the account exists: no D1 call depends on it', async () => {
    const user = await createUser();
    const app = createApp();
    const prepared = async (email: string) => {
      let calls = 0;
      const db = new Proxy(env.DB, {
        get(target, prop) {
          if (prop === 'prepare') calls += 1;
          const value = Reflect.get(target, prop);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const testEnv = { ...env, DB: db } as Env;
      const browser = new IpBrowser(createTestApp({ env: { DB: db } }));
      const { csrf } = await browser.page('/forgot-password');
      const deferred: Promise<unknown>[] = [];
      const headers = new Headers({
        'content-type': 'application/x-www-form-urlencoded',
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'cf-connecting-ip': browser.ip,
      });
      calls = 0;
      const res = await app.fetch(
        new Request('http://localhost/forgot-password', {
          method: 'POST',
          headers,
          body: new URLSearchParams({ email, csrf_token: csrf }).toString(),
        }),
        testEnv,
        {
          waitUntil: (p: Promise<unknown>) => deferred.push(p),
          passThroughOnException() {},
          props: {},
        } as never,
      );
      const before = calls;
      await Promise.allSettled(deferred);
      return { status: res.status, before };
    };
    const known = await prepared(user.email);
    const unknown = await prepared(uniqueEmail('nobody'));
    expect(known).toEqual(unknown);
    expect(known.status).toBe(200);
  });

  it('refuses a malformed or duplicated email with 400', async () => {
    const browser = new IpBrowser(createTestApp());
    const user = await createUser();
    const bodies: Array<Record<string, string> | URLSearchParams> = [
      {},
      { email: 'nope' },
      { email: `${user.email}\n${'x'.repeat(300)}` },
      new URLSearchParams([
        ['email', user.email],
        ['email', user.email],
      ]),
    ];
    for (const fields of bodies) {
      const { csrf } = await browser.page('/forgot-password');
      const body = new URLSearchParams(fields);
      body.set('csrf_token', csrf);
      expect((await browser.postForm('/forgot-password', body)).status).toBe(400);
    }
    expect(await outboxFor(user.email)).toHaveLength(0);
  });
});

describe('GET /reset-password', () => {
  it('shows the new-password form for a usable link without consuming it', async () => {
    const { browser, token } = await resetLink();
    for (let i = 0; i < 2; i++) {
      const { res, html } = await browser.page(`/reset-password?token=${token}`);
      expect(res.status).toBe(200);
      expect(html).toMatch(/name="password"/);
    }
  });

  it('answers 400 without a form for forged and malformed links', async () => {
    const browser = new IpBrowser(createTestApp());
    for (const q of [
      '',
      '?token=',
      `?token=${'x'.repeat(43)}`,
      '?token=..%2F..',
      `?token=${'x'.repeat(5000)}`,
    ]) {
      const { res, html } = await browser.page(`/reset-password${q}`);
      expect(res.status, q).toBe(400);
      expect(html).not.toMatch(/name="password"/);
    }
  });
});

describe('POST /reset-password', () => {
  it('sets the new password, marks the email verified and sends the person to sign in', async () => {
    const { user, browser, token } = await resetLink(new TestClock(), false);
    const res = await submitReset(browser, token);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?notice=password_reset');
    expect(await passwordIs(user.email, NEW_PASSWORD)).toBe(true);
    expect(await passwordIs(user.email, TEST_PASSWORD)).toBe(false);
    expect((await userRow(user.email))!.email_verified_at).not.toBeNull();
    expect((await browser.signIn(user.email, NEW_PASSWORD)).status).toBe(303);
  });

  it('ends every session of the account', async () => {
    const { app, user, token } = await resetLink();
    const laptop = new IpBrowser(app);
    const phone = new IpBrowser(app);
    await laptop.signIn(user.email);
    await phone.signIn(user.email);
    expect(await sessionCount(user.id)).toBe(2);
    expect((await submitReset(new IpBrowser(app), token)).status).toBe(303);
    expect(await sessionCount(user.id)).toBe(0);
    expect((await phone.page('/')).html).not.toContain(user.email);
  });

  it('refuses a reused link and keeps the first new password', async () => {
    const { browser, user, token } = await resetLink();
    expect((await submitReset(browser, token)).status).toBe(303);
    const again = await submitReset(browser, token, 'the attacker password');
    expect(again.status).toBe(400);
    expect(await passwordIs(user.email, NEW_PASSWORD)).toBe(true);
  });

  it('refuses a link older than one hour and changes nothing', async () => {
    const clock = new TestClock();
    const { browser, user, token } = await resetLink(clock);
    await browser.signIn(user.email);
    clock.advance(3600);
    expect((await browser.page(`/reset-password?token=${token}`)).res.status).toBe(400);
    expect((await submitReset(browser, token)).status).toBe(400);
    expect(await passwordIs(user.email, TEST_PASSWORD)).toBe(true);
    expect(await sessionCount(user.id)).toBe(1);
  });

  it('accepts a link one second before it expires', async () => {
    const clock = new TestClock();
    const { browser, user, token } = await resetLink(clock);
    clock.advance(3599);
    expect((await submitReset(browser, token)).status).toBe(303);
    expect(await passwordIs(user.email, NEW_PASSWORD)).toBe(true);
  });

  it('refuses a forged link with 400 and changes nothing', async () => {
    const { browser, user, token } = await resetLink();
    const forged = token.slice(0, 42) + (token.endsWith('a') ? 'b' : 'a');
    expect((await submitReset(browser, forged)).status).toBe(400);
    expect((await submitReset(browser, 'not-a-token')).status).toBe(400);
    expect(await passwordIs(user.email, TEST_PASSWORD)).toBe(true);
  });

  it('refuses a verification link used as a reset link', async () => {
    const app = createTestApp();
    const browser = new IpBrowser(app);
    const email = uniqueEmail('cross');
    await browser.signUp(email);
    const verifyToken = await latestToken(email, '/verify-email');
    expect((await submitReset(browser, verifyToken)).status).toBe(400);
    expect(await passwordIs(email, TEST_PASSWORD)).toBe(true);
  });

  it('refuses a short password without burning the link', async () => {
    const { browser, user, token } = await resetLink();
    const res = await submitReset(browser, token, 'short');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(`value="${token}"`);
    expect(await passwordIs(user.email, TEST_PASSWORD)).toBe(true);
    expect((await submitReset(browser, token)).status).toBe(303);
  });

  it('refuses duplicated fields without burning the link', async () => {
    const { browser, user, token } = await resetLink();
    const { csrf } = await browser.page('/forgot-password');
    for (const body of [
      new URLSearchParams([
        ['token', token],
        ['password', NEW_PASSWORD],
        ['password', 'the attacker password'],
        ['csrf_token', csrf],
      ]),
      new URLSearchParams([
        ['token', token],
        ['token', token],
        ['password', NEW_PASSWORD],
        ['csrf_token', csrf],
      ]),
    ]) {
      expect((await browser.postForm('/reset-password', body)).status).toBe(400);
    }
    expect(await passwordIs(user.email, TEST_PASSWORD)).toBe(true);
    expect((await submitReset(browser, token)).status).toBe(303);
  });

  it('lets exactly one of 10 parallel uses of one link succeed, and its password wins', async () => {
    const { app, user, token } = await resetLink();
    const browsers = Array.from({ length: 10 }, () => new IpBrowser(app));
    const csrfs = await Promise.all(browsers.map(async (b) => (await b.page('/forgot-password')).csrf));
    const results = await Promise.all(
      browsers.map((b, i) =>
        b.postForm('/reset-password', { token, password: `parallel password ${i}`, csrf_token: csrfs[i]! }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
    const winner = statuses.indexOf(303);
    for (let i = 0; i < 10; i++) {
      expect(await passwordIs(user.email, `parallel password ${i}`), `password ${i}`).toBe(i === winner);
    }
    const audit = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_events WHERE user_id = ? AND kind = 'password_changed'",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(audit?.n).toBe(1);
  });
});

describe('a reset or a password change ends every outstanding reset link (OWASP Forgot Password)', () => {
  it('refuses an older link once a newer one was used', async () => {
    const { app, user, browser, token: older } = await resetLink();
    expect((await new IpBrowser(app).forgotPassword(user.email)).status).toBe(200);
    const newer = await latestToken(user.email, '/reset-password');
    expect(newer).not.toBe(older);
    expect((await submitReset(browser, newer)).status).toBe(303);
    expect((await browser.get(`/reset-password?token=${older}`)).status).toBe(400);
    expect((await submitReset(browser, older, 'the attacker password')).status).toBe(400);
    expect(await passwordIs(user.email, NEW_PASSWORD)).toBe(true);
  });

  it('refuses a link issued before the password was changed in settings', async () => {
    const { app, user, token } = await resetLink();
    const settings = new IpBrowser(app);
    expect((await settings.signIn(user.email)).status).toBe(303);
    const { csrf } = await settings.page('/settings/account');
    const changed = await settings.postForm('/settings/account/password', {
      current_password: TEST_PASSWORD,
      password: 'changed in settings',
      csrf_token: csrf,
    });
    expect(changed.status).toBe(303);
    const browser = new IpBrowser(app);
    expect((await browser.get(`/reset-password?token=${token}`)).status).toBe(400);
    expect((await submitReset(browser, token, 'the attacker password')).status).toBe(400);
    expect(await passwordIs(user.email, 'changed in settings')).toBe(true);
  });
});

describe('a reset that recovers a never-verified account (pre-account-hijacking)', () => {
  async function appWithAConnection(app: ReturnType<typeof createTestApp>, ownerId: string) {
    const created = await createOAuthApp(
      env.DB,
      ownerId,
      { name: 'Squatter app', redirectUris: ['https://squat.example/cb'], kind: 'public' },
      Math.floor(Date.now() / 1000),
    );
    if (created === 'limit_reached') throw new Error('expected an app');
    const clientId = created.client.clientId;
    const { browser } = await signedInBrowser(app);
    const { verifier, challenge } = await pkcePair();
    const location = await approve(browser, {
      clientId,
      redirectUri: 'https://squat.example/cb',
      challenge,
      scope: 'mcp api',
    });
    const res = await redeem(app, {
      client: { client_id: clientId, redirect_uris: [], token_endpoint_auth_method: 'none' },
      code: location.searchParams.get('code')!,
      verifier,
      redirectUri: 'https://squat.example/cb',
    });
    expect(res.status).toBe(200);
    const grant = await env.DB.prepare('SELECT id FROM oauth_grants WHERE client_id = ?')
      .bind(clientId)
      .first<{ id: string }>();
    return { clientId, grantId: grant!.id, token: ((await res.json()) as TokenSet).access_token };
  }

  const whoAmI = (app: ReturnType<typeof createTestApp>, token: string) =>
    app.fetch('/api/v2/whoAmI', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });

  it('ends every session, token, grant and app the account had', async () => {
    const { app, user, browser, token } = await resetLink(new TestClock(), false);
    const squatter = new IpBrowser(app);
    expect((await squatter.signIn(user.email)).status).toBe(303);
    const pat = await createPersonalAccessToken(
      env.DB,
      user.id,
      'squat',
      null,
      Math.floor(Date.now() / 1000),
    );
    if (!pat.ok) throw new Error('expected a token');
    const connection = await appWithAConnection(app, user.id);
    expect((await whoAmI(app, connection.token)).status).toBe(200);

    expect((await submitReset(browser, token)).status).toBe(303);

    expect(await sessionCount(user.id)).toBe(0);
    expect((await whoAmI(app, pat.token)).status).toBe(401);
    expect(
      await env.DB.prepare('SELECT id FROM oauth_clients WHERE id = ?').bind(connection.clientId).first(),
    ).toBeNull();
    expect(await hasRevocationMarker(env.CACHE, connection.grantId)).toBe(true);
    expect((await whoAmI(app, connection.token)).status).toBe(401);
  });

  it("keeps a verified account's apps and the connections other people made to them", async () => {
    const { app, user, browser, token } = await resetLink(new TestClock(), true);
    const connection = await appWithAConnection(app, user.id);
    expect((await submitReset(browser, token)).status).toBe(303);
    expect(
      await env.DB.prepare('SELECT id FROM oauth_clients WHERE id = ?').bind(connection.clientId).first(),
    ).not.toBeNull();
    expect(await hasRevocationMarker(env.CACHE, connection.grantId)).toBe(false);
    expect((await whoAmI(app, connection.token)).status).toBe(200);
  });
});
