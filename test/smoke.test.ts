import { describe, expect, it } from 'vitest';
import { Browser, createTestApp, outboxFor, uniqueEmail } from './helpers/app';

describe('the account flow in-process', () => {
  it('signs up, confirms the email from the outbox and signs in again', async () => {
    const app = createTestApp();
    const browser = new Browser(app);
    const email = uniqueEmail();
    const { csrf } = await browser.page('/signup');
    const signup = await browser.postForm('/signup', {
      email,
      password: 'a long enough password',
      csrf_token: csrf,
    });
    expect(signup.status).toBe(303);
    const [mail] = await outboxFor(email);
    expect(mail?.links[0]).toMatch(/\/verify-email\?token=/);
    const link = new URL(mail!.links[0]!);
    const confirm = await browser.page(link.pathname + link.search);
    expect(confirm.res.status).toBe(200);
    const done = await browser.postForm('/verify-email', {
      token: link.searchParams.get('token')!,
      csrf_token: confirm.csrf,
    });
    expect(await done.text()).toContain('Your email is confirmed');
    expect((await browser.signIn(email, 'a long enough password')).status).toBe(303);
    const home = await browser.page('/');
    expect(home.html).toContain('verified');
  });
});
