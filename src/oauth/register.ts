import { Hono } from 'hono';
import { z } from 'zod';
import { readJsonObject } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { nowSeconds } from '../http/context';
import { AppError, OAuthError } from '../http/errors';
import { APPLICATION_TYPES, AUTH_METHODS, insertClient, type OAuthClient } from './clients';
import { enforceOAuthRateLimit, NO_STORE } from './oauth-http';
import { isValidRedirectUri } from './redirect-uri';
import { SUPPORTED_SCOPES } from './scopes';

/** Registration bodies are a few hundred bytes; 16 KiB leaves room for long logo URLs and contacts. */
const REGISTRATION_BODY_LIMIT = 16 * 1024;
const MAX_REDIRECT_URIS = 20;

// biome-ignore lint/suspicious/noControlCharactersInRegex: names with control characters are refused
const DISPLAY_TEXT = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/;

const webUrl = z
  .string()
  .max(2000)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
    } catch {
      return false;
    }
  });

/**
 * RFC 7591 §2 client metadata. zod drops members we do not know (RFC 7591 §2: "The authorization
 * server MUST ignore any client metadata sent by the client that it does not understand"), such as
 * `contacts` and `jwks_uri`. Known members with the wrong type or value are
 * `invalid_client_metadata`. `application_type` comes from OpenID Connect Dynamic Client
 * Registration 1.0 §2 (`web` or `native`, `web` when absent); MCP 2026-07-28 clients must send it
 * (SEP-837) and older ones do not, so its absence is never an error.
 */
const registrationSchema = z.object({
  token_endpoint_auth_method: z.enum(AUTH_METHODS).optional(),
  application_type: z.enum(APPLICATION_TYPES).optional(),
  grant_types: z.array(z.string().max(200)).max(10).optional(),
  response_types: z.array(z.string().max(200)).max(10).optional(),
  client_name: z.string().max(200).regex(DISPLAY_TEXT).optional(),
  client_uri: webUrl.optional(),
  logo_uri: webUrl.optional(),
  scope: z.string().max(1000).optional(),
  software_id: z.string().max(200).regex(DISPLAY_TEXT).optional(),
  software_version: z.string().max(200).regex(DISPLAY_TEXT).optional(),
});

const SUPPORTED_GRANT_TYPES = ['authorization_code', 'refresh_token'];

function invalidMetadata(): OAuthError {
  return new OAuthError('invalid_client_metadata', 'The client metadata is invalid.');
}

/** Every redirect URI must pass the policy; one bad URI fails the request (RFC 7591 §3.2.2). */
function parseRedirectUris(value: unknown): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_REDIRECT_URIS ||
    !value.every(isValidRedirectUri)
  ) {
    throw new OAuthError('invalid_redirect_uri', 'One or more redirect URIs are not allowed.');
  }
  return [...new Set(value as string[])];
}

/** The RFC 7591 §3.2.1 response: what we actually stored, which may differ from what was asked. */
export function registrationResponse(client: OAuthClient, clientSecret: string | undefined) {
  return {
    client_id: client.clientId,
    client_id_issued_at: client.createdAt,
    ...(clientSecret === undefined ? {} : { client_secret: clientSecret, client_secret_expires_at: 0 }),
    client_name: client.clientName,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    application_type: client.applicationType,
    ...(client.scope ? { scope: client.scope } : {}),
    ...(client.clientUri ? { client_uri: client.clientUri } : {}),
    ...(client.logoUri ? { logo_uri: client.logoUri } : {}),
    ...(client.softwareId ? { software_id: client.softwareId } : {}),
    ...(client.softwareVersion ? { software_version: client.softwareVersion } : {}),
  };
}

/**
 * `POST /oauth2/register` (and `/register`): open dynamic client registration (RFC 7591).
 * It does not authenticate the registrant (no initial access token: MCP clients have none); the
 * consent page therefore warns that a dynamically registered name is unverified.
 * @see https://www.rfc-editor.org/rfc/rfc7591
 */
export function registerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const handler = async (c: AppContext) => {
    await enforceOAuthRateLimit(c, c.env.RL_REGISTER);
    let body: Record<string, unknown>;
    try {
      body = await readJsonObject(c.req.raw, REGISTRATION_BODY_LIMIT);
    } catch (err) {
      if (err instanceof AppError && err.code === 'payload_too_large') {
        throw new OAuthError('invalid_client_metadata', 'The registration request is too large.', 413);
      }
      if (err instanceof AppError)
        throw new OAuthError('invalid_request', 'Send client metadata as a JSON object.');
      throw err;
    }
    const redirectUris = parseRedirectUris(
      Object.hasOwn(body, 'redirect_uris') ? body.redirect_uris : undefined,
    );
    const parsed = registrationSchema.safeParse(body);
    if (!parsed.success) throw invalidMetadata();
    const meta = parsed.data;

    // A grant type we do not offer is not an error: the registration keeps the ones we do
    // (VS Code lists the device-code grant: stacklok/toolhive#6290). Without the code grant there
    // is nothing left to register.
    const grantTypes = meta.grant_types ?? ['authorization_code'];
    if (!grantTypes.includes('authorization_code')) throw invalidMetadata();
    const responseTypes = meta.response_types ?? ['code'];
    if (!responseTypes.includes('code')) throw invalidMetadata();
    const scopes = (meta.scope ?? '').split(' ').filter((s) => (SUPPORTED_SCOPES as string[]).includes(s));

    const { client, clientSecret } = await insertClient(
      c.env.DB,
      {
        registrationType: 'dcr',
        clientName: meta.client_name?.trim() || 'Unnamed application',
        clientUri: meta.client_uri ?? null,
        logoUri: meta.logo_uri ?? null,
        redirectUris,
        // Refresh tokens are always issued (Claude never asks for them: claude-ai-mcp#840), so every
        // client may use the refresh grant; other grant types are not offered and are dropped.
        grantTypes: SUPPORTED_GRANT_TYPES,
        responseTypes: ['code'],
        // RFC 7591 §2: an omitted method means client_secret_basic.
        tokenEndpointAuthMethod: meta.token_endpoint_auth_method ?? 'client_secret_basic',
        applicationType: meta.application_type ?? 'web',
        scope: scopes.length > 0 ? [...new Set(scopes)].join(' ') : null,
        softwareId: meta.software_id ?? null,
        softwareVersion: meta.software_version ?? null,
      },
      nowSeconds(c),
    );
    return c.json(registrationResponse(client, clientSecret), 201, NO_STORE);
  };
  app.post('/oauth2/register', handler);
  app.post('/register', handler);
  return app;
}
