import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { peekEmailToken } from '../../src/accounts/email-tokens';
import { PRE_SESSION_COOKIE } from '../../src/http/csrf';
import { IpBrowser, latestToken, sessionCount, userRow } from '../accounts/support';
import { createTestApp, outboxFor, TEST_PASSWORD, uniqueEmail } from '../helpers/app';

/** A signed-up (unverified) person with a pending confirmation link and a pending reset link. */
async function scene() {
  const app = createTestApp();
  const email = uniqueEmail('csrf');
  const owner = new IpBrowser(app);
  await owner.signUp(email);
  await owner.forgotPassword(email);
  const user = (await userRow(email))!;
  return {
    app,
    owner,
    email,
    user,
    verifyToken: await latestToken(email, '/verify-email'),
    resetToken: await latestToken(email, '/reset-password'),
  };
}

type Scene = Awaited<ReturnType<typeof scene>>;

/** Every state-changing form, with the fields it needs besides `csrf_token`. */
function forms(s: Scene): Array<{ path: string; fields: Record<string, string> }> {
  return [
    { path: '/signup', fields: { email: uniqueEmail('csrf-new'), password: 'long enough password' } },
    { path: '/login', fields: { email: s.email, password: TEST_PASSWORD } },
    { path: '/logout', fields: {} },
    { path: '/verify-email', fields: { token: s.verifyToken } },
    { path: '/verify-email/resend', fields: {} },
    { path: '/forgot-password', fields: { email: s.email } },
    { path: '/reset-password', fields: { token: s.resetToken, password: 'the attacker password' } },
  ];
}

/** What any of those forms could change. */
async function snapshot(s: Scene) {
  const row = (await userRow(s.email))!;
  const users = await env.DB.prepare(
    "SELECT COUNT(*) AS n FROM users WHERE email_normalized LIKE 'csrf-new-%'",
  ).first<{ n: number }>();
  return {
    sessions: await sessionCount(s.user.id),
    verified: row.email_verified_at,
    passwordHash: row.password_hash,
    mail: (await outboxFor(s.email)).length,
    verifyUsable:
      (await peekEmailToken(env.DB, 'verify_email', s.verifyToken, Math.floor(Date.now() / 1000))) !== null,
    resetUsable:
      (await peekEmailToken(env.DB, 'reset_password', s.resetToken, Math.floor(Date.now() / 1000))) !== null,
    newUsers: users?.n,
  };
}

describe('CSRF protection', () => {
  it('refuses every state-changing POST without a valid csrf_token with 403 and changes nothing', async () => {
    const s = await scene();
    const stranger = new IpBrowser(s.app);
    const strangersToken = (await stranger.page('/login')).csrf;
    const ownToken = (await s.owner.page('/')).csrf;
    const before = await snapshot(s);
    expect(before.sessions).toBe(1);
    const variants: Array<[string, (fields: Record<string, string>) => URLSearchParams]> = [
      ['missing', (f) => new URLSearchParams(f)],
      ['empty', (f) => new URLSearchParams({ ...f, csrf_token: '' })],
      ['random', (f) => new URLSearchParams({ ...f, csrf_token: 'A'.repeat(43) })],
      ['another browser’s', (f) => new URLSearchParams({ ...f, csrf_token: strangersToken })],
      [
        'own token with a changed last character',
        (f) => new URLSearchParams({ ...f, csrf_token: `${ownToken.slice(0, -1)}x` }),
      ],
      [
        'duplicated (wrong then right)',
        (f) =>
          new URLSearchParams([
            ...Object.entries(f),
            ['csrf_token', 'A'.repeat(43)],
            ['csrf_token', ownToken],
          ]),
      ],
      [
        'duplicated (right then wrong)',
        (f) =>
          new URLSearchParams([
            ...Object.entries(f),
            ['csrf_token', ownToken],
            ['csrf_token', 'A'.repeat(43)],
          ]),
      ],
    ];
    for (const { path, fields } of forms(s)) {
      for (const [name, build] of variants) {
        const res = await s.owner.postForm(path, build(fields));
        expect(res.status, `${path} with a ${name} token`).toBe(403);
      }
    }
    expect(await snapshot(s)).toEqual(before);
  });

  it('refuses a visitor without the pre-session cookie even with a well-formed token', async () => {
    const s = await scene();
    const visitor = new IpBrowser(s.app);
    const { csrf } = await visitor.page('/login');
    visitor.cookies.delete(PRE_SESSION_COOKIE);
    const res = await visitor.postForm('/login', {
      email: s.email,
      password: TEST_PASSWORD,
      csrf_token: csrf,
    });
    expect(res.status).toBe(403);
    expect(await sessionCount(s.user.id)).toBe(1);
  });

  it('binds the token to the session after sign-in: the pre-session token stops working', async () => {
    const s = await scene();
    const browser = new IpBrowser(s.app);
    const preSession = (await browser.page('/login')).csrf;
    await browser.postForm('/login', { email: s.email, password: TEST_PASSWORD, csrf_token: preSession });
    expect(await sessionCount(s.user.id)).toBe(2);
    const sessionToken = (await browser.page('/logout')).csrf;
    expect(sessionToken).not.toBe(preSession);
    expect((await browser.postForm('/logout', { csrf_token: preSession })).status).toBe(403);
    // Another session of the same person has its own token.
    expect((await browser.postForm('/logout', { csrf_token: (await s.owner.page('/')).csrf })).status).toBe(
      403,
    );
    expect(await sessionCount(s.user.id)).toBe(2);
    expect((await browser.postForm('/logout', { csrf_token: sessionToken })).status).toBe(303);
    expect(await sessionCount(s.user.id)).toBe(1);
  });

  it('sets the pre-session cookie as __Host-, Secure, HttpOnly, SameSite=Lax', async () => {
    const res = await new IpBrowser(createTestApp()).get('/login');
    const line = res.headers.getSetCookie().find((l) => l.startsWith(`${PRE_SESSION_COOKIE}=`));
    expect(line).toBeDefined();
    const attrs = line!.split(';').map((a) => a.trim().toLowerCase());
    expect(attrs).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
  });
});
