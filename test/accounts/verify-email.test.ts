import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createTestApp, outboxFor, TestClock, uniqueEmail } from '../helpers/app';
import { IpBrowser, latestToken, userRow } from './support';

async function signedUpBrowser(clock = new TestClock()) {
  const app = createTestApp({ clock });
  const browser = new IpBrowser(app);
  const email = uniqueEmail('verify');
  expect((await browser.signUp(email)).status).toBe(303);
  return { app, browser, email, token: await latestToken(email, '/verify-email') };
}

/** Follows the link and presses the button; a page without the form still yields this browser's token. */
async function confirm(browser: IpBrowser, token: string): Promise<Response> {
  const { csrf } = await browser.page(`/verify-email?token=${token}`);
  const csrfToken = csrf || (await browser.page('/forgot-password')).csrf;
  return browser.postForm('/verify-email', { token, csrf_token: csrfToken });
}

describe('GET /verify-email', () => {
  it('shows a confirm button for a usable link and does not consume it', async () => {
    const { browser, email, token } = await signedUpBrowser();
    for (let i = 0; i < 2; i++) {
      const { res, html } = await browser.page(`/verify-email?token=${token}`);
      expect(res.status).toBe(200);
      expect(html).toContain(`name="token" value="${token}"`);
    }
    expect((await userRow(email))!.email_verified_at).toBeNull();
  });

  it('answers 400 without a form for missing, malformed and forged tokens', async () => {
    const { browser } = await signedUpBrowser();
    const forged = 'A'.repeat(43);
    for (const query of [
      '',
      '?token=',
      '?token=short',
      `?token=${forged}`,
      `?token=${forged}x`,
      '?token=%00',
    ]) {
      const { res, html } = await browser.page(`/verify-email${query}`);
      expect(res.status, query).toBe(400);
      expect(html, query).not.toContain('name="token"');
    }
  });
});

describe('POST /verify-email', () => {
  it('marks the email verified and records it in the security log', async () => {
    const { browser, email, token } = await signedUpBrowser();
    const res = await confirm(browser, token);
    expect(res.status).toBe(200);
    const user = (await userRow(email))!;
    expect(user.email_verified_at).not.toBeNull();
    const audit = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_events WHERE user_id = ? AND kind = 'email_verified'",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(audit?.n).toBe(1);
    expect((await browser.page('/')).html).toContain('>verified<');
  });

  it('works without a session (the link alone proves the address)', async () => {
    const { app, email, token } = await signedUpBrowser();
    const stranger = new IpBrowser(app);
    expect((await confirm(stranger, token)).status).toBe(200);
    expect((await userRow(email))!.email_verified_at).not.toBeNull();
  });

  it('refuses a reused link with 400', async () => {
    const { browser, token } = await signedUpBrowser();
    expect((await confirm(browser, token)).status).toBe(200);
    expect((await confirm(browser, token)).status).toBe(400);
    expect((await browser.page(`/verify-email?token=${token}`)).res.status).toBe(400);
  });

  it('refuses a link older than 24 hours and leaves the account unverified', async () => {
    const clock = new TestClock();
    const { browser, email, token } = await signedUpBrowser(clock);
    clock.advance(24 * 3600 - 1);
    expect((await browser.page(`/verify-email?token=${token}`)).res.status).toBe(200);
    clock.advance(1);
    expect((await browser.page(`/verify-email?token=${token}`)).res.status).toBe(400);
    expect((await confirm(browser, token)).status).toBe(400);
    expect((await userRow(email))!.email_verified_at).toBeNull();
  });

  it('accepts a link just before it expires', async () => {
    const clock = new TestClock();
    const { browser, email, token } = await signedUpBrowser(clock);
    clock.advance(24 * 3600 - 1);
    expect((await confirm(browser, token)).status).toBe(200);
    expect((await userRow(email))!.email_verified_at).not.toBeNull();
  });

  it('refuses forged, malformed and duplicated tokens with 400 and verifies nothing', async () => {
    const { browser, email, token } = await signedUpBrowser();
    const { csrf } = await browser.page('/');
    const bodies: Array<Record<string, string> | URLSearchParams> = [
      { token: 'A'.repeat(43), csrf_token: csrf },
      { token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, csrf_token: csrf },
      { token: `${token} `, csrf_token: csrf },
      { token: '', csrf_token: csrf },
      { csrf_token: csrf },
      new URLSearchParams([
        ['token', token],
        ['token', token],
        ['csrf_token', csrf],
      ]),
    ];
    for (const body of bodies) {
      const res = await browser.postForm('/verify-email', body);
      expect(res.status, String(new URLSearchParams(body))).toBe(400);
    }
    expect((await userRow(email))!.email_verified_at).toBeNull();
    // The genuine link was not burned by any of the attempts.
    expect((await confirm(browser, token)).status).toBe(200);
  });

  it('lets exactly one of many parallel uses of a link succeed', async () => {
    const { app, email, token } = await signedUpBrowser();
    const browsers = Array.from({ length: 8 }, () => new IpBrowser(app));
    const csrfs = await Promise.all(browsers.map(async (b) => (await b.page('/login')).csrf));
    const results = await Promise.all(
      browsers.map((b, i) => b.postForm('/verify-email', { token, csrf_token: csrfs[i]! })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
    const user = (await userRow(email))!;
    const audit = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_events WHERE user_id = ? AND kind = 'email_verified'",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(audit?.n).toBe(1);
  });
});

describe('POST /verify-email/resend', () => {
  it('mails a new, working link to an unverified person', async () => {
    const { browser, email } = await signedUpBrowser();
    const { csrf } = await browser.page('/');
    const res = await browser.postForm('/verify-email/resend', { csrf_token: csrf });
    expect(res.status).toBe(303);
    const mail = await outboxFor(email);
    expect(mail).toHaveLength(2);
    const fresh = await latestToken(email, '/verify-email');
    expect(mail[1]!.links[0]).not.toContain(fresh);
    expect((await confirm(browser, fresh)).status).toBe(200);
    expect((await userRow(email))!.email_verified_at).not.toBeNull();
  });

  it('sends nothing once the email is verified', async () => {
    const { browser, email, token } = await signedUpBrowser();
    expect((await confirm(browser, token)).status).toBe(200);
    const { csrf } = await browser.page('/');
    const res = await browser.postForm('/verify-email/resend', { csrf_token: csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(await outboxFor(email)).toHaveLength(1);
  });

  it('sends a visitor without a session to /login', async () => {
    const browser = new IpBrowser(createTestApp());
    const { csrf } = await browser.page('/login');
    const res = await browser.postForm('/verify-email/resend', { csrf_token: csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
  });
});
