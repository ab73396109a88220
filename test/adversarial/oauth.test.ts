import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { surfaceFor } from '../../src/http/error-handler';
import { isValidRedirectUri } from '../../src/oauth/redirect-uri';
import { createTestApp } from '../helpers/app';
import { issuedTokens, pkcePair, signedInBrowser } from '../oauth/helpers';
import {
  caseIp,
  contentType,
  expectSafeResponse,
  fc,
  hostileBody,
  hostileForm,
  hostileJson,
  hostileString,
  params,
  RUNS,
  rowsOf,
  secretsToHide,
} from './support';

/**
 * The authorization server under hostile input: RFC 6749-shaped errors with RFC codes, no 5xx, no
 * secret, and a rejected request changes no row — in particular, nobody else's code, refresh token or
 * grant is spent or revoked by a request that fails.
 */

/** Header values must be ISO-8859-1 without CR/LF/NUL to be sent at all; keep the printable part. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '');

const hostileAuthorization = fc.oneof(
  fc.constant(undefined),
  hostileString.map((s) => `Basic ${headerSafe(s)}`),
  hostileString.map((s) => `Bearer ${headerSafe(s)}`),
  fc.constantFrom(
    'Basic',
    'Basic ===',
    'Basic Og==',
    'basic YTpi',
    `Basic ${btoa('a:b:c')}`,
    'Basic '.padEnd(9000, 'A'),
  ),
  hostileString.map(headerSafe),
);

async function victimGrant() {
  const app = createTestApp();
  const issued = await issuedTokens(app);
  const rows = [
    `SELECT * FROM oauth_grants WHERE user_id = '${issued.userId}'`,
    `SELECT * FROM oauth_refresh_tokens WHERE user_id = '${issued.userId}'`,
    `SELECT * FROM oauth_authorization_codes WHERE user_id = '${issued.userId}'`,
  ];
  return { ...issued, rows };
}

describe('adversarial: POST /oauth2/token', () => {
  it(`keeps every invariant over ${RUNS.cheap * 2} hostile requests`, async () => {
    const app = createTestApp();
    const v = await victimGrant();
    const secrets = await secretsToHide([v.tokens.refresh_token, v.code]);
    const attacker = await issuedTokens(app);
    const fixed = {
      grant_type: fc.oneof(
        fc.constantFrom('authorization_code', 'refresh_token', 'password', 'client_credentials', 'implicit'),
        hostileString,
      ),
      // The victim's own secrets, presented by another client: must never work nor burn anything.
      refresh_token: fc.oneof(hostileString, fc.constant(v.tokens.refresh_token)),
      code: fc.oneof(hostileString, fc.constant(v.code)),
      code_verifier: fc.oneof(hostileString, fc.constant(v.verifier)),
      redirect_uri: fc.oneof(hostileString, fc.constant(v.redirectUri)),
      client_id: fc.oneof(hostileString, fc.constant(attacker.client.client_id)),
    };
    const fields = [...Object.keys(fixed), 'client_secret', 'scope', 'resource'];
    await fc.assert(
      fc.asyncProperty(
        hostileBody(hostileForm(fields, fixed)),
        contentType,
        hostileAuthorization,
        fc.constantFrom('/oauth2/token', '/token'),
        async (body, type, authorization, path) => {
          const before = await rowsOf(v.rows);
          const headers: Record<string, string> = { 'content-type': type, 'cf-connecting-ip': caseIp() };
          if (authorization !== undefined) headers.authorization = authorization;
          const res = await app.fetch(path, { method: 'POST', headers, body });
          await expectSafeResponse(res, 'oauth', secrets);
          expect(res.status).not.toBe(200);
          expect(await rowsOf(v.rows)).toBe(before);
        },
      ),
      params(RUNS.cheap * 2),
    );
  });
});

describe('adversarial: POST /oauth2/revoke', () => {
  it(`never revokes another client's grant, over ${RUNS.cheap} hostile requests`, async () => {
    const app = createTestApp();
    const v = await victimGrant();
    const secrets = await secretsToHide([v.tokens.refresh_token]);
    const attacker = await issuedTokens(app);
    const fixed = {
      token: fc.oneof(hostileString, fc.constant(v.tokens.refresh_token), fc.constant(v.tokens.access_token)),
      client_id: fc.oneof(hostileString, fc.constant(attacker.client.client_id)),
    };
    await fc.assert(
      fc.asyncProperty(
        hostileBody(hostileForm(['token', 'client_id', 'token_type_hint', 'client_secret'], fixed)),
        contentType,
        hostileAuthorization,
        async (body, type, authorization) => {
          const before = await rowsOf(v.rows);
          const headers: Record<string, string> = { 'content-type': type, 'cf-connecting-ip': caseIp() };
          if (authorization !== undefined) headers.authorization = authorization;
          const res = await app.fetch('/oauth2/revoke', { method: 'POST', headers, body });
          await expectSafeResponse(res, 'oauth', secrets);
          expect(await rowsOf(v.rows)).toBe(before);
        },
      ),
      params(RUNS.cheap),
    );
  });
});

describe('adversarial: POST /oauth2/register', () => {
  it(`stores only policy-conforming clients, over ${RUNS.cheap * 2} hostile requests`, async () => {
    const app = createTestApp();
    const secrets = await secretsToHide();
    const uri = fc.oneof(
      hostileString,
      fc.constantFrom(
        'https://ok.example/cb',
        'http://127.0.0.1:3000/cb',
        'http://evil.example/cb',
        'https://ok.example/cb#frag',
        'javascript:alert(1)',
        'data:text/html,x',
        'https://user:pw@ok.example/cb',
        'com.example.app:/cb',
        'https://ok.example/cb\u0000',
      ),
    );
    const metadata = fc.record(
      {
        redirect_uris: fc.oneof(fc.array(uri, { maxLength: 3 }), hostileJson),
        token_endpoint_auth_method: fc.oneof(
          fc.constantFrom('none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'),
          hostileJson,
        ),
        grant_types: fc.oneof(fc.constant(['authorization_code', 'refresh_token']), hostileJson),
        response_types: fc.oneof(fc.constant(['code']), hostileJson),
        client_name: hostileJson,
        client_uri: hostileJson,
        logo_uri: hostileJson,
        scope: hostileJson,
        software_id: hostileJson,
        __proto__: hostileJson,
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      { weight: 8, arbitrary: metadata.map((m) => JSON.stringify(m)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('{"redirect_uris":', '[]', 'null', '"x"', '{}', '{"a":1}'.repeat(4000)),
      },
    );
    const type = fc.oneof(
      { weight: 6, arbitrary: fc.constant('application/json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          '',
          'application/json; charset=utf-8',
        ),
      },
    );
    const count = async () =>
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM oauth_clients').first<{ n: number }>())!.n;
    await fc.assert(
      fc.asyncProperty(body, type, async (b, t) => {
        const before = await count();
        const res = await app.fetch('/oauth2/register', {
          method: 'POST',
          headers: { 'content-type': t, 'cf-connecting-ip': caseIp() },
          body: b,
        });
        const text = await expectSafeResponse(res, 'oauth', secrets);
        if (res.status !== 201) {
          expect(await count()).toBe(before);
          return;
        }
        const client = JSON.parse(text) as {
          client_id: string;
          client_name: string;
          redirect_uris: string[];
        };
        expect(client.redirect_uris.length).toBeGreaterThan(0);
        for (const u of client.redirect_uris) expect(isValidRedirectUri(u)).toBe(true);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: names must be printable
        expect(client.client_name).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
        expect(await count()).toBe(before + 1);
      }),
      params(RUNS.cheap * 2),
    );
  });
});

describe('adversarial: GET /oauth2/authorize', () => {
  it(`redirects only to a registered redirect URI or to sign-in, over ${RUNS.cheap * 2} hostile requests`, async () => {
    // Client ID metadata documents are fetched from the network; here every fetch finds nothing.
    let fetched = 0;
    const app = createTestApp({
      fetch: async () => {
        fetched += 1;
        return new Response('not here', { status: 404 });
      },
    });
    const v = await victimGrant();
    const secrets = await secretsToHide();
    const { browser } = await signedInBrowser(app);
    const { challenge } = await pkcePair();
    const value = (real: string[]) => fc.oneof(hostileString, fc.constantFrom(...real));
    const query = fc.record(
      {
        response_type: value(['code', 'token', 'code id_token']),
        client_id: value([v.client.client_id, 'https://evil.example/client.json']),
        redirect_uri: value([
          v.redirectUri,
          'https://evil.example/cb',
          `${v.redirectUri}/../x`,
          `${v.redirectUri}?x=1`,
        ]),
        code_challenge: value([challenge, 'short']),
        code_challenge_method: value(['S256', 'plain']),
        scope: value(['mcp', 'mcp admin', '']),
        state: hostileString,
        resource: value(['http://localhost/mcp', 'https://evil.example/mcp']),
        prompt: value(['none', 'consent']),
      },
      { requiredKeys: [] },
    );
    const dup = fc.constantFrom(
      '',
      '&redirect_uri=https://evil.example/cb',
      '&client_id=x',
      '&state=a&state=b',
    );
    await fc.assert(
      fc.asyncProperty(
        query,
        dup,
        fc.constantFrom('/oauth2/authorize', '/authorize'),
        async (q, extra, path) => {
          const before = await rowsOf(v.rows);
          const qs = new URLSearchParams(q as Record<string, string>).toString() + extra;
          const res = await browser.request(`${path}?${qs}`, { headers: { 'cf-connecting-ip': caseIp() } });
          const html = await expectSafeResponse(res, 'page', secrets);
          const location = res.headers.get('location');
          if (location !== null) {
            const ok = location.startsWith(`${v.redirectUri}?`) || location.startsWith('/login?');
            expect(ok, `redirect to ${location}`).toBe(true);
          }
          expect(html).not.toContain('<script>alert(1)</script>');
          expect(await rowsOf(v.rows)).toBe(before);
        },
      ),
      params(RUNS.cheap * 2),
    );
    expect(fetched).toBeGreaterThan(0);
  });
});

describe('adversarial: discovery documents', () => {
  it(`answer every method and query without 5xx, over ${RUNS.cheap} requests`, async () => {
    const app = createTestApp();
    const secrets = await secretsToHide();
    const paths = [
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/jwks.json',
      '/.well-known/oauth-authorization-server/../jwks.json',
      '/.well-known/%2e%2e/jwks.json',
      '/.well-known/nothing',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        hostileString,
        async (path, method, q) => {
          const res = await app.fetch(`http://localhost${path}?x=${encodeURIComponent(q)}`, {
            method,
            headers: { origin: 'https://evil.example', 'cf-connecting-ip': caseIp() },
          });
          // `%2e%2e` is normalised away: such a path may leave /.well-known/ and be a page.
          const surface = surfaceFor(new URL(`http://localhost${path}`).pathname);
          await expectSafeResponse(res, surface === 'page' ? 'page' : 'oauth', secrets);
          expect(res.headers.get('access-control-allow-credentials')).not.toBe('true');
        },
      ),
      params(RUNS.cheap),
    );
  });
});
