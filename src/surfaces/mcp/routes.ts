import {
  type AuthInfo,
  createMcpHandler,
  type McpHttpHandler,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { requireBearer } from '../../auth/require-bearer';
import type { Config } from '../../config';
import { readTextLimited } from '../../http/body';
import { type AppContext, type AppEnv, nowSeconds } from '../../http/context';
import { MCP_CORS, originGuard } from '../../http/cors';
import { AppError } from '../../http/errors';
import { log } from '../../http/log';
import { createRequestStateCodec, type RequestStateCodec } from '../../tokens/request-state';
import { decideEra, jsonRpcId } from './era';
import { gatewayFor } from './gateway';
import { malformedParams } from './params';
import { createMcpServer, type McpRequestScope } from './server';

/** JSON-RPC bodies are small; the largest tool input (task notes) is far below this. */
export const MCP_BODY_LIMIT = 256 * 1024;

/** How long a person has to answer a confirmation before its `requestState` lapses. */
export const REQUEST_STATE_TTL_SECONDS = 600;

const PATHS = ['/mcp', '/mcp/'];

type Mode = 'json' | 'sse';

/**
 * Picks the response format from `Accept`: JSON when the client takes it (cheapest, and what most
 * clients prefer), SSE when it only takes `text/event-stream`. The SDK's 2025-era transport insists
 * on both media types being listed, so the request it sees always lists both.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#sending-messages-to-the-server
 */
function negotiate(accept: string): Mode | undefined {
  const types = accept
    .toLowerCase()
    .split(',')
    .map((part) => part.split(';')[0]!.trim());
  if (types.includes('application/json') || types.includes('application/*') || types.includes('*/*')) {
    return 'json';
  }
  if (types.includes('text/event-stream')) return 'sse';
  return undefined;
}

const BOTH = 'application/json, text/event-stream';

/**
 * A 2025-era request that asks for progress (`_meta.progressToken`) and accepts SSE is answered in
 * SSE even when it also takes JSON: progress notifications can only travel on the request's own
 * stream, since a stateless server has no other (an upstream tool's progress, through the gateway).
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/progress
 */
function wantsProgress(accept: string, body: unknown): boolean {
  if (!/(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept)) return false;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const params = (body as { params?: unknown }).params;
  if (typeof params !== 'object' || params === null) return false;
  const meta = (params as { _meta?: unknown })._meta;
  if (typeof meta !== 'object' || meta === null) return false;
  const token = (meta as { progressToken?: unknown }).progressToken;
  return typeof token === 'string' || typeof token === 'number';
}

/** JSON-RPC batches exist only in protocol 2025-03-26 (removed in 2025-06-18); we cap them small. */
const BATCH_VERSIONS = new Set(['2025-03-26']);
export const MAX_BATCH = 20;

/** A JSON-RPC error sent by the adapter itself, framed as the client asked (JSON, or one SSE event). */
function jsonRpcError(
  mode: Mode,
  status: number,
  code: number,
  message: string,
  id: string | number | null = null,
): Response {
  const json = JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });
  if (mode === 'sse' && status === 200) {
    return new Response(`event: message\ndata: ${json}\n\n`, {
      status,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    });
  }
  return new Response(json, { status, headers: { 'content-type': 'application/json' } });
}

/**
 * Batches are judged by the protocol version before the SDK sees them (its transport accepts arrays
 * whatever the version). A request without `MCP-Protocol-Version` is taken as 2025-03-26, as the
 * transport spec says.
 * @see https://modelcontextprotocol.io/specification/2025-06-18/changelog (batching removed)
 */
function batchRefusal(body: unknown[], headers: Headers): Response | undefined {
  const version = headers.get('mcp-protocol-version') ?? '2025-03-26';
  if (!BATCH_VERSIONS.has(version)) {
    return jsonRpcError(
      'json',
      400,
      -32600,
      `Invalid Request: JSON-RPC batches are not part of protocol ${version}`,
    );
  }
  if (body.length > MAX_BATCH) {
    return jsonRpcError(
      'json',
      400,
      -32600,
      `Invalid Request: a batch may hold at most ${MAX_BATCH} messages`,
    );
  }
  return undefined;
}

/** Per-request scopes for the modern handler's factory, found by the `authInfo` object it passes back. */
const scopes = new WeakMap<AuthInfo, McpRequestScope>();
const modernHandlers = new Map<Mode, McpHttpHandler>();
const stateCodecs = new WeakMap<Config, RequestStateCodec>();

