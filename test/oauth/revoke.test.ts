import { describe, expect, it } from 'vitest';
import { hasRevocationMarker } from '../../src/tokens/revocation';
import { sha256Hex } from '../../src/tokens/secrets';
import { createTestApp, type TestApp } from '../helpers/app';
import { env, freshIp, issuedTokens, refresh, registerClient } from './helpers';

function revoke(
  app: TestApp,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  path = '/oauth2/revoke',
) {
  return app.fetch(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'cf-connecting-ip': freshIp(),
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

async function grantOf(refreshToken: string): Promise<string> {
  const row = await env.DB.prepare('SELECT grant_id FROM oauth_refresh_tokens WHERE token_hash = ?')
    .bind(await sha256Hex(refreshToken))
    .first<{ grant_id: string }>();
  return row!.grant_id;
}

describe('POST /oauth2/revoke (RFC 7009)', () => {
  it('ends the grant when its refresh token is revoked', async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const res = await revoke(app, {
      token: tokens.refresh_token,
      token_type_hint: 'refresh_token',
      client_id: client.client_id,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const grantId = await grantOf(tokens.refresh_token);
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(true);
    const r = await refresh(app, client.client_id, tokens.refresh_token);
    expect(((await r.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('ends the grant when its access token is revoked, whatever the hint', async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const res = await revoke(app, {
      token: tokens.access_token,
      token_type_hint: 'refresh_token',
      client_id: client.client_id,
    });
    expect(res.status).toBe(200);
    expect(await hasRevocationMarker(env.CACHE, await grantOf(tokens.refresh_token))).toBe(true);
  });

  it("leaves another client's token untouched and still answers 200", async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const other = await registerClient(app);
    for (const token of [tokens.refresh_token, tokens.access_token]) {
      const res = await revoke(app, { token, client_id: other.client_id });
      expect(res.status).toBe(200);
    }
    expect(await hasRevocationMarker(env.CACHE, await grantOf(tokens.refresh_token))).toBe(false);
    expect((await refresh(app, client.client_id, tokens.refresh_token)).status).toBe(200);
  });

  it('answers 200 for an unknown token', async () => {
    const app = createTestApp();
    const client = await registerClient(app);
    for (const token of ['unknown', 'a.b.c', 'x'.repeat(4000)]) {
      expect((await revoke(app, { token, client_id: client.client_id })).status).toBe(200);
    }
  });

  it('requires client authentication as registered', async () => {
    const app = createTestApp();
    const { tokens } = await issuedTokens(app, { token_endpoint_auth_method: 'none' });
    const confidential = await registerClient(app, { token_endpoint_auth_method: 'client_secret_basic' });
    const unknown = await revoke(app, { token: tokens.refresh_token, client_id: 'nobody' });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: string }).error).toBe('invalid_client');
    const noSecret = await revoke(app, { token: tokens.refresh_token, client_id: confidential.client_id });
    expect(noSecret.status).toBe(401);
    const ok = await revoke(
      app,
      { token: 'whatever' },
      { authorization: `Basic ${btoa(`${confidential.client_id}:${confidential.client_secret}`)}` },
    );
    expect(ok.status).toBe(200);
    expect(await hasRevocationMarker(env.CACHE, await grantOf(tokens.refresh_token))).toBe(false);
  });

  it('answers a missing token with invalid_request', async () => {
    const app = createTestApp();
    const client = await registerClient(app);
    const res = await revoke(app, { client_id: client.client_id });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers at /revoke too', async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const res = await revoke(
      app,
      { token: tokens.refresh_token, client_id: client.client_id },
      {},
      '/revoke',
    );
    expect(res.status).toBe(200);
    expect(await hasRevocationMarker(env.CACHE, await grantOf(tokens.refresh_token))).toBe(true);
  });
});
