import { describe, expect, it } from 'vitest';
import { Browser, createTestApp, createUser, sessionCookieFor } from '../helpers/app';
import {
  caseIp,
  contentType,
  expectSafeResponse,
  fc,
  hostileBody,
  hostileForm,
  hostileString,
  params,
  RUNS,
  rowsOf,
  secretsToHide,
} from './support';

/**
 * Account pages under hostile input. Every case: no 5xx, no stack or secret in the body, errors are
 * HTML pages, a rejected request changes no row (the security log excepted: failed sign-ins are
 * logged by design), and the other person's rows never change.
 */

const TABLES = (victimId: string) => [
  'SELECT COUNT(*) AS n FROM users',
  'SELECT COUNT(*) AS n FROM sessions',
  'SELECT COUNT(*) AS n FROM email_tokens WHERE consumed_at IS NULL',
  'SELECT COUNT(*) AS n FROM personal_access_tokens',
  'SELECT COUNT(*) AS n FROM oauth_grants',
  `SELECT * FROM users WHERE id = '${victimId}'`,
  `SELECT * FROM sessions WHERE user_id = '${victimId}'`,
];

const POSTS: { path: string; fields: string[]; runs: number }[] = [
  { path: '/signup', fields: ['email', 'password', 'csrf_token'], runs: RUNS.hashing },
  { path: '/login', fields: ['email', 'password', 'csrf_token'], runs: RUNS.hashing },
  { path: '/forgot-password', fields: ['email', 'csrf_token'], runs: RUNS.cheap },
  { path: '/reset-password', fields: ['token', 'password', 'csrf_token'], runs: RUNS.hashing },
  { path: '/verify-email', fields: ['token', 'csrf_token'], runs: RUNS.cheap },
  { path: '/verify-email/resend', fields: ['csrf_token'], runs: RUNS.cheap },
  { path: '/logout', fields: ['csrf_token'], runs: RUNS.cheap },
];

describe('adversarial: account page forms', () => {
  for (const ep of POSTS) {
    it(`POST ${ep.path} keeps every invariant over ${ep.runs} hostile requests`, async () => {
      const app = createTestApp();
      const victim = await createUser({ verified: true });
      await sessionCookieFor(victim.id);
      const secrets = await secretsToHide([victim.password]);
      const browser = new Browser(app);
      const { csrf } = await browser.page('/login');
      const fixed = {
        csrf_token: fc.oneof(
          { weight: 4, arbitrary: fc.constant(csrf) },
          { weight: 1, arbitrary: hostileString },
        ),
        email: fc.oneof(hostileString, fc.constant(victim.email), fc.constant(victim.email.toUpperCase())),
        password: fc.oneof(hostileString, fc.constant('a perfectly good password')),
        token: fc.oneof(hostileString, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)),
      };
      await fc.assert(
        fc.asyncProperty(
          hostileBody(hostileForm(ep.fields, fixed)),
          contentType,
          fc.constantFrom('', '?return_to=//evil.example', '?return_to=%2F%2Fevil.example'),
          async (body, type, query) => {
            const before = await rowsOf(TABLES(victim.id));
            const res = await browser.request(`${ep.path}${query}`, {
              method: 'POST',
              headers: { 'content-type': type, 'cf-connecting-ip': caseIp() },
              body,
            });
            await expectSafeResponse(res, 'page', secrets);
            const location = res.headers.get('location');
            if (location !== null) expect(location).toMatch(/^\/(?![/\\])/);
            if (res.status >= 400) expect(await rowsOf(TABLES(victim.id))).toBe(before);
            // Whatever happened, the victim's password and sessions are untouched.
            const after = JSON.parse(await rowsOf(TABLES(victim.id).slice(5)));
            expect(after[0][0].password_hash).toBe(JSON.parse(before)[5][0].password_hash);
            browser.cookies.delete('__Host-gh_session');
          },
        ),
        params(ep.runs),
      );
    });
  }
});

describe('adversarial: account pages by GET', () => {
  const GETS = ['/login', '/signup', '/forgot-password', '/reset-password', '/verify-email', '/logout', '/'];
  it(`GET pages keep every invariant over ${RUNS.cheap} hostile queries and paths`, async () => {
    const app = createTestApp();
    const secrets = await secretsToHide();
    const query = fc
      .array(fc.tuple(fc.constantFrom('token', 'return_to', 'notice', 'email', ''), hostileString), {
        maxLength: 4,
      })
      .map((pairs) => new URLSearchParams(pairs).toString());
    const pathTrick = fc.constantFrom('', '/', '//', '/.', '/..', '%2f..', ';x', '/%00', '.json');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...GETS), pathTrick, query, async (path, trick, q) => {
        const res = await new Browser(app).request(`http://localhost${path}${trick}?${q}`, {
          headers: { 'cf-connecting-ip': caseIp() },
        });
        const html = await expectSafeResponse(res, 'page', secrets);
        const location = res.headers.get('location');
        if (location !== null) expect(location).toMatch(/^\/(?![/\\])/);
        // A hostile return_to is never echoed into a form as an off-site target.
        expect(html).not.toMatch(/name="return_to"[^>]*value="(https?:|\/\/|\/\\)/);
        expect(html).not.toContain('<script>alert(1)</script>');
      }),
      params(RUNS.cheap),
    );
  });
});
