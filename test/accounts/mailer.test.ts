import { describe, expect, it } from 'vitest';
import { createTestApp, outboxFor, uniqueEmail } from '../helpers/app';
import { IpBrowser, latestToken, userRow } from './support';

const PRODUCTION = {
  ENVIRONMENT: 'production',
  PUBLIC_URL: 'https://gh.example.com',
  MAIL_API_URL: 'https://mail.example.com/emails',
  MAIL_API_KEY: 'mail-key-for-tests',
  MAIL_FROM: 'Gatehouse <no-reply@gh.example.com>',
};

interface Sent {
  url: string;
  headers: Headers;
  body: { from: string; to: string[]; subject: string; text: string };
}

/** An outbound fetch that records calls to the mail API and answers like one. */
function recordingFetch(status = 200) {
  const sent: Sent[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    sent.push({ url: request.url, headers: request.headers, body: await request.json() });
    return new Response(JSON.stringify({ id: 'msg_1' }), { status });
  };
  return { sent, fetchFn };
}

describe('mail in production', () => {
  it('sends the confirmation link through the mail API with the key, from PUBLIC_URL', async () => {
    const { sent, fetchFn } = recordingFetch();
    const app = createTestApp({ env: PRODUCTION, fetch: fetchFn });
    const email = uniqueEmail('prod');
    const res = await new IpBrowser(app).signUp(email);
    expect(res.status).toBe(303);
    expect(sent).toHaveLength(1);
    const [call] = sent;
    expect(call!.url).toBe(PRODUCTION.MAIL_API_URL);
    expect(call!.headers.get('authorization')).toBe(`Bearer ${PRODUCTION.MAIL_API_KEY}`);
    expect(call!.headers.get('content-type')).toBe('application/json');
    expect(call!.body.from).toBe(PRODUCTION.MAIL_FROM);
    expect(call!.body.to).toEqual([email]);
    expect(call!.body.text).toMatch(/https:\/\/gh\.example\.com\/verify-email\?token=[\w-]{43}/);
    expect(await outboxFor(email)).toHaveLength(0);
  });

  it('sends reset links through the mail API too, and the link works', async () => {
    const { sent, fetchFn } = recordingFetch();
    const app = createTestApp({ env: PRODUCTION, fetch: fetchFn });
    const email = uniqueEmail('prod-reset');
    const browser = new IpBrowser(app);
    await browser.signUp(email);
    await browser.forgotPassword(email);
    expect(sent).toHaveLength(2);
    const link = /https:\/\/gh\.example\.com\/reset-password\?token=([\w-]{43})/.exec(sent[1]!.body.text);
    expect(link).not.toBeNull();
    const page = await browser.page(`/reset-password?token=${link![1]}`);
    expect(page.res.status).toBe(200);
    await expect(latestToken(email, '/reset-password')).rejects.toThrow();
  });

  it('still creates the account when the mail API fails; once signed in, the person can resend', async () => {
    const { fetchFn } = recordingFetch(502);
    const app = createTestApp({ env: PRODUCTION, fetch: fetchFn });
    const email = uniqueEmail('prod-fail');
    const browser = new IpBrowser(app);
    const res = await browser.signUp(email);
    expect(res.status).toBe(303);
    // Mail goes out after the response, so its failure cannot show there (or it would tell who has
    // an account); it is logged.
    expect(res.headers.get('location')).toBe('/login?notice=check_inbox');
    expect(await userRow(email)).not.toBeNull();
    const home = await browser.page('/');
    expect(home.html).toContain(email);
    expect(home.html).toContain('action="/verify-email/resend"');
  });

  it('answers a resend with 503 and Retry-After when the mail API is down; a reset request as always', async () => {
    const { fetchFn } = recordingFetch(502);
    const app = createTestApp({ env: PRODUCTION, fetch: fetchFn });
    const email = uniqueEmail('prod-down');
    const browser = new IpBrowser(app);
    await browser.signUp(email);
    // The reset link is mailed after the response, which is the same whether the account exists.
    expect((await browser.forgotPassword(email)).status).toBe(200);
    const { csrf } = await browser.page('/');
    const resend = await browser.postForm('/verify-email/resend', { csrf_token: csrf });
    expect(resend.status).toBe(503);
  });

  it('answers 503 when the mail API cannot be reached at all', async () => {
    const app = createTestApp({
      env: PRODUCTION,
      fetch: async () => {
        throw new TypeError('network connection lost');
      },
    });
    const email = uniqueEmail('prod-offline');
    const browser = new IpBrowser(app);
    await browser.signUp(email);
    const { csrf } = await browser.page('/');
    expect((await browser.postForm('/verify-email/resend', { csrf_token: csrf })).status).toBe(503);
  });
});
