import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import type { ActionContext } from '../../actions/action';
import type { Principal } from '../../auth/principal';
import { AppError } from '../../http/errors';
import { describeError, log } from '../../http/log';
import { listProjectResources, PROJECT_TEMPLATE, readProjectResource } from './resources';
import { mcpTools } from './tools';

export const SERVER_VERSION = '0.1.0';

const INSTRUCTIONS = [
  'This server is your Gatehouse workspace: projects, each holding an ordered list of tasks.',
  'Start with listMyProjects (or searchTasks to find a task by its words); ids returned by one tool',
  'are what the others take. Lists are paged: pass nextCursor back as cursor. deleteProject and',
  'deleteTask cannot be undone. Every tool acts only on the signed-in person’s own data.',
].join(' ');

// The SDK's default validator compiles schemas with `new Function`, which workerd forbids.
const validator = new CfWorkerJsonSchemaValidator();

export interface McpRequestScope {
  principal: Principal;
  ctx: ActionContext;
  serviceName: string;
  requestId: string;
}

/**
 * A fresh low-level MCP server for one HTTP request (the transport is stateless). Construction only
 * registers handlers; the tool list and its JSON schemas are built once per isolate (`mcpTools`).
 */
export function createMcpServer(scope: McpRequestScope): Server {
  const { principal, ctx } = scope;
  const tools = mcpTools();
  const server = new Server(
    { name: 'gatehouse', title: scope.serviceName, version: SERVER_VERSION },
    {
      capabilities: { tools: { listChanged: false }, resources: { listChanged: false } },
      instructions: INSTRUCTIONS,
      jsonSchemaValidator: validator,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...tools.list] }));

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const action = tools.byName.get(request.params.name);
    if (!action) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name.slice(0, 64)}`);
    }
    try {
      const output = await action.invoke(principal, request.params.arguments ?? {}, ctx);
      return { content: [{ type: 'text', text: JSON.stringify(output) }], structuredContent: output };
    } catch (err) {
      // Tool failures are results the model can read and act on, not protocol errors (MCP tools §error handling).
      if (err instanceof AppError) {
        return { isError: true, content: [{ type: 'text', text: `${err.message} (${err.code})` }] };
      }
      throw internalError(scope, err);
    }
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [PROJECT_TEMPLATE],
  }));
  server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    try {
      return await listProjectResources(principal, request.params?.cursor, ctx);
    } catch (err) {
      throw protocolError(scope, err);
    }
  });
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    try {
      return await readProjectResource(principal, request.params.uri, ctx);
    } catch (err) {
      throw protocolError(scope, err);
    }
  });

  return server;
}

/** Outside tools, our errors travel as JSON-RPC errors; the spec gives -32002 to a missing resource. */
function protocolError(scope: McpRequestScope, err: unknown): McpError {
  if (err instanceof McpError) return err;
  if (err instanceof AppError) {
    if (err.code === 'not_found') return new McpError(-32002, err.message);
    if (err.code === 'validation_failed') return new McpError(ErrorCode.InvalidParams, err.message);
    return new McpError(ErrorCode.InternalError, err.message);
  }
  return internalError(scope, err);
}

function internalError(scope: McpRequestScope, err: unknown): McpError {
  log('error', 'mcp.handler_failed', { requestId: scope.requestId, ...describeError(err) });
  return new McpError(ErrorCode.InternalError, 'Something went wrong on our side. Please retry.');
}
