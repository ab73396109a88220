/**
 * The scopes the authorization server offers. `mcp` is needed on /mcp, `api` on the REST and Action
 * APIs. `offline_access` is deliberately absent: refresh tokens are always issued (Claude never asks).
 */
export const SCOPES = {
  mcp: 'Use the tools on the MCP server: read and change your projects and tasks',
  api: 'Use the REST API and the Action API: read and change your projects and tasks',
} as const;

export type Scope = keyof typeof SCOPES;

export const SUPPORTED_SCOPES = Object.keys(SCOPES) as Scope[];
export const DEFAULT_SCOPE: Scope = 'mcp';

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

/**
 * Keeps the supported scopes of a space-separated request, in our order, ignoring unknown ones
 * (clients send `claudeai`, `openid email profile` …); none left → the default scope.
 */
export function resolveRequestedScopes(requested: string | undefined): Scope[] {
  const asked = new Set((requested ?? '').split(' ').filter(Boolean));
  const kept = SUPPORTED_SCOPES.filter((s) => asked.has(s));
  return kept.length > 0 ? kept : [DEFAULT_SCOPE];
}
