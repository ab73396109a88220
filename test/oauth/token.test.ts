import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config';
import { verifyAccessToken } from '../../src/tokens/access-token';
import { getKeySet } from '../../src/tokens/keys';
import { hasRevocationMarker } from '../../src/tokens/revocation';
import { sha256Hex } from '../../src/tokens/secrets';
import { createTestApp } from '../helpers/app';
import {
  approve,
  authorizedCode,
  env,
  ISSUER,
  issuedTokens,
  MCP_URL,
  pkcePair,
  redeem,
  refresh,
  registerClient,
  signedInBrowser,
  type TokenSet,
  tokenRequest,
} from './helpers';

async function errorOf(res: Response): Promise<string> {
  expect(res.headers.get('cache-control')).toBe('no-store');
  return ((await res.json()) as { error: string }).error;
}

async function grantIdOf(code: string): Promise<string> {
  const row = await env.DB.prepare('SELECT grant_id FROM oauth_authorization_codes WHERE code_hash = ?')
    .bind(await sha256Hex(code))
    .first<{ grant_id: string }>();
  return row!.grant_id;
}

describe('POST /oauth2/token — authorization_code (RFC 6749 §4.1.3)', () => {
  it('issues a Bearer JWT for the MCP resource and a refresh token, never cached', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const res = await redeem(app, a);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toContain('application/json');
    const t = (await res.json()) as TokenSet;
    expect(t).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'mcp' });
    expect(t.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const v = await verifyAccessToken(await getKeySet(parseConfig(env)), t.access_token, {
      issuer: ISSUER,
      audience: MCP_URL,
      now: Math.floor(app.clock.now() / 1000),
    });
    expect(v).toMatchObject({ userId: a.userId, clientId: a.client.client_id, scopes: ['mcp'] });
    expect(v.grantId).toBe(await grantIdOf(a.code));
  });

  it('rejects a reused authorization code with invalid_grant and revokes what it issued (RFC 6749 §10.5)', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const first = (await (await redeem(app, a)).json()) as TokenSet;
    const again = await redeem(app, a);
    expect(again.status).toBe(400);
    expect(await errorOf(again)).toBe('invalid_grant');
    const grantId = await grantIdOf(a.code);
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(true);
    const grant = await env.DB.prepare('SELECT revoked_at FROM oauth_grants WHERE id = ?')
      .bind(grantId)
      .first<{ revoked_at: number | null }>();
    expect(grant).toEqual({ revoked_at: expect.any(Number) });
    expect(await errorOf(await refresh(app, a.client.client_id, first.refresh_token))).toBe('invalid_grant');
  });

  it("lets no other client end the victim's grant by replaying a spent code", async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const first = (await (await redeem(app, a)).json()) as TokenSet;
    const attacker = await registerClient(app, { redirect_uris: ['https://attacker.example/cb'] });
    const replay = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: a.code,
      code_verifier: 'w'.repeat(43),
      redirect_uri: 'https://attacker.example/cb',
      client_id: attacker.client_id,
    });
    expect(await errorOf(replay)).toBe('invalid_grant');
    const grantId = await grantIdOf(a.code);
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(false);
    const grant = await env.DB.prepare('SELECT revoked_at FROM oauth_grants WHERE id = ?')
      .bind(grantId)
      .first<{ revoked_at: number | null }>();
    expect(grant).toEqual({ revoked_at: null });
    expect((await refresh(app, a.client.client_id, first.refresh_token)).status).toBe(200);
  });

  it('gives exactly one success to 20 parallel redemptions of one code', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const results = await Promise.all(Array.from({ length: 20 }, () => redeem(app, a)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    const refreshRows = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM oauth_refresh_tokens WHERE grant_id = ?',
    )
      .bind(await grantIdOf(a.code))
      .first<{ n: number }>();
    expect(refreshRows?.n).toBe(1);
  });

  it("rejects another client's code with invalid_grant and leaves it usable by its owner", async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const thief = await registerClient(app, { redirect_uris: a.client.redirect_uris });
    const stolen = await redeem(app, { ...a, client: thief });
    expect(stolen.status).toBe(400);
    expect(await errorOf(stolen)).toBe('invalid_grant');
    expect((await redeem(app, a)).status).toBe(200);
  });

  it('rejects a wrong PKCE verifier with invalid_grant', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const other = await pkcePair();
    for (const verifier of [other.verifier, `${a.verifier}x`, a.challenge, 'x'.repeat(43)]) {
      const res = await redeem(app, { ...a, verifier });
      expect(await errorOf(res)).toBe('invalid_grant');
    }
  });

  it('cannot be downgraded: a request without code_verifier fails', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const res = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: a.code,
      redirect_uri: a.redirectUri,
      client_id: a.client.client_id,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('invalid_request');
    expect((await redeem(app, a)).status).toBe(200);
  });

  it('cannot be downgraded: a code without a stored S256 challenge cannot exist', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const grantId = await grantIdOf(a.code);
    const insert = (challenge: string | null, method: string) =>
      env.DB.prepare(
        `INSERT INTO oauth_authorization_codes (code_hash, grant_id, client_id, user_id, redirect_uri, code_challenge,
           code_challenge_method, scope, resource, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'mcp', ?, 0, 9999999999)`,
      )
        .bind(
          crypto.randomUUID(),
          grantId,
          a.client.client_id,
          a.userId,
          a.redirectUri,
          challenge,
          method,
          MCP_URL,
        )
        .run();
    await expect(insert(null, 'S256')).rejects.toThrow();
    await expect(insert(a.challenge, 'plain')).rejects.toThrow();
  });

  it('rejects a redirect_uri other than the one sent to /authorize with invalid_grant', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app, {
      redirect_uris: ['https://client.example/callback', 'https://client.example/other'],
    });
    expect(await errorOf(await redeem(app, { ...a, redirectUri: 'https://client.example/other' }))).toBe(
      'invalid_grant',
    );
    const missing = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: a.code,
      code_verifier: a.verifier,
      client_id: a.client.client_id,
    });
    expect(await errorOf(missing)).toBe('invalid_request');
  });

  it('rejects a code older than 10 minutes with invalid_grant', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    app.clock.advance(601);
    expect(await errorOf(await redeem(app, a))).toBe('invalid_grant');
  });

  it('accepts a code just under 10 minutes old', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    app.clock.advance(590);
    expect((await redeem(app, a)).status).toBe(200);
  });

  it('rejects an unknown code with invalid_grant', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    expect(await errorOf(await redeem(app, { ...a, code: 'A'.repeat(43) }))).toBe('invalid_grant');
  });

  it('rejects a resource other than the MCP URL with invalid_target, without spending the code', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const res = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: a.code,
      code_verifier: a.verifier,
      redirect_uri: a.redirectUri,
      client_id: a.client.client_id,
      resource: 'https://other.example/mcp',
    });
    expect(await errorOf(res)).toBe('invalid_target');
    expect((await redeem(app, a)).status).toBe(200);
  });

  it('stores codes and refresh tokens only as SHA-256 hashes', async () => {
    const app = createTestApp();
    const { code, tokens } = await issuedTokens(app);
    const codes = await env.DB.prepare('SELECT * FROM oauth_authorization_codes').all();
    const refreshTokens = await env.DB.prepare('SELECT * FROM oauth_refresh_tokens').all();
    const everything = JSON.stringify([codes.results, refreshTokens.results]);
    expect(everything).not.toContain(code);
    expect(everything).not.toContain(tokens.refresh_token);
    expect(everything).toContain(await sha256Hex(code));
    expect(everything).toContain(await sha256Hex(tokens.refresh_token));
  });
});

