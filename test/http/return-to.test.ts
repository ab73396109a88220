import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/http/return-to';
import { IpBrowser } from '../accounts/support';
import { createTestApp, createUser, TEST_PASSWORD } from '../helpers/app';

/** Values that must never leave the origin, raw (as they reach safeReturnTo after query decoding). */
const HOSTILE = [
  '//evil.example',
  '///evil.example',
  'https://evil.example',
  'http://evil.example/path',
  'HTTPS://evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '\\/evil.example',
  '/\\/evil.example',
  '/.//evil.example',
  '/..//evil.example',
  '/a/..//evil.example',
  '/%2e//evil.example',
  '/%2e%2e//evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/\u0000/evil.example',
  '/\u007f/evil.example',
  ' //evil.example',
  'javascript:alert(1)',
  'data:text/html,hi',
  'evil.example',
  '',
  `/${'a'.repeat(3000)}`,
];

function isHomeOrLocal(location: string | null): boolean {
  if (location === null) return false;
  if (!location.startsWith('/') || location.startsWith('//') || location.includes('\\')) return false;
  return new URL(location, 'https://origin.invalid').origin === 'https://origin.invalid';
}

describe('safeReturnTo', () => {
  it('turns every open-redirect attempt into /', () => {
    for (const value of HOSTILE) expect(safeReturnTo(value), JSON.stringify(value)).toBe('/');
  });

  it('keeps same-origin paths with their query and drops the fragment', () => {
    expect(safeReturnTo('/settings/api')).toBe('/settings/api');
    expect(safeReturnTo('/oauth2/authorize?client_id=a&state=b')).toBe(
      '/oauth2/authorize?client_id=a&state=b',
    );
    expect(safeReturnTo('/x#frag')).toBe('/x');
    expect(safeReturnTo('/%2F%2Fevil.example')).toBe('/%2F%2Fevil.example');
  });
});

describe('return_to after sign-in', () => {
  it('sends every hostile return_to home, encoded or not', async () => {
    const app = createTestApp();
    const user = await createUser();
    const browser = new IpBrowser(app);
    await browser.signIn(user.email);
    const queries = HOSTILE.flatMap((v) => [
      encodeURIComponent(v),
      encodeURIComponent(encodeURIComponent(v)),
    ]).concat(['%2F%2Fevil.example', '%5C%5Cevil.example', '%2F%5Cevil.example', '/%09/evil.example']);
    for (const q of queries) {
      const res = await browser.get(`/login?return_to=${q}`);
      expect(res.status, q).toBe(303);
      const location = res.headers.get('location');
      expect(isHomeOrLocal(location), `${q} → ${location}`).toBe(true);
    }
  });

  it('redirects to a hostile return_to’s home, not to it, when signing in', async () => {
    const app = createTestApp();
    const user = await createUser();
    for (const value of ['//evil.example', '/.//evil.example', 'https://evil.example', '/\\evil.example']) {
      const browser = new IpBrowser(app);
      const { csrf } = await browser.page('/login');
      const res = await browser.postForm(`/login?return_to=${encodeURIComponent(value)}`, {
        email: user.email,
        password: TEST_PASSWORD,
        csrf_token: csrf,
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location'), value).toBe('/');
    }
  });

  it('follows a same-origin return_to after signing in', async () => {
    const user = await createUser();
    const browser = new IpBrowser(createTestApp());
    const { csrf } = await browser.page('/login?return_to=%2Fsettings%2Fapi');
    const res = await browser.postForm('/login?return_to=%2Fsettings%2Fapi', {
      email: user.email,
      password: TEST_PASSWORD,
      csrf_token: csrf,
    });
    expect(res.headers.get('location')).toBe('/settings/api');
  });
});
