import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { Browser, createUser, ORIGIN, type TestApp } from '../helpers/app';

export const ISSUER = ORIGIN;
export const MCP_URL = `${ORIGIN}/mcp`;

let ipCounter = 0;
/** A distinct client IP per call, so per-IP rate limits never couple unrelated tests. */
export function freshIp(): string {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}

export async function register(app: TestApp, body: unknown): Promise<Response> {
  return app.fetch('/oauth2/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshIp() },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
}

export async function registerClient(
  app: TestApp,
  overrides: Record<string, unknown> = {},
): Promise<RegisteredClient> {
  const res = await register(app, {
    client_name: 'Test client',
    redirect_uris: ['https://client.example/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    ...overrides,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as RegisteredClient;
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

export function authorizePath(
  params: Record<string, string | undefined>,
  path = '/oauth2/authorize',
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `${path}?${q}`;
}

/** A signed-in browser for a fresh person. */
export async function signedInBrowser(app: TestApp): Promise<{ browser: Browser; userId: string }> {
  const user = await createUser({ verified: true });
  const browser = new Browser(app);
  const res = await browser.signIn(user.email, user.password);
  expect(res.status).toBe(303);
  return { browser, userId: user.id };
}

export interface AuthorizeOptions {
  clientId: string;
  redirectUri: string;
  scope?: string;
  state?: string;
  resource?: string;
  challenge: string;
}

/** Runs GET /oauth2/authorize and approves the consent page; returns the redirect Location. */
export async function approve(browser: Browser, opts: AuthorizeOptions): Promise<URL> {
  const path = authorizePath({
    response_type: 'code',
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri,
    scope: opts.scope,
    state: opts.state ?? 'state-123',
    resource: opts.resource,
    code_challenge: opts.challenge,
    code_challenge_method: 'S256',
  });
  const page = await browser.page(path);
  if (page.res.status === 302 || page.res.status === 303) return new URL(page.res.headers.get('location')!);
  expect(page.res.status).toBe(200);
  const request = hiddenValue(page.html, 'request');
  const res = await browser.postForm('/oauth2/authorize', {
    request,
    csrf_token: page.csrf,
    decision: 'approve',
  });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

/** The decoded value of a hidden input. */
export function hiddenValue(html: string, name: string): string {
  const raw = new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];
  if (raw === undefined) throw new Error(`no hidden field ${name}`);
  return raw
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function tokenRequest(
  app: TestApp,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return app.fetch('/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** A full authorization for a fresh client and person: returns everything needed to redeem the code. */
export async function authorizedCode(app: TestApp, overrides: Record<string, unknown> = {}, scope?: string) {
  const client = await registerClient(app, overrides);
  const { browser, userId } = await signedInBrowser(app);
  const { verifier, challenge } = await pkcePair();
  const redirectUri = client.redirect_uris[0]!;
  const location = await approve(browser, { clientId: client.client_id, redirectUri, challenge, scope });
  const code = location.searchParams.get('code');
  expect(code).toBeTruthy();
  return { client, browser, userId, verifier, challenge, redirectUri, code: code!, location };
}

export async function redeem(
  app: TestApp,
  a: { client: RegisteredClient; code: string; verifier: string; redirectUri: string },
): Promise<Response> {
  return tokenRequest(app, {
    grant_type: 'authorization_code',
    code: a.code,
    code_verifier: a.verifier,
    redirect_uri: a.redirectUri,
    client_id: a.client.client_id,
  });
}

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** Authorizes and redeems: a fresh grant with its first token set. */
export async function issuedTokens(app: TestApp, overrides: Record<string, unknown> = {}, scope?: string) {
  const a = await authorizedCode(app, overrides, scope);
  const res = await redeem(app, a);
  expect(res.status).toBe(200);
  return { ...a, tokens: (await res.json()) as TokenSet };
}

export async function refresh(
  app: TestApp,
  clientId: string,
  refreshToken: string,
  extra: Record<string, string> = {},
): Promise<Response> {
  return tokenRequest(app, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
    ...extra,
  });
}

export { env };
