import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createTestApp, createUser, TEST_PASSWORD, uniqueEmail } from '../helpers/app';
import { IpBrowser, sessionCookie, sessionCount, uniqueIp } from './support';

async function failedSignIns(userId: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT COUNT(*) AS n FROM audit_events WHERE user_id = ? AND kind = 'signin_failed'",
  )
    .bind(userId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The wall-clock minute the Workers rate limiter counts in (its windows are aligned to it). */
const rateWindow = () => Math.floor(Date.now() / 60_000);

/**
 * Runs `attempt` 11 times in one rate-limit window and returns the statuses. The local rate limiter
 * counts in wall-clock minutes; if a run straddles a minute boundary the counts restart, so such a run
 * is repeated with fresh keys (that is a retry on a known boundary, not on a failed assertion).
 */
async function elevenInOneWindow(attempt: (round: number, i: number) => Promise<Response>) {
  for (let round = 0; round < 3; round++) {
    const start = rateWindow();
    const responses: Response[] = [];
    for (let i = 0; i < 11; i++) responses.push(await attempt(round, i));
    if (rateWindow() === start) return responses;
  }
  throw new Error('three rate-limit windows rolled over during the test');
}

describe('POST /login', () => {
  it('signs in with the right password and starts a session', async () => {
    const user = await createUser();
    const browser = new IpBrowser(createTestApp());
    const res = await browser.signIn(user.email);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(sessionCookie(browser)).toMatch(/^[\w-]{43}$/);
    expect(await sessionCount(user.id)).toBe(1);
    expect((await browser.page('/')).html).toContain(user.email);
  });

  it('accepts the email in any case and with surrounding spaces', async () => {
    const user = await createUser();
    const browser = new IpBrowser(createTestApp());
    expect((await browser.signIn(`  ${user.email.toUpperCase()} `)).status).toBe(303);
  });

  it('lets an unverified account sign in at once', async () => {
    const user = await createUser({ verified: false });
    const browser = new IpBrowser(createTestApp());
    expect((await browser.signIn(user.email)).status).toBe(303);
    expect((await browser.page('/')).html).toContain('not verified');
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const user = await createUser();
    const app = createTestApp();
    const answer = async (email: string) => {
      const browser = new IpBrowser(app);
      const { csrf } = await browser.page('/login');
      const res = await browser.postForm('/login', { email, password: 'wrong password!', csrf_token: csrf });
      const body = (await res.text()).replaceAll(csrf, 'CSRF').replaceAll(email, 'EMAIL');
      const headers = [...res.headers].filter(([k]) => k !== 'set-cookie' && k !== 'date');
      return { status: res.status, body, headers, cookie: sessionCookie(browser) };
    };
    const wrongPassword = await answer(user.email);
    const unknownEmail = await answer(uniqueEmail('nobody'));
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.cookie).toBeUndefined();
    expect(unknownEmail).toEqual(wrongPassword);
    expect(await sessionCount(user.id)).toBe(0);
    expect(await failedSignIns(user.id)).toBe(1);
  });

  it('refuses with the same generic 401 for missing, malformed and duplicated fields', async () => {
    const user = await createUser();
    const app = createTestApp();
    const cases: Array<Record<string, string> | URLSearchParams> = [
      {},
      { email: user.email },
      { password: TEST_PASSWORD },
      { email: `${user.email}\u0000`, password: TEST_PASSWORD },
      { email: `${user.email}\r\nX: y`, password: TEST_PASSWORD },
      { email: 'x'.repeat(4000), password: TEST_PASSWORD },
      { email: user.email, password: 'p'.repeat(4000) },
      new URLSearchParams([
        ['email', user.email],
        ['email', user.email],
        ['password', TEST_PASSWORD],
      ]),
      new URLSearchParams([
        ['email', user.email],
        ['password', 'wrong password!'],
        ['password', TEST_PASSWORD],
      ]),
    ];
    for (const fields of cases) {
      const browser = new IpBrowser(app);
      const { csrf } = await browser.page('/login');
      const body = new URLSearchParams(fields);
      body.set('csrf_token', csrf);
      const res = await browser.postForm('/login', body);
      expect(res.status, body.toString().slice(0, 80)).toBe(401);
      expect(sessionCookie(browser)).toBeUndefined();
    }
    expect(await sessionCount(user.id)).toBe(0);
  });

  it('gives a fresh session id at every sign-in (no fixation)', async () => {
    const user = await createUser();
    const browser = new IpBrowser(createTestApp());
    await browser.signIn(user.email);
    const first = sessionCookie(browser);
    await browser.signOut();
    browser.cookies.set('__Host-gh_session', first!);
    await browser.signIn(user.email);
    expect(sessionCookie(browser)).not.toBe(first);
  });

  it('rate-limits one IP to 10 attempts a minute and answers the 11th with 429 and Retry-After', async () => {
    const app = createTestApp();
    const ips = [uniqueIp(), uniqueIp(), uniqueIp()];
    const responses = await elevenInOneWindow(async (round) => {
      const browser = new IpBrowser(app, ips[round]);
      const { csrf } = await browser.page('/login');
      return browser.postForm('/login', {
        email: uniqueEmail('ip-limit'),
        password: 'wrong password!',
        csrf_token: csrf,
      });
    });
    expect(responses.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(responses[10]!.status).toBe(429);
    expect(Number(responses[10]!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it("lets the owner sign in from their own address after a stranger's wrong guesses hit the limit", async () => {
    const app = createTestApp();
    let user = await createUser();
    let stranger = uniqueIp();
    let lastRound = -1;
    const responses = await elevenInOneWindow(async (round) => {
      if (round !== lastRound) {
        lastRound = round;
        if (round > 0) [user, stranger] = [await createUser(), uniqueIp()];
      }
      const browser = new IpBrowser(app, stranger);
      const { csrf } = await browser.page('/login');
      return browser.postForm('/login', { email: user.email, password: 'wrong password!', csrf_token: csrf });
    });
    expect(responses.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(responses[10]!.status).toBe(429);
    expect(responses[10]!.headers.get('retry-after')).toBe('60');
    const owner = new IpBrowser(app);
    expect((await owner.signIn(user.email)).status).toBe(303);
    expect(await sessionCount(user.id)).toBe(1);
  });

  it('holds one account to 100 guesses a minute from all addresses together (the ceiling)', async () => {
    const app = createTestApp();
    for (let round = 0; round < 3; round++) {
      const user = await createUser();
      const start = rateWindow();
      const statuses: number[] = [];
      for (let i = 0; i < 101; i++) {
        const browser = new IpBrowser(app);
        const { csrf } = await browser.page('/login');
        const password = i === 100 ? TEST_PASSWORD : 'wrong password!';
        statuses.push(
          (await browser.postForm('/login', { email: user.email, password, csrf_token: csrf })).status,
        );
      }
      if (rateWindow() !== start) continue;
      expect(statuses.slice(0, 100)).toEqual(Array(100).fill(401));
      expect(statuses[100]).toBe(429);
      expect(await sessionCount(user.id)).toBe(0);
      return;
    }
    throw new Error('three rate-limit windows rolled over during the test');
  }, 180_000);
});

describe('GET /login', () => {
  it('shows the form with the stable field names', async () => {
    const { res, html, csrf } = await new IpBrowser(createTestApp()).page('/login');
    expect(res.status).toBe(200);
    expect(csrf).not.toBe('');
    expect(html).toMatch(/name="email"/);
    expect(html).toMatch(/name="password"/);
    expect(html).toMatch(/action="\/login"/);
  });

  it('keeps a safe return_to in the form action', async () => {
    const { html } = await new IpBrowser(createTestApp()).page('/login?return_to=%2Fsettings%2Fapi%3Fx%3D1');
    expect(html).toContain('action="/login?return_to=%2Fsettings%2Fapi%3Fx%3D1"');
  });
});
