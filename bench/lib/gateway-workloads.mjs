// The gateway benchmark's requests (`npm run bench:gateway`, docs/benchmarks.md "Gateway"): the same
// tools/call sent through Gatehouse and straight to the upstream, in the upstream's own era, and a
// warm tools/list over one upstream and over three.
import http from 'node:http';
import { send } from './load.mjs';

const ACCEPT = 'application/json, text/event-stream';
const LEGACY_VERSION = '2025-11-25';
const MODERN_VERSION = '2026-07-28';

/** The echo argument of server-everything's `echo` tool; every answer must carry it back. */
export const ECHO_MESSAGE = 'gateway bench';
export const FIXTURE_TOOL = 'test_simple_text';
export const FIXTURE_TEXT = 'This is a simple text response for testing.';

const rpc = (id, method, params) => JSON.stringify({ jsonrpc: '2.0', id, method, params });

/** A JSON-RPC answer from a JSON body or the last `data:` line of an SSE body. */
export function parseAnswer(body) {
  const text = body.trimStart().startsWith('{')
    ? body
    : body
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .at(-1)
        ?.slice(5);
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function callProblem(body, id, expectText) {
  const j = parseAnswer(body);
  if (j?.jsonrpc !== '2.0' || j.id !== id) return `not a JSON-RPC answer to id ${id}: ${body.slice(0, 200)}`;
  if (!j.result || j.result.isError) return `tool failed: ${body.slice(0, 200)}`;
  if (!JSON.stringify(j.result.content ?? []).includes(expectText))
    return `unexpected content: ${body.slice(0, 200)}`;
  return undefined;
}

export const checkEcho = (body) => callProblem(body, 1, ECHO_MESSAGE);
export const checkFixture = (body) => callProblem(body, 1, FIXTURE_TEXT);

/** `tools/list` through Gatehouse: our own tools plus every upstream's, none skipped. */
export function listChecker(prefixes) {
  return (body) => {
    const j = parseAnswer(body);
    const tools = j?.result?.tools;
    if (j?.id !== 2 || !Array.isArray(tools)) return `not a tools/list answer: ${body.slice(0, 200)}`;
    if (j.result._meta?.['io.gatehouse/skipped']) return `an upstream was skipped: ${body.slice(0, 300)}`;
    const missing = prefixes.filter((p) => !tools.some((t) => t.name.startsWith(`${p}__`)));
    return missing.length > 0 ? `no tools from ${missing.join(', ')}` : undefined;
  };
}

/** A 2025-era stateless request to Gatehouse's /mcp, as today's clients send it. */
export function gatehouseRequest(token, body) {
  const headers = {
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': LEGACY_VERSION,
    authorization: `Bearer ${token}`,
  };
  return () => ({ path: '/mcp', method: 'POST', headers, body });
}

export const gatewayEchoBody = rpc(1, 'tools/call', {
  name: 'ev__echo',
  arguments: { message: ECHO_MESSAGE },
});
export const gatewayFixtureBody = rpc(1, 'tools/call', { name: `fx__${FIXTURE_TOOL}`, arguments: {} });
export const listBody = rpc(2, 'tools/list', {});

/**
 * Opens a 2025-era session at server-everything (initialize + notifications/initialized), as a direct
 * client holds one for its whole conversation; returns the headers of the session's later requests.
 */
export async function openLegacySession(url) {
  const agent = new http.Agent({ keepAlive: false });
  try {
    const base = { 'content-type': 'application/json', accept: ACCEPT };
    const init = await send(agent, url, {
      method: 'POST',
      headers: base,
      body: rpc(0, 'initialize', {
        protocolVersion: LEGACY_VERSION,
        capabilities: {},
        clientInfo: { name: 'gateway-bench', version: '1.0.0' },
      }),
    });
    const session = init.headers['mcp-session-id'];
    const version = parseAnswer(init.body)?.result?.protocolVersion;
    if (init.status !== 200 || !session || !version) {
      throw new Error(`initialize at ${url} failed: ${init.status} ${init.body.slice(0, 300)}`);
    }
    const headers = { ...base, 'mcp-session-id': session, 'mcp-protocol-version': version };
    const done = await send(agent, url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    if (done.status !== 202 && done.status !== 200) {
      throw new Error(`notifications/initialized at ${url}: ${done.status} ${done.body.slice(0, 300)}`);
    }
    return headers;
  } finally {
    agent.destroy();
  }
}

/** The direct `echo` call on one connection's session (state.headers from {@link openLegacySession}). */
export function directEchoRequest(path) {
  const body = rpc(1, 'tools/call', { name: 'echo', arguments: { message: ECHO_MESSAGE } });
  return (state) => ({ path, method: 'POST', headers: state.headers, body });
}

/** The direct 2026-07-28 call to the fixture: stateless, the envelope in `_meta`, SEP-2243 headers. */
export function directModernRequest(path) {
  const body = rpc(1, 'tools/call', {
    name: FIXTURE_TOOL,
    arguments: {},
    _meta: {
      'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
      'io.modelcontextprotocol/clientInfo': { name: 'gateway-bench', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  });
  const headers = {
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': MODERN_VERSION,
    'mcp-method': 'tools/call',
    'mcp-name': FIXTURE_TOOL,
  };
  return () => ({ path, method: 'POST', headers, body });
}
