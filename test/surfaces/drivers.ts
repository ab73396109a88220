import { REST_V1_ROUTES } from '../../src/surfaces/rest-v1/route-table';
import type { TestApp } from '../helpers/app';
import { apiCall, mcpPost, rpc } from './support';

/** The result of calling one action through one surface, in a surface-neutral shape. */
export type Outcome =
  | { ok: true; output: Record<string, unknown>; status: number }
  | { ok: false; code: string; status: number; message: string };

export type Driver = (
  app: TestApp,
  token: string,
  action: string,
  input: Record<string, unknown>,
) => Promise<Outcome>;

async function viaMcp(
  app: TestApp,
  token: string,
  action: string,
  input: Record<string, unknown>,
): Promise<Outcome> {
  const res = await mcpPost(app, token, rpc('tools/call', { name: action, arguments: input }));
  const body = (await res.json()) as {
    result?: { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> };
    error?: { code: number; message: string };
  };
  if (!body.result)
    return {
      ok: false,
      code: `jsonrpc_${body.error?.code}`,
      status: res.status,
      message: body.error?.message ?? '',
    };
  const text = body.result.content[0]?.text ?? '';
  if (body.result.isError) {
    return {
      ok: false,
      code: /\(([a-z_]+)\)$/.exec(text)?.[1] ?? 'unknown',
      status: res.status,
      message: text,
    };
  }
  // The text content carries the same JSON as structuredContent, for clients that ignore the latter.
  if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(body.result.structuredContent)) {
    throw new Error(`${action}: text content and structuredContent differ`);
  }
  return { ok: true, output: body.result.structuredContent ?? {}, status: res.status };
}

async function fromApiResponse(
  res: Response,
  unwrap: (body: Record<string, unknown>) => Record<string, unknown>,
): Promise<Outcome> {
  const body = (await res.json()) as Record<string, unknown>;
  if (body.ok === true) return { ok: true, output: unwrap(body), status: res.status };
  const error = body.error as { code: string; message: string };
  return { ok: false, code: error.code, status: res.status, message: error.message };
}

async function viaActionApi(
  app: TestApp,
  token: string,
  action: string,
  input: Record<string, unknown>,
): Promise<Outcome> {
  const res = await apiCall(app, token, 'POST', `/api/v2/${action}`, input);
  return fromApiResponse(res, (body) => body.result as Record<string, unknown>);
}

async function viaRest(
  app: TestApp,
  token: string,
  action: string,
  input: Record<string, unknown>,
): Promise<Outcome> {
  const route = REST_V1_ROUTES.find((r) => r.action === action);
  if (!route) throw new Error(`no REST v1 route for ${action}`);
  const rest = { ...input };
  const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = String(rest[name]);
    delete rest[name];
    return encodeURIComponent(value);
  });
  let res: Response;
  if (route.method === 'POST' || route.method === 'PATCH') {
    res = await apiCall(app, token, route.method, path, rest);
  } else {
    const query = new URLSearchParams(Object.entries(rest).map(([k, v]) => [k, String(v)])).toString();
    res = await apiCall(app, token, route.method, query ? `${path}?${query}` : path);
  }
  return fromApiResponse(res, ({ ok: _ok, ...output }) => output);
}

export const DRIVERS: Record<'mcp' | 'rest-v1' | 'action-api-v2', Driver> = {
  mcp: viaMcp,
  'rest-v1': viaRest,
  'action-api-v2': viaActionApi,
};

/** HTTP status each surface answers a given error code with (MCP tool errors are 200 results). */
export function expectedStatus(surface: keyof typeof DRIVERS, code: string): number {
  if (surface === 'mcp') return 200;
  return { not_found: 404, validation_failed: 400, limit_reached: 409 }[code] ?? 500;
}
