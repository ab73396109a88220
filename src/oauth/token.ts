import { Hono } from 'hono';
import { type FormBody, readForm } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { AppError, OAuthError } from '../http/errors';
import { authenticateClient } from './client-auth';
import { authorizationCodeRequestSchema, redeemAuthorizationCode } from './grants/authorization-code';
import { refreshTokenRequestSchema, rotateRefreshToken } from './grants/refresh-token';
import { enforceOAuthRateLimit, NO_STORE } from './oauth-http';
import { isOurResource } from './resource-indicator';
import { mcpResourceOf } from './urls';

/** Token requests are a few hundred bytes. */
export const TOKEN_BODY_LIMIT = 8 * 1024;

const GRANT_TYPES = ['authorization_code', 'refresh_token'] as const;
type GrantType = (typeof GRANT_TYPES)[number];

function isGrantType(value: string): value is GrantType {
  return (GRANT_TYPES as readonly string[]).includes(value);
}

/** Reads an OAuth form body; transport problems become RFC 6749 `invalid_request`. */
export async function readOAuthForm(c: AppContext): Promise<FormBody> {
  let form: FormBody;
  try {
    form = await readForm(c.req.raw, TOKEN_BODY_LIMIT);
  } catch (err) {
    if (err instanceof AppError) {
      throw new OAuthError('invalid_request', 'Send a form-encoded body of reasonable size.', err.status);
    }
    throw err;
  }
  // RFC 6749 §3.2: request parameters MUST NOT be included more than once.
  if (form.duplicated.length > 0)
    throw new OAuthError('invalid_request', 'A parameter was sent more than once.');
  return form;
}

function fields(form: FormBody): Record<string, string> {
  return Object.fromEntries([...form.entries()].filter(([, v]) => v !== ''));
}

/**
 * `POST /oauth2/token` (and `/token`): `authorization_code` and `refresh_token` only; `password`,
 * `implicit`, `client_credentials` and the rest are `unsupported_grant_type`. Every response,
 * success or error, carries `Cache-Control: no-store` (RFC 6749 §5.1).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export function tokenRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const handler = async (c: AppContext) => {
    await enforceOAuthRateLimit(c, c.env.RL_TOKEN);
    const form = await readOAuthForm(c);
    const grantType = form.get('grant_type');
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required.');
    if (!isGrantType(grantType)) {
      throw new OAuthError(
        'unsupported_grant_type',
        'Only authorization_code and refresh_token are supported.',
      );
    }
    const client = await authenticateClient(c.env.DB, c.req.header('authorization'), form);
    if (!client.grantTypes.includes(grantType)) {
      throw new OAuthError('unauthorized_client', 'This client may not use this grant type.');
    }
    // RFC 8707 §2.2: a resource at the token endpoint must be one we serve; there is only one.
    const resource = form.get('resource');
    if (resource !== undefined && !isOurResource(resource, mcpResourceOf(c))) {
      throw new OAuthError(
        'invalid_target',
        'The requested resource is not served by this authorization server.',
      );
    }
    if (grantType === 'authorization_code') {
      const parsed = authorizationCodeRequestSchema.safeParse(fields(form));
      if (!parsed.success) {
        throw new OAuthError('invalid_request', 'code, code_verifier and redirect_uri are required.');
      }
      return c.json(await redeemAuthorizationCode(c, client, parsed.data), 200, NO_STORE);
    }
    const parsed = refreshTokenRequestSchema.safeParse(fields(form));
    if (!parsed.success) throw new OAuthError('invalid_request', 'refresh_token is required.');
    return c.json(await rotateRefreshToken(c, client, parsed.data), 200, NO_STORE);
  };
  app.post('/oauth2/token', handler);
  app.post('/token', handler);
  return app;
}
