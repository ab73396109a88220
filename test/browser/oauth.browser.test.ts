import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../e2e/helpers/dev-server';
import { audit, expectClean, launch, newContext, watch } from './helpers';

let server: DevServer;
let browser: Browser;
let callback: Server;
let callbackUrl: string;
const received: URL[] = [];

/** Screenshots are written to docs/screenshots/ only when asked: `SCREENSHOTS=1 npm run test:browser`. */
const SHOOT = process.env.SCREENSHOTS === '1';
const SHOT_DIR = new URL('../../docs/screenshots/', import.meta.url).pathname;
const VIEWPORTS = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } } as const;

beforeAll(async () => {
  server = await startDevServer();
  browser = await launch();
  // The MCP client's loopback callback, as a desktop client would run it.
  callback = createServer((req, res) => {
    received.push(new URL(req.url ?? '/', callbackUrl));
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Done</title><p>You can close this window.</p>');
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
  if (SHOOT) mkdirSync(SHOT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((r) => callback?.close(r));
});

const email = `oauth-browser-${Date.now()}@example.com`;
const password = 'a long browser password';

async function shoot(context: BrowserContext, path: string, name: string) {
  if (!SHOOT) return;
  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    await page.goto(path);
    await page.screenshot({ path: `${SHOT_DIR}${name}-${label}.png`, fullPage: true });
    await page.close();
  }
}

async function registerClient(): Promise<string> {
  const res = await fetch(`${server.url}/oauth2/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Desktop MCP client',
      redirect_uris: [callbackUrl],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { client_id: string }).client_id;
}

function authorizeUrl(clientId: string, state: string): { url: string; verifier: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: callbackUrl,
    state,
    scope: 'mcp',
    resource: `${server.url}/mcp`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return { url: `${server.url}/oauth2/authorize?${q}`, verifier };
}

describe('OAuth consent and settings in a real browser', () => {
  let context: BrowserContext;

  it('signs up, is sent to sign in by the authorize URL, approves, and the loopback callback gets code, state and iss', async () => {
    context = await newContext(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${server.url}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/notice=check_inbox/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    // The confirmation mail is sent after the sign-up response, so it may land a moment later.
    const mailTo = async () => {
      const outbox = (await (await fetch(`${server.url}/dev/mail.json`)).json()) as {
        to: string;
        links: string[];
      }[];
      return outbox.find((m) => m.to === email);
    };
    await expect.poll(mailTo).toBeDefined();
    await page.goto((await mailTo())!.links[0]!);
    await page.getByRole('button', { name: 'Confirm email' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);

    const clientId = await registerClient();
    const { url } = authorizeUrl(clientId, 'state-approve');
    await page.goto(url);
    await page.waitForURL(/\/login\?return_to=/);
    await shoot(context, page.url(), 'sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('text=Desktop MCP client');
    expect(await page.textContent('body')).toContain('registered itself automatically');
    expect(await page.textContent('body')).toContain('127.0.0.1');
    await audit(page);
    await shoot(context, page.url(), 'consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect.poll(() => received.some((u) => u.searchParams.get('state') === 'state-approve')).toBe(true);
    const got = received.find((u) => u.searchParams.get('state') === 'state-approve')!;
    expect(got.searchParams.get('code')).toMatch(/.+/);
    expect(got.searchParams.get('state')).toBe('state-approve');
    expect(got.searchParams.get('iss')).toBe(server.url);
    expectClean(problems);
  });

  it('denies: the callback gets access_denied with state and iss', async () => {
    const page = await context.newPage();
    const problems = watch(page);
    const clientId = await registerClient();
    await page.goto(authorizeUrl(clientId, 'state-deny').url);
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(() => received.some((u) => u.searchParams.get('state') === 'state-deny')).toBe(true);
    const got = received.find((u) => u.searchParams.get('state') === 'state-deny')!;
    expect(got.searchParams.get('error')).toBe('access_denied');
    expect(got.searchParams.get('state')).toBe('state-deny');
    expect(got.searchParams.get('iss')).toBe(server.url);
    expectClean(problems);
  });

  it('approves consent without JavaScript too', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const page = await noJs.newPage();
    const clientId = await registerClient();
    await page.goto(authorizeUrl(clientId, 'state-nojs').url);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect.poll(() => received.some((u) => u.searchParams.get('state') === 'state-nojs')).toBe(true);
    expect(
      received.find((u) => u.searchParams.get('state') === 'state-nojs')?.searchParams.get('code'),
    ).toMatch(/.+/);
    await noJs.close();
  });

  it('creates a token, registers an OAuth app, disconnects the connected app and reads the security log', async () => {
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${server.url}/settings/api`);
    await page.getByLabel('Name').fill('screenshot token');
    await page.getByRole('button', { name: 'Create token' }).click();
    expect(await page.inputValue('#new-token')).toMatch(/^tskdp_/);
    await shoot(context, `${server.url}/settings/api`, 'api-tokens');

    await page.goto(`${server.url}/settings/apps`);
    await audit(page);
    await page.getByLabel('Name', { exact: true }).fill('Reporting dashboard');
    await page.getByLabel('Redirect URIs (one per line)').last().fill('https://dashboard.example/callback');
    await page.getByRole('button', { name: 'Register app' }).click();
    expect(await page.inputValue('#client-secret')).toMatch(/.{40,}/);
    await audit(page);

    await page.goto(`${server.url}/settings/apps`);
    expect(await page.textContent('body')).toContain('Desktop MCP client');
    await page.getByRole('button', { name: 'Disconnect Desktop MCP client' }).first().click();
    await page.waitForURL(/notice=disconnected/);
    expect(await page.textContent('body')).toContain('The app was disconnected');

    await page.goto(`${server.url}/settings/security`);
    const log = await page.textContent('body');
    for (const event of ['Signed in', 'Token created', 'OAuth app registered', 'App disconnected'])
      expect(log).toContain(event);
    await audit(page);
    expectClean(problems);
    await context.close();
  });
});
