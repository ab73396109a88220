import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type InputRequiredResult,
  type ProtocolEra,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ActionContext } from '../../actions/action';
import type { Principal } from '../../auth/principal';
import {
  callGatewayTool,
  type GatewaySession,
  getGatewayPrompt,
  listGatewayPrompts,
  listGatewayResources,
  listGatewayResourceTemplates,
  listGatewayTools,
  readGatewayResource,
  SKIPPED_META_KEY,
  type Skipped,
} from '../../gateway/tool-source';
import { AppError } from '../../http/errors';
import { describeError, log } from '../../http/log';
import type { RequestStateCodec } from '../../tokens/request-state';
import { confirmBeforeRunning } from './confirm';
import { listProjectResources, PROJECT_TEMPLATE, readProjectResource } from './resources';
import { mcpTools } from './tools';

export const SERVER_VERSION = '0.1.0';

const INSTRUCTIONS = [
  'This server is your Gatehouse workspace: projects, each holding an ordered list of tasks.',
  'Start with listMyProjects (or searchTasks to find a task by its words); ids returned by one tool',
  'are what the others take. Lists are paged: pass nextCursor back as cursor. deleteProject and',
  'deleteTask cannot be undone. Every tool acts only on the signed-in person’s own data.',
].join(' ');

/**
 * Caching hints for 2026-07-28 results (SEP-2549). Always `private`: every list and every read is
 * answered for one person, and the gateway's lists will differ per person too. The tool list and
 * the template only change with a deployment; resources change whenever a tool writes.
 * @see https://modelcontextprotocol.io/specification/2026-07-28/server/utilities/caching
 */
const CACHE_HINTS = {
  'server/discover': { ttlMs: 300_000, cacheScope: 'private' },
  'tools/list': { ttlMs: 300_000, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: 300_000, cacheScope: 'private' },
  'resources/list': { ttlMs: 0, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
} as const;

/**
 * With upstreams behind /mcp, a list also changes when the person connects or disconnects one, and an
 * upstream's own list may change: clients are told to re-list after a minute at most.
 */
const GATEWAY_CACHE_HINTS = {
  ...CACHE_HINTS,
  'tools/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: 60_000, cacheScope: 'private' },
  'prompts/list': { ttlMs: 60_000, cacheScope: 'private' },
} as const;

export interface McpRequestScope {
  principal: Principal;
  ctx: ActionContext;
  serviceName: string;
  requestId: string;
  /** Which protocol era this one request speaks (decided by the /mcp adapter). */
  era: ProtocolEra;
  requestStates: RequestStateCodec;
  /**
   * The upstreams behind this /mcp, for this request, given the capabilities the client declared on
   * it; absent when the catalog is empty (then /mcp is the workspace alone, at no extra cost).
   */
  gateway?: ((capabilities: ClientCapabilities | undefined) => GatewaySession) | undefined;
}

/** The capabilities a 2026-07-28 request declares in its `_meta` (2025-era requests carry none). */
function declaredCapabilities(mcpReq: ServerContext['mcpReq']): ClientCapabilities | undefined {
  const envelope: Record<string, unknown> | undefined = mcpReq.envelope;
  const caps = envelope?.[CLIENT_CAPABILITIES_META_KEY];
  return caps && typeof caps === 'object' ? (caps as ClientCapabilities) : undefined;
}

function skippedMeta(skipped: Skipped[]): { _meta?: Record<string, unknown> } {
  return skipped.length > 0 ? { _meta: { [SKIPPED_META_KEY]: skipped } } : {};
}

/** The progress token of a request, if it asked for progress (MCP utilities §progress). */
function progressToken(
  params: { _meta?: { progressToken?: unknown } } | undefined,
): string | number | undefined {
  const token = params?._meta?.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

/**
 * A fresh low-level MCP server for one HTTP request (both eras are stateless). Construction only
 * registers handlers; the tool list and its JSON schemas are built once per isolate (`mcpTools`).
 * The low-level `Server` because the tools are the action registry's, with its own schemas and its
 * own validation errors.
 */
export function createMcpServer(scope: McpRequestScope): Server {
  const { principal, ctx } = scope;
  const tools = mcpTools();
  const server = new Server(
    { name: 'gatehouse', title: scope.serviceName, version: SERVER_VERSION },
    {
      capabilities: {
        tools: { listChanged: false },
        resources: { listChanged: false },
        ...(scope.gateway ? { prompts: { listChanged: false } } : {}),
      },
      instructions: INSTRUCTIONS,
      cacheHints: scope.gateway ? GATEWAY_CACHE_HINTS : CACHE_HINTS,
      // 2025-era requests are served without sessions: a server→client request could never be answered.
      inputRequired: { legacyShim: false },
    },
  );

  const gatewayFor = (mcpReq: ServerContext['mcpReq']) => scope.gateway?.(declaredCapabilities(mcpReq));

  server.setRequestHandler('tools/list', async (_request, extra) => {
    const gateway = gatewayFor(extra.mcpReq);
    if (!gateway) return { tools: [...tools.list] };
    const upstream = await callGateway(scope, () => listGatewayTools(gateway));
    return { tools: [...tools.list, ...upstream.items], ...skippedMeta(upstream.skipped) };
  });

  server.setRequestHandler(
    'tools/call',
    async (request, extra): Promise<CallToolResult | InputRequiredResult> => {
      const action = tools.byName.get(request.params.name);
      const gateway = action ? undefined : gatewayFor(extra.mcpReq);
      if (gateway) {
        const token = progressToken(request.params);
        const routed = await callGateway(scope, () =>
          callGatewayTool(gateway, request.params.name, request.params.arguments ?? {}, {
            inputResponses: extra.mcpReq.inputResponses,
            requestState: stateOf(extra.mcpReq),
            ...(token !== undefined && {
              onProgress: (p) => {
                extra.mcpReq
                  .notify({ method: 'notifications/progress', params: { progressToken: token, ...p } })
                  .catch(() => {});
              },
            }),
          }),
        );
        if (routed) return routed;
      }
      if (!action) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Unknown tool: ${request.params.name.slice(0, 64)}`,
        );
      }
      const args = request.params.arguments ?? {};
      try {
        if (scope.era === 'modern') {
          const outcome = await confirmBeforeRunning(action, args, extra.mcpReq, {
            principal,
            ctx,
            codec: scope.requestStates,
            requestId: scope.requestId,
          });
          if (outcome.kind !== 'proceed') return outcome.result;
        }
        const output = await action.invoke(principal, args, ctx);
        return { content: [{ type: 'text', text: JSON.stringify(output) }], structuredContent: output };
      } catch (err) {
        // Tool failures are results the model can read and act on, not protocol errors (MCP tools §error handling).
        if (err instanceof AppError) {
          return { isError: true, content: [{ type: 'text', text: `${err.message} (${err.code})` }] };
        }
        if (err instanceof ProtocolError) throw err;
        throw internalError(scope, err);
      }
    },
  );

  server.setRequestHandler('resources/templates/list', async (_request, extra) => {
    const gateway = gatewayFor(extra.mcpReq);
    if (!gateway) return { resourceTemplates: [PROJECT_TEMPLATE] };
    const upstream = await callGateway(scope, () => listGatewayResourceTemplates(gateway));
    return { resourceTemplates: [PROJECT_TEMPLATE, ...upstream.items], ...skippedMeta(upstream.skipped) };
  });
  server.setRequestHandler('resources/list', async (request, extra) => {
    let own: Awaited<ReturnType<typeof listProjectResources>>;
    try {
      own = await listProjectResources(principal, request.params?.cursor, ctx);
    } catch (err) {
      throw protocolError(scope, err);
    }
    // Upstream resources ride along on the first page; later pages are the workspace's own.
    const gateway = request.params?.cursor ? undefined : gatewayFor(extra.mcpReq);
    if (!gateway) return own;
    const upstream = await callGateway(scope, () => listGatewayResources(gateway));
    return { ...own, resources: [...own.resources, ...upstream.items], ...skippedMeta(upstream.skipped) };
  });
  server.setRequestHandler('resources/read', async (request, extra) => {
    const uri = request.params.uri;
    const gateway = uri.startsWith(OWN_URI_PREFIX) ? undefined : gatewayFor(extra.mcpReq);
    if (gateway) {
      const read = await callGateway(scope, () =>
        readGatewayResource(gateway, uri, {
          inputResponses: extra.mcpReq.inputResponses,
          requestState: stateOf(extra.mcpReq),
        }),
      );
      if (read) return read;
    }
    try {
      return await readProjectResource(principal, uri, ctx);
    } catch (err) {
      throw protocolError(scope, err, uri);
    }
  });

  if (scope.gateway) {
    server.setRequestHandler('prompts/list', async (_request, extra) => {
      const gateway = gatewayFor(extra.mcpReq)!;
      const upstream = await callGateway(scope, () => listGatewayPrompts(gateway));
      return { prompts: upstream.items, ...skippedMeta(upstream.skipped) };
    });
    server.setRequestHandler('prompts/get', async (request, extra) => {
      const gateway = gatewayFor(extra.mcpReq)!;
      const prompt = await callGateway(scope, () =>
        getGatewayPrompt(gateway, request.params.name, request.params.arguments, {
          inputResponses: extra.mcpReq.inputResponses,
          requestState: stateOf(extra.mcpReq),
        }),
      );
      if (!prompt) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Unknown prompt: ${request.params.name.slice(0, 64)}`,
        );
      }
      return prompt;
    });
  }

  return server;
}

