import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, AppEnv } from '../http/context';
import { nowSeconds } from '../http/context';
import { OAuthError } from '../http/errors';
import { AccessTokenError, verifyAccessToken } from '../tokens/access-token';
import { getKeySet } from '../tokens/keys';
import { sha256Hex } from '../tokens/secrets';
import { authenticateClient } from './client-auth';
import { revokeGrant } from './grant-store';
import { enforceOAuthRateLimit, NO_STORE } from './oauth-http';
import { readOAuthForm } from './token';
import { issuerOf, mcpResourceOf } from './urls';

/** RFC 7009 §2.1 request. `token_type_hint` is only a hint: both kinds are tried either way. */
const revocationRequestSchema = z.object({
  token: z.string().min(1).max(4096),
  token_type_hint: z.string().max(64).optional(),
});

/** The grant a token belongs to, if it is one of ours and was issued to `clientId`. */
async function grantOfToken(c: AppContext, token: string, clientId: string): Promise<string | undefined> {
  const row = await c.env.DB.prepare(
    'SELECT grant_id, client_id FROM oauth_refresh_tokens WHERE token_hash = ?',
  )
    .bind(await sha256Hex(token))
    .first<{ grant_id: string; client_id: string }>();
  if (row) return row.client_id === clientId ? row.grant_id : undefined;
  try {
    const verified = await verifyAccessToken(await getKeySet(c.var.config), token, {
      issuer: issuerOf(c),
      audience: mcpResourceOf(c),
      now: nowSeconds(c),
    });
    return verified.clientId === clientId ? verified.grantId : undefined;
  } catch (err) {
    if (err instanceof AccessTokenError) return undefined;
    throw err;
  }
}

/**
 * `POST /oauth2/revoke` (and `/revoke`), RFC 7009. The client must authenticate as it registered and
 * may only revoke its own tokens (workers-oauth-provider#188): another client's token is left alone
 * and, like an unknown or expired token, answered 200 (§2.2) so the endpoint reveals nothing.
 * Revoking a refresh token ends its grant (§2.1 "SHOULD"); so does revoking an access token, since a
 * self-contained JWT can only be stopped through its grant's revocation marker.
 */
export function revokeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const handler = async (c: AppContext) => {
    await enforceOAuthRateLimit(c, c.env.RL_TOKEN);
    const form = await readOAuthForm(c);
    const client = await authenticateClient(c.env.DB, c.req.header('authorization'), form);
    const parsed = revocationRequestSchema.safeParse({
      token: form.get('token'),
      token_type_hint: form.get('token_type_hint'),
    });
    if (!parsed.success) throw new OAuthError('invalid_request', 'token is required.');
    const grantId = await grantOfToken(c, parsed.data.token, client.clientId);
    if (grantId) {
      await revokeGrant(c.env.DB, c.env.CACHE, grantId, {
        now: nowSeconds(c),
        accessTokenTtlSeconds: c.var.config.accessTokenTtlSeconds,
      });
    }
    return c.body(null, 200, NO_STORE);
  };
  app.post('/oauth2/revoke', handler);
  app.post('/revoke', handler);
  return app;
}
