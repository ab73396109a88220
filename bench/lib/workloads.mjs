// The workloads: what each target is sent and how its answers are checked.
import { refreshBody } from './flows.mjs';

export const WORKLOADS = [
  { id: 'call', label: 'tools/call whoAmI (OAuth token)', targets: ['gatehouse', 'reference', 'bare'] },
  // The reference speaks only the 2025 revisions, so the 2026-07-28 call is compared with bare only.
  { id: 'modern', label: 'tools/call whoAmI, MCP 2026-07-28 (OAuth token)', targets: ['gatehouse', 'bare'] },
  { id: 'list', label: 'tools/list (OAuth token)', targets: ['gatehouse', 'reference', 'bare'] },
  { id: 'unauth', label: 'tools/call without a token (401)', targets: ['gatehouse', 'reference', 'bare'] },
  { id: 'refresh', label: 'refresh_token grant (rotation)', targets: ['gatehouse', 'reference', 'bare'] },
  { id: 'pat', label: 'tools/call whoAmI (personal access token)', targets: ['gatehouse', 'bare'] },
  { id: 'rest', label: 'GET /api/v1/me/projects (OAuth, scope api)', targets: ['gatehouse', 'bare'] },
];

const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

export const CALL_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'whoAmI', arguments: {} },
});
/** The same call in the 2026-07-28 shape: the `_meta` envelope in the body, mirrored headers. */
export const MODERN_CALL_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name: 'whoAmI',
    arguments: {},
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});
const MODERN_HEADERS = {
  ...MCP_HEADERS,
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'whoAmI',
};
export const LIST_BODY = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });

function parse(body) {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Shape checks, used on the captured reference answer of each target and on sampled answers. */
export const SHAPES = {
  call(body) {
    const j = parse(body);
    if (j?.jsonrpc !== '2.0' || j.id !== 1) return 'not a JSON-RPC answer to id 1';
    if (!j.result || j.result.isError) return `tool failed: ${body.slice(0, 200)}`;
    if (!Array.isArray(j.result.content) || j.result.content.length === 0) return 'no content';
    return undefined;
  },
  list(body) {
    const j = parse(body);
    if (j?.jsonrpc !== '2.0' || j.id !== 2) return 'not a JSON-RPC answer to id 2';
    if (!Array.isArray(j.result?.tools) || !j.result.tools.some((t) => t.name === 'whoAmI'))
      return 'no whoAmI in tools';
    return undefined;
  },
  unauth(_body, headers) {
    const challenge = headers?.['www-authenticate'] ?? '';
    if (!/^Bearer\b/i.test(challenge) || !challenge.includes('resource_metadata='))
      return `bad challenge: ${challenge}`;
    return undefined;
  },
  refresh(body) {
    const j = parse(body);
    if (typeof j?.access_token !== 'string' || typeof j.refresh_token !== 'string') return 'no token pair';
    if (String(j.token_type).toLowerCase() !== 'bearer') return 'token_type is not Bearer';
    return undefined;
  },
  rest(body) {
    const j = parse(body);
    if (j?.ok !== true) return `not ok: ${body.slice(0, 200)}`;
    return undefined;
  },
};
SHAPES.pat = SHAPES.call;
SHAPES.modern = (body) => {
  const problem = SHAPES.call(body);
  if (problem) return problem;
  return parse(body).result.resultType === 'complete' ? undefined : 'no resultType: complete';
};

export const EXPECT_STATUS = {
  call: 200,
  modern: 200,
  list: 200,
  unauth: 401,
  refresh: 200,
  pat: 200,
  rest: 200,
};

/** The HTTP request a workload sends to a target (`auth` holds that target's tokens). */
export function requestFor(workload, target, auth) {
  if (target === 'bare') {
    const method = workload === 'rest' ? 'GET' : 'POST';
    const body =
      workload === 'refresh' ? 'grant_type=refresh_token' : workload === 'rest' ? undefined : CALL_BODY;
    return () => ({ path: `/${workload}`, method, headers: { 'content-type': 'application/json' }, body });
  }
  switch (workload) {
    case 'call':
    case 'pat': {
      const token = workload === 'pat' ? auth.pat : auth.mcp.access_token;
      const headers = { ...MCP_HEADERS, authorization: `Bearer ${token}` };
      return () => ({ path: '/mcp', method: 'POST', headers, body: CALL_BODY });
    }
    case 'modern': {
      const headers = { ...MODERN_HEADERS, authorization: `Bearer ${auth.mcp.access_token}` };
      return () => ({ path: '/mcp', method: 'POST', headers, body: MODERN_CALL_BODY });
    }
    case 'list': {
      const headers = { ...MCP_HEADERS, authorization: `Bearer ${auth.mcp.access_token}` };
      return () => ({ path: '/mcp', method: 'POST', headers, body: LIST_BODY });
    }
    case 'unauth':
      return () => ({ path: '/mcp', method: 'POST', headers: MCP_HEADERS, body: CALL_BODY });
    case 'rest': {
      const headers = { accept: 'application/json', authorization: `Bearer ${auth.api.access_token}` };
      return () => ({ path: '/api/v1/me/projects', method: 'GET', headers });
    }
    case 'refresh':
      // state = one refresh-token chain per connection: { refreshToken, clientId }
      return (state) => ({
        path: auth.tokenPath,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: refreshBody(state.refreshToken, state.clientId, auth.resource),
      });
    default:
      throw new TypeError(`unknown workload ${workload}`);
  }
}
