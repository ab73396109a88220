import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../e2e/helpers/dev-server';
import { audit, expectClean, launch, newContext, watch } from './helpers';

let server: DevServer;
let browser: Browser;

beforeAll(async () => {
  server = await startDevServer();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const email = `browser-${Date.now()}@example.com`;
const password = 'a long browser password';

/** The newest link to `to` matching `pattern`; account mail is sent after the response, so it polls. */
async function latestLink(to: string, pattern: RegExp): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const mail = (await (await fetch(`${server.url}/dev/mail.json`)).json()) as {
      to: string;
      links: string[];
    }[];
    const link = mail
      .find((m) => m.to === to && m.links.some((l) => pattern.test(l)))
      ?.links.find((l) => pattern.test(l));
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail for ${to} matching ${pattern}`);
}

describe('accounts in a real browser', () => {
  it('signs up, confirms the email from the outbox, signs out and signs in again', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watch(page);

    await page.goto(`${server.url}/signup`);
    await audit(page);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    // Sign-up never signs in (its answer must not tell who has an account): the person signs in next.
    await page.waitForURL(/\/login\?notice=check_inbox/);
    expect(await page.textContent('body')).toContain('Check your inbox');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Your account' }).isVisible()).resolves.toBe(true);
    expect(await page.textContent('body')).toContain('not verified');
    await audit(page);

    await page.goto(await latestLink(email, /verify-email/));
    await audit(page);
    await page.getByRole('button', { name: 'Confirm email' }).click();
    expect(await page.textContent('body')).toContain('Your email is confirmed');

    await page.goto(`${server.url}/`);
    expect(await page.textContent('body')).toContain('verified');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await audit(page);

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('body')).toContain(email);
    expectClean(problems);
    await context.close();
  });

  it('works without JavaScript: the sign-in form posts and the session sticks', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('body')).toContain(email);
    await context.close();
  });

  it('creates a personal access token that is shown once, copies it, and is gone after reload', async () => {
    const context = await newContext(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${server.url}/login?return_to=/settings/api`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/settings/api`);
    await audit(page);
    expect(await page.textContent('body')).toContain('full access to your account');

    await page.getByLabel('Name').fill('browser token');
    await page.getByLabel('Expires').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = await page.inputValue('#new-token');
    expect(token).toMatch(/^tskdp_[0-9A-Za-z]{49}$/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await audit(page);

    const api = await fetch(`${server.url}/api/v1/me/session`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(api.status).not.toBe(500);

    await page.goto(`${server.url}/settings/api`);
    expect(await page.content()).not.toContain(token);
    expect(await page.textContent('body')).toContain(token.slice(-4));

    await page.goto(`${server.url}/settings/security`);
    expect(await page.textContent('body')).toContain('Token created');
    await audit(page);
    expectClean(problems);
    await context.close();
  });

  it('keeps every other page accessible and keyboard-reachable, and resets a password without JavaScript', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watch(page);
    for (const path of ['/', '/login', '/signup', '/forgot-password', '/docs/api']) {
      await page.goto(`${server.url}${path}`);
      await audit(page);
    }
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    for (const path of ['/settings/account', '/settings/apps', '/logout']) {
      await page.goto(`${server.url}${path}`);
      await audit(page);
    }
    expectClean(problems);
    // An invalid reset link answers 400 on purpose (the browser logs that status), so it is audited
    // on a page of its own.
    const invalid = await context.newPage();
    await invalid.goto(`${server.url}/reset-password?token=invalid`);
    expect(await invalid.textContent('body')).toContain('invalid, expired or already used');
    await audit(invalid);
    await context.close();

    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const plain = await noJs.newPage();
    await plain.goto(`${server.url}/forgot-password`);
    await plain.getByLabel('Email').fill(email);
    await plain.getByRole('button', { name: 'Send reset link' }).click();
    await plain.waitForSelector('text=If an account exists');
    await plain.goto(await latestLink(email, /reset-password/));
    await plain.getByLabel('New password').fill('an even longer password');
    await plain.getByRole('button', { name: 'Set new password' }).click();
    await plain.waitForURL(/\/login\?notice=password_reset/);
    await plain.getByLabel('Email').fill(email);
    await plain.getByLabel('Password').fill('an even longer password');
    await plain.getByRole('button', { name: 'Sign in' }).click();
    await plain.waitForURL(`${server.url}/`);
    expect(await plain.textContent('body')).toContain(email);
    await noJs.close();
  });
});