const OWN_URI_PREFIX = 'gatehouse://';

/** Gateway work: its protocol errors reach the client as they are; anything else is our fault, logged. */
async function callGateway<T>(scope: McpRequestScope, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw internalError(scope, err);
  }
}

/** The raw `requestState` a retry carries (the gateway passes an upstream's own state on untouched). */
function stateOf(mcpReq: ServerContext['mcpReq']): string | undefined {
  const state: unknown = mcpReq.requestState();
  return typeof state === 'string' ? state : undefined;
}

/**
 * Outside tools, our errors travel as JSON-RPC errors. A missing resource is -32602 with its URI
 * (2026-07-28, SEP-2164). The SDK sends that code in both eras, 2025-era clients included (they
 * were told -32002; 2026-07-28 asks clients to accept both), see docs/protocol.md.
 * @see https://modelcontextprotocol.io/specification/2026-07-28/server/resources#error-handling
 */
function protocolError(scope: McpRequestScope, err: unknown, uri?: string): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (err instanceof AppError) {
    if (err.code === 'not_found')
      return new ProtocolError(ProtocolErrorCode.InvalidParams, err.message, { uri });
    if (err.code === 'validation_failed')
      return new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
    return new ProtocolError(ProtocolErrorCode.InternalError, err.message);
  }
  return internalError(scope, err);
}

function internalError(scope: McpRequestScope, err: unknown): ProtocolError {
  log('error', 'mcp.handler_failed', { requestId: scope.requestId, ...describeError(err) });
  return new ProtocolError(
    ProtocolErrorCode.InternalError,
    'Something went wrong on our side. Please retry.',
  );
}
