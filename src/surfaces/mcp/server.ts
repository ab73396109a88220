import {
  type CallToolResult,
  type InputRequiredResult,
  type ProtocolEra,
  ProtocolError,
  ProtocolErrorCode,
  Server,
} from '@modelcontextprotocol/server';
import type { ActionContext } from '../../actions/action';
import type { Principal } from '../../auth/principal';
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

export interface McpRequestScope {
  principal: Principal;
  ctx: ActionContext;
  serviceName: string;
  requestId: string;
  /** Which protocol era this one request speaks (decided by the /mcp adapter). */
  era: ProtocolEra;
  requestStates: RequestStateCodec;
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
      capabilities: { tools: { listChanged: false }, resources: { listChanged: false } },
      instructions: INSTRUCTIONS,
      cacheHints: CACHE_HINTS,
      // 2025-era requests are served without sessions: a server→client request could never be answered.
      inputRequired: { legacyShim: false },
    },
  );

  server.setRequestHandler('tools/list', () => ({ tools: [...tools.list] }));

  server.setRequestHandler(
    'tools/call',
    async (request, extra): Promise<CallToolResult | InputRequiredResult> => {
      const action = tools.byName.get(request.params.name);
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

  server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: [PROJECT_TEMPLATE] }));
  server.setRequestHandler('resources/list', async (request) => {
    try {
      return await listProjectResources(principal, request.params?.cursor, ctx);
    } catch (err) {
      throw protocolError(scope, err);
    }
  });
  server.setRequestHandler('resources/read', async (request) => {
    try {
      return await readProjectResource(principal, request.params.uri, ctx);
    } catch (err) {
      throw protocolError(scope, err, request.params.uri);
    }
  });

  return server;
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
