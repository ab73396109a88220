import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLike, hiddenField } from './helpers/browser-like';
import { type DevServer, startDevServer } from './helpers/dev-server';

/**
 * The MCP TypeScript SDK's own client OAuth, driven headlessly: it is given only `<server>/mcp`,
 * discovers everything through the well-known documents, registers (or uses a metadata document),
 * and we play the person's browser by posting the sign-up and consent forms.
 */
class HeadlessProvider implements OAuthClientProvider {
  clientInfo: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;

  constructor(
    readonly redirect: string,
    preset?: OAuthClientInformationMixed,
  ) {
    this.clientInfo = preset;
  }

  get redirectUrl(): string {
    return this.redirect;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Gatehouse e2e client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    return 'e2e-state';
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.clientInfo;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.clientInfo = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'client') this.clientInfo = undefined;
  }
}

async function signUp(browser: BrowserLike): Promise<void> {
  const email = `oauth-e2e-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  expect((await browser.signUp(email, 'an end-to-end password')).status).toBe(303);
}

/** Plays the person: opens the authorization URL, approves, and returns the callback URL. */
async function approveInBrowser(browser: BrowserLike, authorizationUrl: URL): Promise<URL> {
  const res = await browser.get(authorizationUrl.href);
  expect(res.status).toBe(200);
  const html = await res.text();
  const request = hiddenField(html, 'request')!.replace(/&amp;/g, '&');
  const decision = await browser.postForm('/oauth2/authorize', {
    request,
    csrf_token: hiddenField(html, 'csrf_token')!,
    decision: 'approve',
  });
  expect(decision.status).toBe(302);
  return new URL(decision.headers.get('location')!);
}

async function runFullFlow(server: DevServer, provider: HeadlessProvider) {
  const serverUrl = `${server.url}/mcp`;
  expect(await auth(provider, { serverUrl })).toBe('REDIRECT');
  const authorizationUrl = provider.authorizationUrl!;
  expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${server.url}/oauth2/authorize`);
  expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorizationUrl.searchParams.get('resource')).toBe(serverUrl);

  const browser = new BrowserLike(server.url);
  await signUp(browser);
  const callback = await approveInBrowser(browser, authorizationUrl);
  expect(callback.href.startsWith(provider.redirect)).toBe(true);
  expect(callback.searchParams.get('state')).toBe('e2e-state');
  // RFC 9207: the issuer, byte for byte as in the metadata.
  expect(callback.searchParams.get('iss')).toBe(server.url);
  const code = callback.searchParams.get('code')!;

  expect(await auth(provider, { serverUrl, authorizationCode: code })).toBe('AUTHORIZED');
  const first = provider.saved!;
  expect(first.token_type).toBe('Bearer');
  expect(first.refresh_token).toBeTruthy();
  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(first.access_token, jwks, {
    issuer: server.url,
    audience: serverUrl,
    typ: 'at+jwt',
  });
  expect(protectedHeader.typ).toBe('at+jwt');
  expect(payload.client_id).toBe(provider.clientInfo!.client_id);
  expect(payload.scope).toBe('mcp api');

  // With a refresh token stored, the SDK refreshes instead of redirecting.
  expect(await auth(provider, { serverUrl })).toBe('AUTHORIZED');
  const second = provider.saved!;
  expect(second.access_token).not.toBe(first.access_token);
  expect(second.refresh_token).not.toBe(first.refresh_token);

  const revoke = await fetch(`${server.url}/oauth2/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: second.refresh_token!,
      token_type_hint: 'refresh_token',
      client_id: provider.clientInfo!.client_id,
    }),
  });
  expect(revoke.status).toBe(200);
  const afterRevoke = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: second.refresh_token!,
      client_id: provider.clientInfo!.client_id,
    }),
  });
  expect(afterRevoke.status).toBe(400);
  expect(((await afterRevoke.json()) as { error: string }).error).toBe('invalid_grant');
  // The SDK drops the dead tokens and starts a new authorization.
  expect(await auth(provider, { serverUrl })).toBe('REDIRECT');
}

describe('OAuth with the MCP SDK client against the real `npm run dev`', () => {
  let server: DevServer;
  let documents: Server;
  let documentUrl: string;
  const cimdRedirect = 'http://127.0.0.1:45871/callback';

  beforeAll(async () => {
    documents = createServer((req, res) => {
      if (req.url === '/oauth/client.json') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
        res.end(
          JSON.stringify({
            client_id: documentUrl,
            client_name: 'Gatehouse e2e metadata-document client',
            redirect_uris: [cimdRedirect],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none',
          }),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
    documentUrl = `http://127.0.0.1:${(documents.address() as AddressInfo).port}/oauth/client.json`;
    server = await startDevServer({ vars: { CIMD_ALLOW_HTTP_LOOPBACK: 'true' } });
  });

  afterAll(async () => {
    await server?.stop();
    await new Promise<void>((resolve) => documents?.close(() => resolve()));
  });

  it('discovers from /mcp alone, registers by DCR, authorizes, exchanges, refreshes and revokes', async () => {
    const provider = new HeadlessProvider('http://127.0.0.1:45870/callback');
    await runFullFlow(server, provider);
    expect(provider.clientInfo!.client_id).not.toMatch(/^https?:/);
  });

  it('does the same with a client ID metadata document served from 127.0.0.1', async () => {
    const provider = new HeadlessProvider(cimdRedirect, { client_id: documentUrl });
    await runFullFlow(server, provider);
    expect(provider.clientInfo!.client_id).toBe(documentUrl);
  });
});