describe('client authentication at the token endpoint (RFC 6749 §2.3)', () => {
  it('answers an unknown client with 401 invalid_client so clients register again', async () => {
    const app = createTestApp();
    const res = await tokenRequest(app, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: 'gone',
    });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toBe('invalid_client');
  });

  const malformed = [
    'Basic',
    'Basic ',
    'Basic !!!!',
    'Basic bm9jb2xvbg==',
    `Basic ${btoa('id:')}`,
    `Basic ${btoa(':secret')}`,
    `Basic ${btoa('%E0%A4%A:secret')}`,
    'Bearer abc',
    'Digest username="x"',
    `Basic ${'A'.repeat(10_000)}`,
  ];
  for (const header of malformed) {
    it(`answers a malformed Authorization header ${JSON.stringify(header.slice(0, 30))} with 401 invalid_client, not 500`, async () => {
      const app = createTestApp();
      const res = await tokenRequest(
        app,
        { grant_type: 'authorization_code', code: 'x', code_verifier: 'y', redirect_uri: 'z' },
        { authorization: header },
      );
      expect(res.status).toBe(401);
      expect(await errorOf(res)).toBe('invalid_client');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    });
  }

  it('enforces the registered method', async () => {
    const app = createTestApp();
    const none = await registerClient(app, { token_endpoint_auth_method: 'none' });
    const basic = await registerClient(app, { token_endpoint_auth_method: 'client_secret_basic' });
    const post = await registerClient(app, { token_endpoint_auth_method: 'client_secret_post' });
    const base = { grant_type: 'refresh_token', refresh_token: 'unknown' };
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{ client_id: none.client_id, client_secret: 'anything' }, {}],
      [{}, { authorization: `Basic ${btoa(`${none.client_id}:anything`)}` }],
      [{ client_id: basic.client_id, client_secret: basic.client_secret! }, {}],
      [{ client_id: basic.client_id }, {}],
      [{}, { authorization: `Basic ${btoa(`${post.client_id}:${post.client_secret}`)}` }],
      [{ client_id: post.client_id }, {}],
      [{ client_id: post.client_id, client_secret: 'wrong' }, {}],
      [{}, { authorization: `Basic ${btoa(`${basic.client_id}:wrong`)}` }],
    ];
    for (const [fields, headers] of attempts) {
      const res = await tokenRequest(app, { ...base, ...fields }, headers);
      expect(res.status).toBe(401);
      expect(await errorOf(res)).toBe('invalid_client');
    }
    // The right method gets past authentication (and fails on the unknown refresh token instead).
    const ok = await tokenRequest(app, base, {
      authorization: `Basic ${btoa(`${basic.client_id}:${basic.client_secret}`)}`,
    });
    expect(await errorOf(ok)).toBe('invalid_grant');
  });

  it('refuses two authentication methods in one request with invalid_request', async () => {
    const app = createTestApp();
    const basic = await registerClient(app, { token_endpoint_auth_method: 'client_secret_basic' });
    const res = await tokenRequest(
      app,
      { grant_type: 'refresh_token', refresh_token: 'x', client_secret: basic.client_secret! },
      { authorization: `Basic ${btoa(`${basic.client_id}:${basic.client_secret}`)}` },
    );
    expect(await errorOf(res)).toBe('invalid_request');
  });
});

