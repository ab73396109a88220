import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createTestApp, outboxFor, uniqueEmail } from '../helpers/app';
import { IpBrowser, sessionCookie, sessionCount, userRow } from './support';

describe('POST /signup', () => {
  it('creates an unverified account, mails a confirmation link and signs nobody in', async () => {
    const browser = new IpBrowser(createTestApp());
    const email = uniqueEmail('signup');
    const res = await browser.submitSignUp(email, 'ten chars!');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?notice=check_inbox');
    expect(sessionCookie(browser)).toBeUndefined();
    const user = await userRow(email);
    expect(user).not.toBeNull();
    expect(user!.email_verified_at).toBeNull();
    expect(user!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$[\w-]{22}\$[\w-]{43}$/);
    const mail = await outboxFor(email);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.links).toHaveLength(1);
    expect(mail[0]!.links[0]).toMatch(/^http:\/\/localhost\/verify-email\?token=[\w-]{43}$/);
    expect((await browser.page('/login?notice=check_inbox')).html).toContain('Check your inbox');
    expect((await browser.signIn(email, 'ten chars!')).status).toBe(303);
    expect(await sessionCount(user!.id)).toBe(1);
    const home = await browser.page('/');
    expect(home.html).toContain(email);
    expect(home.html).toContain('not verified');
  });

  it('stores the email normalised: trimmed and lower-cased', async () => {
    const browser = new IpBrowser(createTestApp());
    const email = uniqueEmail('mixed');
    const res = await browser.signUp(`  ${email.toUpperCase()}  `);
    expect(res.status).toBe(303);
    const row = await env.DB.prepare('SELECT email, email_normalized FROM users WHERE email_normalized = ?')
      .bind(email)
      .first<{ email: string; email_normalized: string }>();
    expect(row).toEqual({ email, email_normalized: email });
  });

  it('answers a taken email exactly like a new one, creates no second account and mails the owner', async () => {
    const app = createTestApp();
    const email = uniqueEmail('dup');
    const answer = async (address: string) => {
      const browser = new IpBrowser(app);
      const res = await browser.submitSignUp(address, 'another long password');
      const headers = [...res.headers].filter(([name]) => name !== 'set-cookie');
      const cookies = res.headers.getSetCookie().map((c) => c.replace(/=[^;]*/, '=VALUE'));
      return {
        status: res.status,
        headers,
        cookies,
        body: await res.text(),
        session: sessionCookie(browser),
      };
    };
    const fresh = await answer(email);
    for (const variant of [email, email.toUpperCase(), ` ${email} `]) {
      expect(await answer(variant)).toEqual(fresh);
    }
    expect(fresh.session).toBeUndefined();
    const { results } = await env.DB.prepare('SELECT id FROM users WHERE email_normalized = ?')
      .bind(email)
      .all();
    expect(results).toHaveLength(1);
    const mail = await outboxFor(email);
    expect(mail.map((m) => m.subject)).toEqual([
      'Your Gatehouse account',
      'Your Gatehouse account',
      'Your Gatehouse account',
      'Confirm your email for Gatehouse',
    ]);
    expect(mail[0]!.links).toEqual(['http://localhost/login', 'http://localhost/forgot-password']);
  });

  it('accepts a password of exactly 10 characters and refuses 9', async () => {
    const app = createTestApp();
    const short = uniqueEmail('short');
    expect((await new IpBrowser(app).signUp(short, '123456789')).status).toBe(400);
    expect(await userRow(short)).toBeNull();
    const exact = uniqueEmail('exact');
    expect((await new IpBrowser(app).signUp(exact, '1234567890')).status).toBe(303);
    expect(await userRow(exact)).not.toBeNull();
  });

  it('refuses malformed input with 400 and creates nothing', async () => {
    const app = createTestApp();
    const email = uniqueEmail('bad');
    const cases: Array<[string, Record<string, string> | URLSearchParams]> = [
      ['missing email', { password: 'long enough password' }],
      ['missing password', { email }],
      ['empty email', { email: '', password: 'long enough password' }],
      ['no at sign', { email: 'not-an-email', password: 'long enough password' }],
      ['two at signs', { email: `a@${email}`, password: 'long enough password' }],
      ['no dot in domain', { email: 'a@localhost', password: 'long enough password' }],
      ['newline in email', { email: `${email}\nBcc: x@example.com`, password: 'long enough password' }],
      ['NUL in email', { email: `${email}\u0000`, password: 'long enough password' }],
      ['angle brackets', { email: `<${email}>`, password: 'long enough password' }],
      [
        'email over 254 characters',
        { email: `${'a'.repeat(250)}@example.com`, password: 'long enough password' },
      ],
      ['password over 256 characters', { email, password: 'p'.repeat(257) }],
      [
        'duplicated email',
        new URLSearchParams([
          ['email', email],
          ['email', uniqueEmail('other')],
          ['password', 'long enough password'],
        ]),
      ],
      [
        'duplicated password',
        new URLSearchParams([
          ['email', email],
          ['password', 'long enough password'],
          ['password', 'another long password'],
        ]),
      ],
    ];
    for (const [name, fields] of cases) {
      const browser = new IpBrowser(app);
      const { csrf } = await browser.page('/signup');
      const body = new URLSearchParams(fields);
      body.set('csrf_token', csrf);
      const res = await browser.postForm('/signup', body);
      expect(res.status, name).toBe(400);
      expect(sessionCookie(browser), name).toBeUndefined();
    }
    expect(await userRow(email)).toBeNull();
  });

  it('does not echo hostile input back as markup', async () => {
    const browser = new IpBrowser(createTestApp());
    const { csrf } = await browser.page('/signup');
    const res = await browser.postForm('/signup', {
      email: '"><script>alert(1)</script>',
      password: 'long enough password',
      csrf_token: csrf,
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('GET /signup', () => {
  it('shows a labelled form with the stable field names to a visitor', async () => {
    const { res, html, csrf } = await new IpBrowser(createTestApp()).page('/signup');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(csrf).toMatch(/^[\w-]{43}$/);
    expect(html).toMatch(/<label for="email">/);
    expect(html).toMatch(/<input id="email" name="email"/);
    expect(html).toMatch(/<label for="password">/);
    expect(html).toMatch(/<input id="password" name="password"/);
  });

  it('sends a signed-in person home', async () => {
    const browser = new IpBrowser(createTestApp());
    await browser.signUp(uniqueEmail());
    const res = await browser.get('/signup');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });
});
