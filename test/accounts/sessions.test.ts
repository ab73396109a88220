import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SESSION_TTL_SECONDS } from '../../src/accounts/sessions';
import { sha256Hex } from '../../src/tokens/secrets';
import { createTestApp, createUser, TestClock } from '../helpers/app';
import { IpBrowser, sessionCookie, sessionCount } from './support';

function sessionSetCookie(res: Response): string {
  const line = res.headers.getSetCookie().find((l) => l.startsWith('__Host-gh_session='));
  if (!line) throw new Error('no session cookie set');
  return line;
}

describe('sessions', () => {
  it('sets a __Host- cookie that is Secure, HttpOnly, SameSite=Lax, Path=/ and has no Domain', async () => {
    const user = await createUser();
    const res = await new IpBrowser(createTestApp()).signIn(user.email);
    const attrs = sessionSetCookie(res)
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase());
    expect(attrs).toContain('secure');
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=lax');
    expect(attrs).toContain('path=/');
    expect(attrs.some((a) => a.startsWith('domain'))).toBe(false);
    expect(attrs).toContain(`max-age=${SESSION_TTL_SECONDS}`);
  });

  it('stores only the SHA-256 of the cookie value', async () => {
    const user = await createUser();
    const browser = new IpBrowser(createTestApp());
    await browser.signIn(user.email);
    const value = sessionCookie(browser)!;
    const { results } = await env.DB.prepare('SELECT * FROM sessions WHERE user_id = ?')
      .bind(user.id)
      .all<Record<string, unknown>>();
    expect(results).toHaveLength(1);
    expect(JSON.stringify(results)).not.toContain(value);
    expect(results[0]!.id_hash).toBe(await sha256Hex(value));
  });

  it('ends when it expires', async () => {
    const clock = new TestClock();
    const user = await createUser();
    const browser = new IpBrowser(createTestApp({ clock }));
    await browser.signIn(user.email);
    clock.advance(SESSION_TTL_SECONDS - 1);
    expect((await browser.page('/')).html).toContain(user.email);
    clock.advance(1);
    const home = await browser.page('/');
    expect(home.html).not.toContain(user.email);
    expect(home.html).toContain('href="/login"');
  });

  it('ignores an unknown, forged or oversized session cookie', async () => {
    const user = await createUser();
    const app = createTestApp();
    for (const value of ['nope', 'A'.repeat(43), 'A'.repeat(5000)]) {
      const browser = new IpBrowser(app);
      browser.cookies.set('__Host-gh_session', value);
      const home = await browser.page('/');
      expect(home.res.status).toBe(200);
      expect(home.html).not.toContain(user.email);
    }
  });
});

describe('POST /logout', () => {
  it('deletes the session row and the cookie', async () => {
    const user = await createUser();
    const browser = new IpBrowser(createTestApp());
    await browser.signIn(user.email);
    const value = sessionCookie(browser)!;
    expect(await sessionCount(user.id)).toBe(1);
    const res = await browser.signOut();
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?notice=signed_out');
    expect(sessionSetCookie(res)).toMatch(/max-age=0/i);
    expect(await sessionCount(user.id)).toBe(0);
    // The old cookie value no longer signs anyone in.
    const replay = new IpBrowser(createTestApp());
    replay.cookies.set('__Host-gh_session', value);
    expect((await replay.page('/')).html).not.toContain(user.email);
  });

  it('ends only this browser’s session', async () => {
    const user = await createUser();
    const app = createTestApp();
    const laptop = new IpBrowser(app);
    const phone = new IpBrowser(app);
    await laptop.signIn(user.email);
    await phone.signIn(user.email);
    expect(await sessionCount(user.id)).toBe(2);
    await laptop.signOut();
    expect(await sessionCount(user.id)).toBe(1);
    expect((await phone.page('/')).html).toContain(user.email);
  });

  it('is harmless without a session', async () => {
    const browser = new IpBrowser(createTestApp());
    const { csrf } = await browser.page('/login');
    const res = await browser.postForm('/logout', { csrf_token: csrf });
    expect(res.status).toBe(303);
  });
});

describe('GET /logout', () => {
  it('shows a sign-out button (a GET never signs out)', async () => {
    const user = await createUser();
    const browser = new IpBrowser(createTestApp());
    await browser.signIn(user.email);
    const { res, html } = await browser.page('/logout');
    expect(res.status).toBe(200);
    expect(html).toMatch(/<form method="post" action="\/logout">/);
    expect(await sessionCount(user.id)).toBe(1);
  });

  it('sends a visitor to /login', async () => {
    const res = await new IpBrowser(createTestApp()).get('/logout');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
  });
});
