import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, freePort, startDevServer } from '../e2e/helpers/dev-server';
import { createPerson } from '../e2e/helpers/person';
import { startTestIdp, type TestIdp } from '../e2e/helpers/test-idp';
import { audit, expectClean, launch, newContext, watch } from './helpers';

let server: DevServer;
let browser: Browser;
let idp: TestIdp;

/** Screenshots are written to docs/screenshots/ only when asked: `SCREENSHOTS=1 npm run test:browser`. */
const SHOOT = process.env.SCREENSHOTS === '1';
const SHOT_DIR = new URL('../../docs/screenshots/', import.meta.url).pathname;
const VIEWPORTS = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } } as const;

beforeAll(async () => {
  const [port, idpPort] = [await freePort(), await freePort()];
  idp = await startTestIdp({ port: idpPort, redirectUris: [`http://127.0.0.1:${port}/auth/test/callback`] });
  server = await startDevServer({
    port,
    vars: {
      AUTH_PROVIDERS: JSON.stringify([
        { id: 'test', type: 'oidc', name: 'Test IdP', client_id: idp.clientId, issuer: idp.issuer },
      ]),
      AUTH_PROVIDER_TEST_SECRET: idp.clientSecret,
      AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK: 'true',
    },
  });
  browser = await launch();
  if (SHOOT) mkdirSync(SHOT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await idp?.stop();
});

async function shoot(page: Page, name: string) {
  if (!SHOOT) return;
  // The audit leaves focus on a control; the pictures show the page at rest.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: `${SHOT_DIR}${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

describe('sign-in providers in a real browser', () => {
  it('signs up with the provider button, through oidc-provider and back, and lists the identity', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watch(page);
    const email = `idp-browser-${Date.now()}@example.com`;
    idp.nextAccount = { sub: `browser-${email}`, email, email_verified: true };

    await page.goto(`${server.url}/login`);
    await audit(page);
    await shoot(page, 'sign-in-providers');
    await page.getByRole('button', { name: 'Continue with Test IdP' }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('body')).toContain(email);

    await page.goto(`${server.url}/settings/account`);
    await audit(page);
    const table = page.getByRole('table', { name: 'Password and linked providers' });
    expect(await table.textContent()).toContain('Test IdP');
    expect(await table.textContent()).toContain('Your only way to sign in');
    expectClean(problems);
    await context.close();
  });

  it('links the provider from /settings/account for a password account, and unlinks it', async () => {
    const person = await createPerson(server.url, 'idp-browser-link');
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.url}/`);

    await page.goto(`${server.url}/settings/account`);
    idp.nextAccount = { sub: `link-${person.email}`, email: person.email, email_verified: true };
    await page.getByRole('button', { name: 'Link Test IdP' }).click();
    await page.waitForURL(/\/settings\/account\?notice=identity_linked/);
    expect(await page.getByRole('status').first().textContent()).toContain('linked');
    await audit(page);
    await shoot(page, 'linked-identities');

    await page.getByRole('button', { name: 'Unlink Test IdP' }).click();
    await page.waitForURL(/notice=identity_unlinked/);
    expect(await page.getByRole('button', { name: 'Link Test IdP' }).isVisible()).toBe(true);
    expectClean(problems);
    await context.close();
  });
});