/**
 * The SDK's dual-era handler, used for the 2026-07-28 leg only (`legacy: 'reject'`): it owns the
 * modern ladder (`server/discover`, -32022, header checks, -32021, 404 for unknown methods,
 * `subscriptions/listen`). The 2025 leg is ours (below) because the SDK's stateless legacy leg always
 * answers in SSE, and our clients get JSON when they accept it.
 */
function modernHandler(mode: Mode): McpHttpHandler {
  let handler = modernHandlers.get(mode);
  if (!handler) {
    handler = createMcpHandler(
      ({ authInfo }) => {
        const scope = authInfo && scopes.get(authInfo);
        if (!scope) throw new TypeError('modern MCP request without a scope');
        return createMcpServer(scope);
      },
      {
        legacy: 'reject',
        responseMode: mode === 'json' ? 'auto' : 'sse',
        maxRequestBodySize: MCP_BODY_LIMIT,
        onerror: (err) => log('info', 'mcp.refused', { message: err.message.slice(0, 300) }),
      },
    );
    modernHandlers.set(mode, handler);
  }
  return handler;
}

function requestStates(config: Config): RequestStateCodec {
  let codec = stateCodecs.get(config);
  if (!codec) {
    codec = createRequestStateCodec(config.requestStateSecret, REQUEST_STATE_TTL_SECONDS);
    stateCodecs.set(config, codec);
  }
  return codec;
}

async function handleMcpPost(c: AppContext): Promise<Response> {
  const mode = negotiate(c.req.header('accept') ?? '');
  if (!mode) throw new AppError('not_acceptable', 'Accept application/json or text/event-stream.');
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new AppError('unsupported_media_type', 'Send MCP messages as application/json.');
  }
  const text = await readTextLimited(c.req.raw, MCP_BODY_LIMIT);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return jsonRpcError('json', 400, -32700, 'Parse error: the body is not JSON');
  }

  const decision = decideEra(c.req.raw, body);
  if (decision.kind === 'refuse') {
    return jsonRpcError('json', decision.status, decision.code, decision.message, decision.id);
  }
  const reason = malformedParams(body);
  if (reason) {
    return jsonRpcError(mode, 200, -32602, `Invalid params: ${reason}`, jsonRpcId(body));
  }
  const scope: McpRequestScope = {
    principal: c.get('principal'),
    ctx: { db: c.env.DB, now: nowSeconds(c) },
    serviceName: c.get('config').serviceName,
    requestId: c.get('requestId'),
    era: decision.kind,
    requestStates: requestStates(c.get('config')),
  };
  scope.gateway = await gatewayFor(
    c,
    decision.kind,
    decision.kind === 'modern'
      ? '2026-07-28'
      : (decision.headers.get('mcp-protocol-version') ?? '2025-03-26'),
    scope.requestStates,
  );
  // Headers may have been corrected by a logged deviation; the body was read once and is passed on parsed.
  const request = new Request(c.req.url, { method: 'POST', headers: decision.headers });

  if (decision.kind === 'modern') {
    const authInfo: AuthInfo = {
      token: '',
      clientId: scope.principal.clientId ?? scope.principal.kind,
      scopes: [...scope.principal.scopes],
    };
    scopes.set(authInfo, scope);
    return modernHandler(mode).fetch(request, { authInfo, parsedBody: body });
  }

  if (Array.isArray(body)) {
    const refusal = batchRefusal(body, decision.headers);
    if (refusal) return refusal;
  }
  decision.headers.set('accept', BOTH);
  const server = createMcpServer(scope);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: mode === 'json' && !wantsProgress(c.req.header('accept') ?? '', body),
  });
  await server.connect(transport);
  return transport.handleRequest(new Request(request, { headers: decision.headers }), { parsedBody: body });
}

/**
 * `/mcp` and `/mcp/` (no redirect: clients have POSTed to both): streamable HTTP, stateless — no
 * session, every request authenticated on its own, in either protocol era (docs/protocol.md). Order:
 * Origin check (403), CORS preflight, Bearer (401/403), then the method: POST is served, GET and
 * DELETE answer 405 since there is no session stream to open or end.
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http
 */
export function mcpRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guard = originGuard(MCP_CORS);
  const bearer = requireBearer({ requiredScope: 'mcp' });
  for (const path of PATHS) {
    app.use(path, guard, bearer);
    app.post(path, handleMcpPost);
    app.all(path, function methodNotAllowed() {
      throw new AppError(
        'method_not_allowed',
        'Use POST for MCP requests; this server keeps no streams open.',
        {
          headers: { Allow: 'POST' },
        },
      );
    });
  }
  return app;
}
