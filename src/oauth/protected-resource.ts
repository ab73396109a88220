import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context';
import { SUPPORTED_SCOPES } from './scopes';
import { issuerOf, mcpResourceOf } from './urls';

/**
 * Protected resource metadata (RFC 9728 §3) for `/mcp`, at the path-inserted address clients try first
 * and at the root address they fall back to (MCP 2025-11-25 §"Protected Resource Metadata Discovery").
 * `resource` is exactly the URL people paste: VS Code (vscode#259251) and Claude compare it byte for
 * byte. `offline_access` is never listed (SEP-2207): refresh tokens are issued regardless.
 * @see https://www.rfc-editor.org/rfc/rfc9728
 */
export function protectedResourceMetadata(c: AppContext) {
  return {
    resource: mcpResourceOf(c),
    authorization_servers: [issuerOf(c)],
    scopes_supported: SUPPORTED_SCOPES,
    bearer_methods_supported: ['header'],
    resource_name: c.var.config.serviceName,
  };
}

export const PROTECTED_RESOURCE_PATHS = [
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-protected-resource',
] as const;

export function protectedResourceRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const path of PROTECTED_RESOURCE_PATHS) {
    app.get(path, (c) =>
      c.json(protectedResourceMetadata(c), 200, { 'Cache-Control': 'public, max-age=300' }),
    );
  }
  return app;
}
