import { describe, expect, it } from 'vitest';
import { afterAllCredentialsEnded, endAllCredentialsStatements } from '../../src/accounts/revoke-all';
import { listActiveGrants, revokeAllGrantsForUser, revokeGrant } from '../../src/oauth/grant-store';
import { hasRevocationMarker } from '../../src/tokens/revocation';
import { sha256Hex } from '../../src/tokens/secrets';
import { createTestApp } from '../helpers/app';
import { approve, env, issuedTokens, pkcePair, refresh, registerClient } from './helpers';

async function grantOf(refreshToken: string): Promise<string> {
  const row = await env.DB.prepare('SELECT grant_id FROM oauth_refresh_tokens WHERE token_hash = ?')
    .bind(await sha256Hex(refreshToken))
    .first<{ grant_id: string }>();
  return row!.grant_id;
}

const now = () => Math.floor(Date.now() / 1000);

describe('revokeGrant', () => {
  it('ends refresh tokens, marks KV and is idempotent', async () => {
    const app = createTestApp();
    const { client, tokens } = await issuedTokens(app);
    const grantId = await grantOf(tokens.refresh_token);
    expect(await revokeGrant(env.DB, env.CACHE, grantId, { now: now(), accessTokenTtlSeconds: 3600 })).toBe(
      true,
    );
    expect(await revokeGrant(env.DB, env.CACHE, grantId, { now: now(), accessTokenTtlSeconds: 3600 })).toBe(
      false,
    );
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(true);
    expect((await refresh(app, client.client_id, tokens.refresh_token)).status).toBe(400);
  });

  it("does not revoke another person's grant when userId is given", async () => {
    const app = createTestApp();
    const { tokens } = await issuedTokens(app);
    const grantId = await grantOf(tokens.refresh_token);
    const revoked = await revokeGrant(env.DB, env.CACHE, grantId, {
      now: now(),
      accessTokenTtlSeconds: 3600,
      userId: 'someone-else',
    });
    expect(revoked).toBe(false);
    expect(await hasRevocationMarker(env.CACHE, grantId)).toBe(false);
  });
});

describe('revokeAllGrantsForUser and listActiveGrants', () => {
  it("lists a person's live grants and ends them all (or one client's)", async () => {
    const app = createTestApp();
    const first = await issuedTokens(app);
    const second = await registerClient(app, { client_name: 'Second' });
    const { challenge } = await pkcePair();
    await approve(first.browser, {
      clientId: second.client_id,
      redirectUri: second.redirect_uris[0]!,
      challenge,
    });
    const listed = await listActiveGrants(env.DB, first.userId);
    expect(listed.map((g) => g.clientName).sort()).toEqual(['Second', 'Test client']);
    expect(
      await revokeAllGrantsForUser(env.DB, env.CACHE, first.userId, {
        now: now(),
        accessTokenTtlSeconds: 3600,
        clientId: second.client_id,
      }),
    ).toBe(1);
    expect(await listActiveGrants(env.DB, first.userId)).toHaveLength(1);
    expect(
      await revokeAllGrantsForUser(env.DB, env.CACHE, first.userId, {
        now: now(),
        accessTokenTtlSeconds: 3600,
      }),
    ).toBe(1);
    expect(await listActiveGrants(env.DB, first.userId)).toHaveLength(0);
    expect(await hasRevocationMarker(env.CACHE, await grantOf(first.tokens.refresh_token))).toBe(true);
  });
});

describe('password reset ends every grant', () => {
  it('revokes grants and refresh tokens in the batch and marks KV afterwards', async () => {
    const app = createTestApp();
    const { client, tokens, userId } = await issuedTokens(app);
    await env.DB.batch(endAllCredentialsStatements(env.DB, userId, now()));
    await afterAllCredentialsEnded(env, userId);
    expect(await hasRevocationMarker(env.CACHE, await grantOf(tokens.refresh_token))).toBe(true);
    expect((await refresh(app, client.client_id, tokens.refresh_token)).status).toBe(400);
  });
});
