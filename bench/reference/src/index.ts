/**
 * The benchmark's reference: what a team would build today with `@cloudflare/workers-oauth-provider`
 * and the MCP SDK. OAuthProvider serves DCR, /token and the RFC 8414/9728 metadata and guards
 * `/mcp`; `/mcp` is a stateless MCP server on the same SDK transport Gatehouse uses
 * (`WebStandardStreamableHTTPServerTransport`, no sessions, JSON responses), built per request as
 * the SDK recommends for stateless servers. The authorize page approves at once for one fixed
 * bench user: the library's own DCR + PKCE + code + refresh flow is what gets exercised.
 *
 * The tool catalogue mirrors Gatehouse's action names with comparable zod inputs so that
 * `tools/list` and per-request server construction do comparable work; only `whoAmI` (the
 * benchmarked read-only tool) is implemented, the rest answer a fixed result.
 */
import { type OAuthHelpers, OAuthProvider } from '@cloudflare/workers-oauth-provider';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';

interface Env {
  OAUTH_KV: KVNamespace;
  OAUTH_PROVIDER: OAuthHelpers;
}

interface BenchProps {
  userId: string;
  email: string;
}

const BENCH_USER = 'bench-user';
const BENCH_EMAIL = 'bench-user@example.com';

const id = z.string().min(1).max(64);
const title = z.string().min(1).max(200);
const text = z.string().min(1).max(2000);
const cursor = z.string().max(256).optional();
const limit = z.number().int().min(1).max(100).optional();

const catalogue: Record<string, { description: string; readOnly: boolean; input: z.ZodRawShape }> = {
  listMyProjects: { description: 'List your projects.', readOnly: true, input: { cursor, limit } },
  getProject: { description: 'Get one project.', readOnly: true, input: { projectId: id } },
  createProject: {
    description: 'Create a project.',
    readOnly: false,
    input: { title, description: text.optional() },
  },
  updateProject: {
    description: 'Rename or describe a project.',
    readOnly: false,
    input: { projectId: id, title: title.optional(), description: text.optional() },
  },
  deleteProject: { description: 'Delete a project.', readOnly: false, input: { projectId: id } },
  listTasks: {
    description: 'List tasks of a project.',
    readOnly: true,
    input: { projectId: id, status: z.enum(['open', 'done', 'all']).optional(), cursor, limit },
  },
  getTask: { description: 'Get one task.', readOnly: true, input: { taskId: id } },
  createTask: {
    description: 'Create a task.',
    readOnly: false,
    input: { projectId: id, text, notes: text.optional(), dueDate: z.string().date().optional() },
  },
  updateTask: {
    description: 'Change a task.',
    readOnly: false,
    input: {
      taskId: id,
      text: text.optional(),
      notes: text.optional(),
      dueDate: z.string().date().optional(),
    },
  },
  completeTask: { description: 'Mark a task done.', readOnly: false, input: { taskId: id } },
  reopenTask: { description: 'Mark a task open.', readOnly: false, input: { taskId: id } },
  moveTask: {
    description: 'Move a task.',
    readOnly: false,
    input: { taskId: id, projectId: id.optional(), position: z.number().int().min(0).optional() },
  },
  deleteTask: { description: 'Delete a task.', readOnly: false, input: { taskId: id } },
  searchTasks: { description: 'Search your tasks.', readOnly: true, input: { query: title, cursor, limit } },
};

function buildServer(props: BenchProps, scopes: readonly string[], clientId: string): McpServer {
  const server = new McpServer({ name: 'bench-reference', version: '1.0.0' });
  server.registerTool(
    'whoAmI',
    {
      title: 'Who am I',
      description: 'Tells which account and which kind of credential this call is made with.',
      inputSchema: {},
      outputSchema: {
        userId: z.string(),
        email: z.string(),
        emailVerified: z.boolean(),
        tokenKind: z.enum(['oauth', 'pat']),
        clientId: z.string().nullable(),
        scopes: z.array(z.string()),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    },
    async () => {
      // The library's idiom: what the tool needs travels in the token's encrypted props, so the
      // tool reads no storage (Gatehouse's whoAmI reads the account row from D1 instead).
      const result = {
        userId: props.userId,
        email: props.email,
        emailVerified: true,
        tokenKind: 'oauth' as const,
        clientId,
        scopes: [...scopes],
      };
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    },
  );
  for (const [name, tool] of Object.entries(catalogue)) {
    server.registerTool(
      name,
      {
        description: tool.description,
        inputSchema: tool.input,
        annotations: { readOnlyHint: tool.readOnly, destructiveHint: !tool.readOnly },
      },
      async () => ({ content: [{ type: 'text', text: '{}' }] }),
    );
  }
  return server;
}

const mcpHandler = {
  async fetch(request: Request, _env: Env, ctx: ExecutionContext & { props: BenchProps }) {
    if (request.method !== 'POST') {
      return new Response(null, { status: 405, headers: { Allow: 'POST' } });
    }
    const auth = (ctx as unknown as { auth?: { scope?: string[]; clientId?: string } }).auth;
    const server = buildServer(ctx.props, auth?.scope ?? [], auth?.clientId ?? '');
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    return transport.handleRequest(request);
  },
};

const authorizePage = {
  async fetch(request: Request, env: Env) {
    const url = new URL(request.url);
    if (url.pathname !== '/authorize') return new Response('Not found', { status: 404 });
    const authRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
    const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
      request: authRequest,
      userId: BENCH_USER,
      metadata: {},
      scope: authRequest.scope,
      props: { userId: BENCH_USER, email: BENCH_EMAIL } satisfies BenchProps,
    });
    return new Response(null, { status: 302, headers: { Location: redirectTo } });
  },
};

let provider: OAuthProvider<Env> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    // The resource must be absolute; the harness picks a free loopback port, so it is known only
    // once the first request arrives. Built once per isolate.
    provider ??= new OAuthProvider<Env>({
      apiRoute: '/mcp',
      apiHandler: mcpHandler as never,
      defaultHandler: authorizePage as never,
      authorizeEndpoint: '/authorize',
      tokenEndpoint: '/token',
      clientRegistrationEndpoint: '/register',
      scopesSupported: ['mcp'],
      resourceMetadata: { resource: `${new URL(request.url).origin}/mcp` },
    });
    return provider.fetch(request, env, ctx);
  },
};
