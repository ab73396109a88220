import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLike } from './helpers/browser-like';
import { type DevServer, freePort, startDevServer } from './helpers/dev-server';
import { type Forgery, type ForgingIdp, startForgingIdp } from './helpers/forging-idp';
import { createPerson } from './helpers/person';
import { startTestIdp, type TestIdp } from './helpers/test-idp';

const SESSION = '__Host-gh_session';

interface OutboxEntry {
  to: string;
  subject: string;
  links: string[];
}

const unique = (tag: string) =>
  `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;

describe('sign in with an OpenID provider, against oidc-provider and the real `npm run dev`', () => {
  let server: DevServer;
  let idp: TestIdp;
  let forge: ForgingIdp;

  beforeAll(async () => {
    const [port, idpPort, forgePort, deadPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const base = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({ port: idpPort, redirectUris: [`${base}/auth/test/callback`] });
    forge = await startForgingIdp({ port: forgePort });
    const providers = [
      { id: 'test', type: 'oidc', name: 'Test IdP', client_id: idp.clientId, issuer: idp.issuer },
      { id: 'forge', type: 'oidc', name: 'Forge', client_id: forge.clientId, issuer: forge.issuer },
      // Nothing listens here: a provider that is down from the start.
      { id: 'gone', type: 'oidc', name: 'Gone', client_id: 'x', issuer: `http://127.0.0.1:${deadPort}` },
    ];
    server = await startDevServer({
      port,
      vars: {
        AUTH_PROVIDERS: JSON.stringify(providers),
        AUTH_PROVIDER_TEST_SECRET: idp.clientSecret,
        AUTH_PROVIDER_FORGE_SECRET: forge.clientSecret,
        AUTH_PROVIDER_GONE_SECRET: 'unused',
        AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK: 'true',
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await idp?.stop();
    await forge?.stop();
  });

  /** Starts a sign-in from `fromPage` and plays the browser at the provider; returns the callback URL. */
  async function throughProvider(
    browser: BrowserLike,
    providerId: string,
    options: { fromPage?: string; intent?: 'link' } = {},
  ): Promise<string> {
    const page = await browser.page(options.fromPage ?? '/login');
    const start = await browser.postForm(`/auth/${providerId}/start`, {
      csrf_token: page.csrf,
      ...(options.intent ? { intent: options.intent } : {}),
    });
    expect(start.status).toBe(303);
    let location = start.headers.get('location')!;
    const atProvider = new BrowserLike(new URL(location).origin);
    for (let hop = 0; hop < 10 && !location.startsWith(server.url); hop++) {
      const res = await atProvider.get(location);
      expect(res.status).toBeGreaterThanOrEqual(300);
      expect(res.status).toBeLessThan(400);
      location = new URL(res.headers.get('location')!, location).href;
    }
    expect(location.startsWith(`${server.url}/auth/${providerId}/callback?`)).toBe(true);
    return location;
  }

  async function signInWith(
    browser: BrowserLike,
    account: { sub: string; email?: string; email_verified?: boolean },
  ) {
    idp.nextAccount = account;
    return browser.get(await throughProvider(browser, 'test'));
  }

  async function outbox(browser: BrowserLike): Promise<OutboxEntry[]> {
    return (await (await browser.get('/dev/mail.json')).json()) as OutboxEntry[];
  }

  it('shows one button per provider on the sign-in and sign-up pages', async () => {
    const browser = new BrowserLike(server.url);
    for (const path of ['/login', '/signup']) {
      const { html } = await browser.page(path);
      expect(html).toContain('action="/auth/test/start"');
      expect(html).toContain('Continue with Test IdP');
      expect(html).toContain('Continue with Forge');
    }
  });

  it('signs up a new identity, with the email verified because the provider says so, and logs the provider', async () => {
    const browser = new BrowserLike(server.url);
    const email = unique('idp-new');
    const res = await signInWith(browser, { sub: `sub-${email}`, email, email_verified: true });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(browser.cookies.get(SESSION)).toBeDefined();
    const home = await browser.page('/');
    expect(home.html).toContain(email);
    expect(home.html).toContain('badge ok');
    const log = await browser.page('/settings/security');
    expect(log.html).toContain('provider: Test IdP');
    const account = await browser.page('/settings/account');
    expect(account.html).toContain('Your only way to sign in');
  });

  it('signs the same identity in to the same account next time', async () => {
    const email = unique('idp-again');
    const account = { sub: `sub-${email}`, email, email_verified: true };
    const first = new BrowserLike(server.url);
    expect((await signInWith(first, account)).status).toBe(303);
    const second = new BrowserLike(server.url);
    expect((await signInWith(second, account)).status).toBe(303);
    expect((await second.page('/')).html).toContain(email);
  });

  it('creates an unverified account when the provider does not assert the email', async () => {
    const browser = new BrowserLike(server.url);
    const email = unique('idp-unverified');
    expect((await signInWith(browser, { sub: `sub-${email}`, email, email_verified: false })).status).toBe(
      303,
    );
    expect((await browser.page('/')).html).toContain('not verified');
    expect((await outbox(browser)).some((m) => m.to === email && /Confirm your email/.test(m.subject))).toBe(
      true,
    );
  });

  it('never links silently to an existing account: no session, only a mailed proof', async () => {
    const person = await createPerson(server.url, 'idp-victim');
    const attacker = new BrowserLike(server.url);
    const res = await signInWith(attacker, {
      sub: `attacker-${person.email}`,
      email: person.email,
      email_verified: true,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check your email');
    expect(attacker.cookies.get(SESSION)).toBeUndefined();
    // Asking again changes nothing either.
    expect(
      (
        await signInWith(attacker, {
          sub: `attacker-${person.email}`,
          email: person.email,
          email_verified: true,
        })
      ).status,
    ).toBe(200);
    expect(attacker.cookies.get(SESSION)).toBeUndefined();
    // The mailed link in the victim's own browser (not the one that started) links nothing.
    const mail = (await outbox(person.browser)).find(
      (m) => m.to === person.email && /^Link /.test(m.subject),
    )!;
    const link = new URL(mail.links[0]!);
    const page = await person.browser.page(link.pathname + link.search);
    const confirm = await person.browser.postForm('/auth/link', {
      token: link.searchParams.get('token')!,
      csrf_token: page.csrf,
    });
    expect(confirm.status).toBe(400);
    expect(
      (
        await signInWith(attacker, {
          sub: `attacker-${person.email}`,
          email: person.email,
          email_verified: true,
        })
      ).status,
    ).toBe(200);
    expect(attacker.cookies.get(SESSION)).toBeUndefined();
  });

  it('refuses an unverified email that an account already has', async () => {
    const person = await createPerson(server.url, 'idp-taken');
    const browser = new BrowserLike(server.url);
    const res = await signInWith(browser, {
      sub: `x-${person.email}`,
      email: person.email,
      email_verified: false,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-gatehouse-error')).toBe('account_exists');
    expect(browser.cookies.get(SESSION)).toBeUndefined();
  });

  it('links to an existing account with proof: the mailed link, opened in the browser that signed in', async () => {
    const person = await createPerson(server.url, 'idp-owner');
    const account = { sub: `owner-${person.email}`, email: person.email, email_verified: true };
    const browser = new BrowserLike(server.url);
    expect((await signInWith(browser, account)).status).toBe(200);
    const mail = (await outbox(browser)).find(
      (m) => m.to === person.email && /^Link Test IdP/.test(m.subject),
    )!;
    const link = new URL(mail.links[0]!);
    const page = await browser.page(link.pathname + link.search);
    expect(page.status).toBe(200);
    const confirm = await browser.postForm('/auth/link', {
      token: link.searchParams.get('token')!,
      csrf_token: page.csrf,
    });
    expect(confirm.status).toBe(303);
    expect(confirm.headers.get('location')).toBe('/settings/account?notice=identity_linked');
    expect(browser.cookies.get(SESSION)).toBeDefined();
    // Used once only.
    const again = await browser.postForm('/auth/link', {
      token: link.searchParams.get('token')!,
      csrf_token: (await browser.page('/settings/account')).csrf,
    });
    expect(again.status).toBe(400);
    // From now on the identity signs in to that account.
    const later = new BrowserLike(server.url);
    expect((await signInWith(later, account)).status).toBe(303);
    expect((await later.page('/')).html).toContain(person.email);
    expect((await later.page('/settings/security')).html).toContain('via: mail');
  });

  it('links while signed in when the provider asserts the account’s verified email, and refuses another email', async () => {
    const person = await createPerson(server.url, 'idp-settings');
    const { browser } = person;
    const page = await browser.page('/login');
    await browser.postForm('/login', {
      email: person.email,
      password: person.password,
      csrf_token: page.csrf,
    });
    idp.nextAccount = { sub: `other-${person.email}`, email: unique('someone-else'), email_verified: true };
    const refused = await browser.get(
      await throughProvider(browser, 'test', { fromPage: '/settings/account', intent: 'link' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-gatehouse-error')).toBe('email_mismatch');

    idp.nextAccount = { sub: `mine-${person.email}`, email: person.email, email_verified: true };
    const linked = await browser.get(
      await throughProvider(browser, 'test', { fromPage: '/settings/account', intent: 'link' }),
    );
    expect(linked.status).toBe(303);
    expect(linked.headers.get('location')).toBe('/settings/account?notice=identity_linked');
    const settings = await browser.page('/settings/account');
    expect(settings.html).toContain('action="/settings/identities/test/unlink"');
    // With a password the identity is not the last way in, so it can be unlinked.
    const unlink = await browser.postForm('/settings/identities/test/unlink', { csrf_token: settings.csrf });
    expect(unlink.headers.get('location')).toBe('/settings/account?notice=identity_unlinked');
    expect((await browser.page('/settings/security')).html).toContain('Sign-in provider unlinked');
  });

  it('never unlinks the last way to sign in', async () => {
    const browser = new BrowserLike(server.url);
    const email = unique('idp-only');
    expect((await signInWith(browser, { sub: `only-${email}`, email, email_verified: true })).status).toBe(
      303,
    );
    const settings = await browser.page('/settings/account');
    const res = await browser.postForm('/settings/identities/test/unlink', { csrf_token: settings.csrf });
    expect(res.headers.get('location')).toBe('/settings/account?notice=unlink_refused');
    const later = new BrowserLike(server.url);
    expect((await signInWith(later, { sub: `only-${email}`, email, email_verified: true })).status).toBe(303);
  });

  it('refuses a callback whose state does not match, before any code reaches the token endpoint', async () => {
    const browser = new BrowserLike(server.url);
    const email = unique('idp-state');
    idp.nextAccount = { sub: `state-${email}`, email, email_verified: true };
    const callback = new URL(await throughProvider(browser, 'test'));
    callback.searchParams.set('state', 'forged-state');
    const before = idp.tokenRequests;
    const res = await browser.get(callback.href);
    expect(res.status).toBe(400);
    expect(res.headers.get('x-gatehouse-error')).toBe('state_mismatch');
    expect(browser.cookies.get(SESSION)).toBeUndefined();
    expect(idp.tokenRequests).toBe(before);
  });

  it('checks the RFC 9207 iss parameter that oidc-provider sends: another issuer, or none, is refused', async () => {
    for (const tamper of [
      (u: URL) => u.searchParams.set('iss', 'http://127.0.0.1:1'),
      (u: URL) => u.searchParams.delete('iss'),
    ]) {
      const browser = new BrowserLike(server.url);
      const email = unique('idp-iss');
      idp.nextAccount = { sub: `iss-${email}`, email, email_verified: true };
      const callback = new URL(await throughProvider(browser, 'test'));
      expect(callback.searchParams.get('iss')).toBe(idp.issuer);
      tamper(callback);
      const res = await browser.get(callback.href);
      expect(res.status).toBe(400);
      expect(res.headers.get('x-gatehouse-error')).toBe('invalid_response');
      expect(browser.cookies.get(SESSION)).toBeUndefined();
    }
  });

  it('refuses a callback in a browser that did not start the sign-in (login CSRF)', async () => {
    const victim = new BrowserLike(server.url);
    const attacker = new BrowserLike(server.url);
    const email = unique('idp-csrf');
    idp.nextAccount = { sub: `csrf-${email}`, email, email_verified: true };
    const callback = await throughProvider(attacker, 'test');
    const res = await victim.get(callback);
    expect(res.status).toBe(400);
    expect(res.headers.get('x-gatehouse-error')).toBe('flow_expired');
    expect(victim.cookies.get(SESSION)).toBeUndefined();
  });

  describe('forged ID tokens (a hand-rolled IdP mints each defect)', () => {
    it('accepts the honest token (the control case)', async () => {
      forge.forgery = 'none';
      forge.subject = `honest-${Date.now()}`;
      forge.email = unique('forge-honest');
      const browser = new BrowserLike(server.url);
      const res = await browser.get(await throughProvider(browser, 'forge'));
      expect(res.status).toBe(303);
      expect(browser.cookies.get(SESSION)).toBeDefined();
    });

    const forgeries: Forgery[] = [
      'wrong_issuer',
      'wrong_audience',
      'wrong_nonce',
      'expired',
      'unsigned',
      'other_key',
    ];
    for (const forgery of forgeries) {
      it(`refuses an ID token with ${forgery.replace('_', ' ')} (invalid_response, no session, no account)`, async () => {
        forge.forgery = forgery;
        forge.subject = `${forgery}-${Date.now()}`;
        forge.email = unique(`forge-${forgery}`);
        const browser = new BrowserLike(server.url);
        const res = await browser.get(await throughProvider(browser, 'forge'));
        expect(res.status).toBe(400);
        expect(res.headers.get('x-gatehouse-error')).toBe('invalid_response');
        expect(await res.text()).toContain('could not be verified');
        expect(browser.cookies.get(SESSION)).toBeUndefined();
        // No account was created for the forged address: a password sign-up for it still works.
        const signup = await browser.page('/signup');
        const created = await browser.postForm('/signup', {
          email: forge.email,
          password: 'a long enough password',
          csrf_token: signup.csrf,
        });
        expect(created.status).toBe(303);
      });
    }
  });

  describe('a provider that is down', () => {
    it('shows a clear sign-in page, not a 5xx, when discovery cannot be reached', async () => {
      const browser = new BrowserLike(server.url);
      const page = await browser.page('/login');
      const res = await browser.postForm('/auth/gone/start', { csrf_token: page.csrf });
      expect(res.status).toBe(400);
      expect(res.headers.get('x-gatehouse-error')).toBe('provider_unavailable');
      const html = await res.text();
      expect(html).toContain('cannot be reached right now');
      expect(html).toContain('name="password"');
    });

    it('shows the same page when the token endpoint fails after the person came back', async () => {
      forge.forgery = 'none';
      const browser = new BrowserLike(server.url);
      const callback = await throughProvider(browser, 'forge');
      forge.down = true;
      try {
        const res = await browser.get(callback);
        expect(res.status).toBe(400);
        expect(res.headers.get('x-gatehouse-error')).toBe('provider_unavailable');
      } finally {
        forge.down = false;
      }
    });
  });
});
