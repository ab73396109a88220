import { describe, expect, it } from 'vitest';
import { Browser, createTestApp, createUser, sessionCookieFor, uniqueEmail } from '../helpers/app';

const PROVIDERS = {
  AUTH_PROVIDERS: JSON.stringify([
    { id: 'corp', type: 'oidc', name: 'Corp SSO', client_id: 'c', issuer: 'https://id.corp.example' },
    { id: 'gh', type: 'github', name: 'GitHub', client_id: 'g' },
  ]),
  AUTH_PROVIDER_CORP_SECRET: 's',
  AUTH_PROVIDER_GH_SECRET: 's',
};

describe('provider buttons on the sign-in and sign-up pages', () => {
  it('shows nothing new without AUTH_PROVIDERS', async () => {
    const browser = new Browser(createTestApp());
    for (const path of ['/login', '/signup']) {
      const { html } = await browser.page(path);
      expect(html).not.toContain('/auth/');
      expect(html).not.toContain('class="providers"');
      expect(html).toContain('name="password"');
    }
  });

  it('shows one POST form with the CSRF token per provider, keeping return_to', async () => {
    const browser = new Browser(createTestApp({ env: PROVIDERS }));
    const { html, csrf } = await browser.page('/login?return_to=%2Foauth2%2Fauthorize%3Fclient_id%3Dx');
    expect(html).toContain('<form method="post" action="/auth/corp/start" class="provider">');
    expect(html).toContain('Continue with Corp SSO');
    expect(html).toContain('Continue with GitHub');
    expect(html).toContain(`value="${csrf}"`);
    expect(html).toContain('name="return_to" value="/oauth2/authorize?client_id=x"');
    expect((await browser.page('/signup')).html).toContain('action="/auth/gh/start"');
  });

  it('refuses to start a flow without the CSRF token, and for an unknown provider', async () => {
    const browser = new Browser(createTestApp({ env: PROVIDERS }));
    expect((await browser.postForm('/auth/corp/start', {})).status).toBe(403);
    const { csrf } = await browser.page('/login');
    const unknown = await browser.postForm('/auth/nope/start', { csrf_token: csrf });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-gatehouse-error')).toBe('unknown_provider');
  });

  it('turns password sign-up off with PASSWORD_SIGNUP=false, keeping the providers', async () => {
    const browser = new Browser(createTestApp({ env: { ...PROVIDERS, PASSWORD_SIGNUP: 'false' } }));
    const { html, csrf } = await browser.page('/signup');
    expect(html).not.toContain('name="password"');
    expect(html).toContain('Continue with Corp SSO');
    expect(html).toContain('>Sign up with</h2>');
    const res = await browser.postForm('/signup', {
      email: uniqueEmail('nosignup'),
      password: 'a long enough password',
      csrf_token: csrf,
    });
    expect(res.status).toBe(403);
    // Existing password accounts still sign in.
    expect((await browser.page('/login')).html).toContain('name="password"');
  });
});

describe('/settings/account: ways to sign in', () => {
  it('offers to link each provider, and lists the password', async () => {
    const user = await createUser();
    const browser = new Browser(createTestApp({ env: PROVIDERS }));
    browser.setCookie(await sessionCookieFor(user.id));
    const { html } = await browser.page('/settings/account');
    expect(html).toContain('Ways to sign in');
    expect(html).toContain('Link Corp SSO');
    expect(html).toContain('name="intent" value="link"');
  });

  it('needs a session to unlink, and the CSRF token', async () => {
    const user = await createUser();
    const app = createTestApp({ env: PROVIDERS });
    const anonymous = new Browser(app);
    expect((await anonymous.postForm('/settings/identities/corp/unlink', {})).status).toBe(303);
    const browser = new Browser(app);
    browser.setCookie(await sessionCookieFor(user.id));
    expect((await browser.postForm('/settings/identities/corp/unlink', { csrf_token: 'x' })).status).toBe(
      403,
    );
  });
});