describe('grant types and request shape', () => {
  for (const grantType of [
    'password',
    'implicit',
    'client_credentials',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:token-exchange',
    'AUTHORIZATION_CODE',
  ]) {
    it(`answers grant_type=${grantType} with unsupported_grant_type`, async () => {
      const app = createTestApp();
      const res = await tokenRequest(app, {
        grant_type: grantType,
        client_id: 'x',
        username: 'a',
        password: 'b',
      });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toBe('unsupported_grant_type');
    });
  }

  it('answers a missing grant_type with invalid_request', async () => {
    const app = createTestApp();
    expect(await errorOf(await tokenRequest(app, { client_id: 'x' }))).toBe('invalid_request');
  });

  it('refuses repeated parameters and non-form bodies with invalid_request', async () => {
    const app = createTestApp();
    const dup = await app.fetch('/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id=x',
    });
    expect(await errorOf(dup)).toBe('invalid_request');
    const json = await app.fetch('/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token' }),
    });
    expect(await errorOf(json)).toBe('invalid_request');
  });

  it('answers at /token too', async () => {
    const app = createTestApp();
    const a = await authorizedCode(app);
    const res = await app.fetch('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: a.code,
        code_verifier: a.verifier,
        redirect_uri: a.redirectUri,
        client_id: a.client.client_id,
      }).toString(),
    });
    expect(res.status).toBe(200);
  });
});

