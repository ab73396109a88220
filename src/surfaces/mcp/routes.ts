import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono } from 'hono';
import { requireBearer } from '../../auth/require-bearer';
import { readTextLimited } from '../../http/body';
import { type AppContext, type AppEnv, nowSeconds } from '../../http/context';
import { MCP_CORS, originGuard } from '../../http/cors';
import { AppError } from '../../http/errors';
import { createMcpServer } from './server';

/** JSON-RPC bodies are small; the largest tool input (task notes) is far below this. */
export const MCP_BODY_LIMIT = 256 * 1024;

const PATHS = ['/mcp', '/mcp/'];

/**
 * Picks the response format from `Accept`: JSON when the client takes it (cheapest, and what most
 * clients prefer), SSE when it only takes `text/event-stream`. The SDK transport insists on both
 * media types being listed, so the request it sees always lists both.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#sending-messages-to-the-server
 */
function negotiate(accept: string): 'json' | 'sse' | undefined {
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

/** JSON-RPC batches exist only in protocol 2025-03-26 (removed in 2025-06-18); we cap them small. */
const BATCH_VERSIONS = new Set(['2025-03-26']);
export const MAX_BATCH = 20;

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * Reads a JSON body once, so batches can be judged by the negotiated protocol version before the SDK
 * sees them (its transport accepts arrays whatever the version). A request without
 * `MCP-Protocol-Version` is taken as 2025-03-26, as the transport spec says. Returns the parsed body,
 * `undefined` to let the SDK answer (unparseable JSON, other content types), or a refusal.
 * @see https://modelcontextprotocol.io/specification/2025-06-18/changelog (batching removed)
 */
async function preParse(request: Request): Promise<{ body?: unknown; refusal?: Response; request: Request }> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return { request };
  const text = await readTextLimited(request, MCP_BODY_LIMIT);
  const rebuilt = new Request(request.url, { method: request.method, headers: request.headers, body: text });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { request: rebuilt };
  }
  if (Array.isArray(body)) {
    const version = request.headers.get('mcp-protocol-version') ?? '2025-03-26';
    if (!BATCH_VERSIONS.has(version)) {
      return {
        request: rebuilt,
        refusal: jsonRpcError(
          400,
          -32600,
          `Invalid Request: JSON-RPC batches are not part of protocol ${version}`,
        ),
      };
    }
    if (body.length > MAX_BATCH) {
      return {
        request: rebuilt,
        refusal: jsonRpcError(400, -32600, `Invalid Request: a batch may hold at most ${MAX_BATCH} messages`),
      };
    }
  }
  return { body, request: rebuilt };
}

async function handleMcpPost(c: AppContext): Promise<Response> {
  const mode = negotiate(c.req.header('accept') ?? '');
  if (!mode) {
    throw new AppError('not_acceptable', 'Accept application/json or text/event-stream.');
  }
  const parsed = await preParse(c.req.raw);
  if (parsed.refusal) return parsed.refusal;
  let request = parsed.request;
  if (request.headers.get('accept') !== BOTH) {
    const headers = new Headers(request.headers);
    headers.set('accept', BOTH);
    request = new Request(request, { headers });
  }
  const server = createMcpServer({
    principal: c.get('principal'),
    ctx: { db: c.env.DB, now: nowSeconds(c) },
    serviceName: c.get('config').serviceName,
    requestId: c.get('requestId'),
  });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: mode === 'json',
    maxRequestBodySize: MCP_BODY_LIMIT,
  });
  await server.connect(transport);
  return transport.handleRequest(
    request,
    parsed.body === undefined ? undefined : { parsedBody: parsed.body },
  );
}

/**
 * `/mcp` and `/mcp/` (no redirect: clients have POSTed to both): streamable HTTP, stateless — no
 * session, every request authenticated on its own. Order: Origin check (403), CORS preflight,
 * Bearer (401/403), then the method: POST is served, GET and DELETE answer 405 since there is no
 * session stream to open or end.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports
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
