import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLike } from './helpers/browser-like';
import { type DevServer, startDevServer } from './helpers/dev-server';

const SESSION = '__Host-gh_session';

describe('accounts against the real `npm run dev`', () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await startDevServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('walks sign-up → mail link → confirm → sign-out → sign-in → sign-out like a browser', async () => {
    const browser = new BrowserLike(server.url);
    const email = `e2e-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const password = 'an end-to-end password';

    const signupPage = await browser.page('/signup');
    expect(signupPage.status).toBe(200);
    expect(signupPage.csrf).not.toBe('');
    const signup = await browser.postForm('/signup', { email, password, csrf_token: signupPage.csrf });
    expect(signup.status).toBe(303);
    expect(signup.headers.get('location')).toBe('/login?notice=check_inbox');
    expect(browser.cookies.get(SESSION)).toBeUndefined();
    const firstLogin = await browser.page('/login?notice=check_inbox');
    expect(firstLogin.html).toContain('Check your inbox');
    const first = await browser.postForm('/login', { email, password, csrf_token: firstLogin.csrf });
    expect(first.status).toBe(303);
    expect(browser.cookies.get(SESSION)).toBeDefined();
    expect((await browser.page('/')).html).toContain('not verified');

    const mine = await browser.mailTo(email);
    expect(mine).toHaveLength(1);
    const link = new URL(mine[0]!.links[0]!);
    expect(link.origin).toBe(server.url);
    expect(link.pathname).toBe('/verify-email');

    const confirmPage = await browser.page(link.pathname + link.search);
    expect(confirmPage.status).toBe(200);
    const confirmed = await browser.postForm('/verify-email', {
      token: link.searchParams.get('token')!,
      csrf_token: confirmPage.csrf,
    });
    expect(confirmed.status).toBe(200);
    const home = await browser.page('/');
    expect(home.html).toContain(email);
    expect(home.html).toContain('>verified<');

    const signout = await browser.postForm('/logout', { csrf_token: home.csrf });
    expect(signout.status).toBe(303);
    expect(browser.cookies.has(SESSION)).toBe(false);
    expect((await browser.page('/')).html).not.toContain(email);

    const loginPage = await browser.page('/login');
    const wrong = await browser.postForm('/login', {
      email,
      password: 'not the password',
      csrf_token: loginPage.csrf,
    });
    expect(wrong.status).toBe(401);
    expect(browser.cookies.has(SESSION)).toBe(false);
    const login = await browser.postForm('/login', { email, password, csrf_token: loginPage.csrf });
    expect(login.status).toBe(303);
    const session = browser.cookies.get(SESSION);
    expect(session).toBeDefined();
    const signedIn = await browser.page('/');
    expect(signedIn.html).toContain(email);

    const logoutPage = await browser.page('/logout');
    expect(logoutPage.status).toBe(200);
    const logout = await browser.postForm('/logout', { csrf_token: logoutPage.csrf });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toBe('/login?notice=signed_out');
    expect(browser.cookies.has(SESSION)).toBe(false);

    // The old session cookie is dead on the server, not only forgotten by the browser.
    const replay = new BrowserLike(server.url);
    replay.cookies.set(SESSION, session!);
    expect((await replay.page('/')).html).not.toContain(email);
  });

  it('serves pages with the security headers and the outbox as a page', async () => {
    const res = await fetch(`${server.url}/dev/mail`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});