describe('POST /oauth2/token — refresh_token (RFC 6749 §6, OAuth 2.1 §4.3.1)', () => {
  it('rotates: each use returns a new refresh token that works', async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const r1 = (await (await refresh(app, client.client_id, tokens.refresh_token)).json()) as TokenSet;
    expect(r1.refresh_token).not.toBe(tokens.refresh_token);
    app.clock.advance(10);
    const r2 = await refresh(app, client.client_id, r1.refresh_token);
    expect(r2.status).toBe(200);
  });

  it('answers a replay inside the grace window with the same successor, never a new chain (RFC 9700 §4.14.2)', async () => {
    const app = createTestApp();
    const { client, tokens, userId } = await issuedTokens(app);
    const first = await refresh(app, client.client_id, tokens.refresh_token);
    expect(first.status).toBe(200);
    const successor = (await first.json()) as TokenSet;
    app.clock.advance(30);
    for (let i = 0; i < 5; i++) {
      const replay = await refresh(app, client.client_id, tokens.refresh_token);
      expect(replay.status).toBe(200);
      const again = (await replay.json()) as TokenSet;
      expect(again.refresh_token).toBe(successor.refresh_token);
      expect(again.access_token).toBe(successor.access_token);
      expect(again.scope).toBe(successor.scope);
      expect(again.expires_in).toBe(successor.expires_in - 30);
    }
    // One successor exists, whatever the number of replays: no second chain to outlive the first.
    const children = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM oauth_refresh_tokens WHERE user_id = ? AND parent_hash IS NOT NULL',
    )
      .bind(userId)
      .first<{ n: number }>();
    expect(children?.n).toBe(1);
    expect((await refresh(app, client.client_id, successor.refresh_token)).status).toBe(200);
  });

  it('stores the successor only sealed with the token it replaces, never in the clear', async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const successor = (await (await refresh(app, client.client_id, tokens.refresh_token)).json()) as TokenSet;
    const row = await env.DB.prepare('SELECT * FROM oauth_refresh_tokens WHERE token_hash = ?')
      .bind(await sha256Hex(tokens.refresh_token))
      .first<Record<string, unknown>>();
    expect(typeof row?.successor_sealed).toBe('string');
    const dump = JSON.stringify(row);
    expect(dump).not.toContain(successor.refresh_token);
    expect(dump).not.toContain(successor.access_token.split('.')[1]!);
  });

  it('revokes the whole grant when a rotated token is used after the grace window', async () => {
    const app = createTestApp();
    const { client, tokens, code } = await issuedTokens(app);
    const next = (await (await refresh(app, client.client_id, tokens.refresh_token)).json()) as TokenSet;
    app.clock.advance(61);
    const reuse = await refresh(app, client.client_id, tokens.refresh_token);
    expect(await errorOf(reuse)).toBe('invalid_grant');
    expect(await errorOf(await refresh(app, client.client_id, next.refresh_token))).toBe('invalid_grant');
    expect(await hasRevocationMarker(env.CACHE, await grantIdOf(code))).toBe(true);
  });

  it('honours REFRESH_GRACE_SECONDS', async () => {
    const app = createTestApp({ env: { REFRESH_GRACE_SECONDS: '0' } });
    const { client, tokens } = await issuedTokens(app);
    await refresh(app, client.client_id, tokens.refresh_token);
    app.clock.advance(1);
    expect(await errorOf(await refresh(app, client.client_id, tokens.refresh_token))).toBe('invalid_grant');
  });

  it('never strands a client refreshing in parallel: every caller gets the one successor', async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => refresh(app, client.client_id, tokens.refresh_token)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const pairs = (await Promise.all(results.map((r) => r.json()))) as TokenSet[];
    expect(new Set(pairs.map((p) => p.refresh_token)).size).toBe(1);
    app.clock.advance(5);
    expect((await refresh(app, client.client_id, pairs[0]!.refresh_token)).status).toBe(200);
  });

  it('lets scope narrow but never widen', async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app, {}, 'mcp api');
    expect(tokens.scope).toBe('mcp api');
    const narrowed = (await (
      await refresh(app, client.client_id, tokens.refresh_token, { scope: 'api' })
    ).json()) as TokenSet;
    expect(narrowed.scope).toBe('api');
    // RFC 6749 §6: the new refresh token keeps the original scope.
    const back = (await (await refresh(app, client.client_id, narrowed.refresh_token)).json()) as TokenSet;
    expect(back.scope).toBe('mcp api');

    const small = await issuedTokens(app, {}, 'mcp');
    const widen = await refresh(app, small.client.client_id, small.tokens.refresh_token, {
      scope: 'mcp api',
    });
    expect(await errorOf(widen)).toBe('invalid_scope');
    const unknown = await refresh(app, small.client.client_id, small.tokens.refresh_token, {
      scope: 'mcp offline_access',
    });
    expect(((await unknown.json()) as TokenSet).scope).toBe('mcp');
  });

  it("rejects another client's refresh token, an unknown one and an expired one with invalid_grant", async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const other = await registerClient(app);
    expect(await errorOf(await refresh(app, other.client_id, tokens.refresh_token))).toBe('invalid_grant');
    expect(await errorOf(await refresh(app, client.client_id, 'B'.repeat(43)))).toBe('invalid_grant');
    app.clock.advance(31 * 24 * 3600);
    expect(await errorOf(await refresh(app, client.client_id, tokens.refresh_token))).toBe('invalid_grant');
  });
});

describe('redirect with an approved loopback port', () => {
  it('binds the code to the exact port used at /authorize', async () => {
    const app = createTestApp();
    const client = await registerClient(app, { redirect_uris: ['http://127.0.0.1/cb'] });
    const { browser } = await signedInBrowser(app);
    const { verifier, challenge } = await pkcePair();
    const location = await approve(browser, {
      clientId: client.client_id,
      redirectUri: 'http://127.0.0.1:4444/cb',
      challenge,
    });
    const code = location.searchParams.get('code')!;
    const wrongPort = await redeem(app, { client, code, verifier, redirectUri: 'http://127.0.0.1:5555/cb' });
    expect(await errorOf(wrongPort)).toBe('invalid_grant');
    expect(
      (await redeem(app, { client, code, verifier, redirectUri: 'http://127.0.0.1:4444/cb' })).status,
    ).toBe(200);
  });
});
