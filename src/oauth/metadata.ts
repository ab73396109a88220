import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context';
import { AUTH_METHODS } from './clients';
import { SUPPORTED_SCOPES } from './scopes';
import { endpointsOf, issuerOf } from './urls';

/**
 * Authorization server metadata (RFC 8414 §2), also served as OpenID discovery because MCP
 * 2025-11-25 clients try both, and under the `/mcp` suffix because Claude probes the resource path
 * (claude-ai-mcp#376). Every copy carries the same `issuer`, which is the bare origin.
 * @see https://www.rfc-editor.org/rfc/rfc8414
 */
export function authorizationServerMetadata(c: AppContext) {
  const issuer = issuerOf(c);
  return {
    issuer,
    ...endpointsOf(c),
    scopes_supported: SUPPORTED_SCOPES,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
    service_documentation: `${issuer}/`,
  };
}

export const METADATA_PATHS = [
  '/.well-known/oauth-authorization-server',
  '/.well-known/oauth-authorization-server/mcp',
  '/.well-known/openid-configuration',
  '/.well-known/openid-configuration/mcp',
] as const;

export function metadataRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const path of METADATA_PATHS) {
    app.get(path, (c) =>
      c.json(authorizationServerMetadata(c), 200, { 'Cache-Control': 'public, max-age=300' }),
    );
  }
  return app;
}
