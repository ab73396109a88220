import { getConfig } from '../../src/config';
import { signAccessToken } from '../../src/tokens/access-token';
import { getKeySet } from '../../src/tokens/keys';
import { markGrantRevoked } from '../../src/tokens/revocation';
import { newId } from '../../src/tokens/secrets';
import { createTestApp, createUser, ORIGIN, type TestApp } from '../helpers/app';

export const MCP_URL = `${ORIGIN}/mcp`;
export const RESOURCE_METADATA = `${ORIGIN}/.well-known/oauth-protected-resource/mcp`;

export interface TokenOptions {
  userId: string;
  scope?: string;
  audience?: string;
  issuer?: string;
  ttlSeconds?: number;
  /** Seconds since the epoch; defaults to the app clock. */
  now?: number;
  grantId?: string;
  clientId?: string;
}

/** Signs an access token exactly as the token endpoint does, with the app's own keys. */
export async function mintAccessToken(app: TestApp, opts: TokenOptions): Promise<string> {
  const keys = await getKeySet(getConfig(app.env));
  return signAccessToken(keys, {
    issuer: opts.issuer ?? ORIGIN,
    audience: opts.audience ?? MCP_URL,
    userId: opts.userId,
    clientId: opts.clientId ?? 'test-client',
    scope: opts.scope ?? 'mcp api',
    grantId: opts.grantId ?? newId('grt_'),
    now: opts.now ?? Math.floor(app.clock.now() / 1000),
    ttlSeconds: opts.ttlSeconds ?? 3600,
  });
}

export async function revokeGrant(app: TestApp, grantId: string): Promise<void> {
  await markGrantRevoked(app.env.CACHE, grantId, 3600);
}

/** A fresh app and a user with a token carrying both scopes. */
export async function signedInApp(scope = 'mcp api') {
  const app = createTestApp();
  const user = await createUser({ verified: true });
  const grantId = newId('grt_');
  const token = await mintAccessToken(app, { userId: user.id, scope, grantId });
  return { app, user, token, grantId };
}

export const ACCEPT_BOTH = 'application/json, text/event-stream';

let rpcId = 0;
export function rpc(method: string, params?: Record<string, unknown>) {
  rpcId += 1;
  return { jsonrpc: '2.0', id: rpcId, method, ...(params ? { params } : {}) };
}

export function mcpPost(
  app: TestApp,
  token: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
  path = '/mcp',
): Promise<Response> {
  return app.fetch(path, {
    method: 'POST',
    headers: {
      accept: ACCEPT_BOTH,
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-11-25',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
}

/** tools/call over /mcp; fails the test on anything but a JSON-RPC result. */
export async function callTool(
  app: TestApp,
  token: string,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolResult> {
  const res = await mcpPost(app, token, rpc('tools/call', { name, arguments: args }));
  if (res.status !== 200) throw new Error(`tools/call ${name}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { result?: ToolResult; error?: unknown };
  if (!body.result) throw new Error(`tools/call ${name}: ${JSON.stringify(body.error)}`);
  return body.result;
}

export function apiCall(
  app: TestApp,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return app.fetch(path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

export const MODERN = '2026-07-28';
const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

export interface ModernOptions {
  /** Client capabilities declared in `_meta` (default none). */
  capabilities?: Record<string, unknown>;
  clientName?: string;
  /** Extra params besides `_meta`. */
  params?: Record<string, unknown>;
  /** Header overrides; `null` removes a header. */
  headers?: Record<string, string | null>;
  /** Overrides the `_meta` protocol version (the header follows unless overridden). */
  version?: string;
}

/** The `_meta` envelope every 2026-07-28 request carries. */
export function envelope(opts: ModernOptions = {}) {
  return {
    [PROTOCOL_VERSION_KEY]: opts.version ?? MODERN,
    'io.modelcontextprotocol/clientInfo': { name: opts.clientName ?? 'test-client', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': opts.capabilities ?? {},
  };
}

/** The `Mcp-Name` a conforming client sends: params.name or params.uri, base64-wrapped if not header-safe. */
function mcpName(method: string, params: Record<string, unknown>): string | undefined {
  const value = method === 'resources/read' ? params.uri : method === 'tools/call' ? params.name : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.startsWith('=?base64?')) return value;
  const bytes = new TextEncoder().encode(value);
  return `=?base64?${btoa(String.fromCharCode(...bytes))}?=`;
}

/** A 2026-07-28 request with the headers a conforming client sends (SEP-2243). */
export function modernPost(
  app: TestApp,
  token: string | undefined,
  method: string,
  opts: ModernOptions = {},
) {
  const params = { ...opts.params, _meta: envelope(opts) };
  const headers: Record<string, string> = {
    'mcp-protocol-version': opts.version ?? MODERN,
    'mcp-method': method,
  };
  const name = mcpName(method, params);
  if (name !== undefined) headers['mcp-name'] = name;
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  const body = rpc(method, params);
  return mcpPostRaw(app, token, body, headers);
}

/** Like mcpPost, but with exactly the MCP headers given (no default MCP-Protocol-Version). */
export function mcpPostRaw(
  app: TestApp,
  token: string | undefined,
  body: unknown,
  headers: Record<string, string>,
): Promise<Response> {
  return app.fetch('/mcp', {
    method: 'POST',
    headers: {
      accept: ACCEPT_BOTH,
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
}
