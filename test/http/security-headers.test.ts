import { describe, expect, it } from 'vitest';
import { IpBrowser } from '../accounts/support';
import { createTestApp, createUser } from '../helpers/app';

function expectSecurityHeaders(res: Response, label: string) {
  const csp = res.headers.get('content-security-policy') ?? '';
  const directives = csp.split(';').map((d) => d.trim());
  expect(directives, label).toContain("default-src 'self'");
  expect(directives, label).toContain("frame-ancestors 'none'");
  expect(csp, label).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(res.headers.get('x-content-type-options'), label).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), label).toBe('no-referrer');
}

describe('security headers', () => {
  it('are on every kind of response: pages, assets, redirects, errors', async () => {
    const user = await createUser();
    const app = createTestApp();
    const browser = new IpBrowser(app);
    const visitor = new IpBrowser(app);
    const responses: Array<[string, Response]> = [
      ['home', await visitor.get('/')],
      ['login', await visitor.get('/login')],
      ['signup', await visitor.get('/signup')],
      ['forgot-password', await visitor.get('/forgot-password')],
      ['reset-password (invalid)', await visitor.get('/reset-password?token=x')],
      ['verify-email (invalid)', await visitor.get('/verify-email')],
      ['stylesheet', await visitor.get('/assets/app.css')],
      ['script', await visitor.get('/assets/app.js')],
      ['dev outbox', await visitor.get('/dev/mail.json')],
      ['not found page', await visitor.get('/no/such/page')],
      ['not found api', await visitor.get('/api/v1/no-such-thing')],
      ['redirect', await visitor.get('/logout')],
      ['415', await visitor.request('/login', { method: 'POST', body: 'x' })],
      ['403', await visitor.postForm('/login', { email: 'a@example.com' })],
      ['sign-in', await browser.signIn(user.email)],
      ['signed-in home', await browser.get('/')],
    ];
    for (const [label, res] of responses) expectSecurityHeaders(res, `${label} (${res.status})`);
    expect(responses.map(([, r]) => r.status)).toEqual(
      expect.arrayContaining([200, 303, 400, 403, 404, 415]),
    );
  });

  it('add HSTS over https only', async () => {
    const app = createTestApp();
    const https = await app.fetch('https://localhost/login');
    expect(https.headers.get('strict-transport-security')).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
    expectSecurityHeaders(https, 'https');
    const http = await app.fetch('http://localhost/login');
    expect(http.headers.get('strict-transport-security')).toBeNull();
  });

  it('forbid framing in older browsers too', async () => {
    const res = await createTestApp().fetch('/login');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('keep pages that carry a form out of caches', async () => {
    const app = createTestApp();
    for (const path of ['/', '/login', '/signup', '/forgot-password', '/reset-password', '/verify-email']) {
      const res = await app.fetch(path);
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });
});
