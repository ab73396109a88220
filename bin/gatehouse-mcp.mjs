#!/usr/bin/env node
// gatehouse-mcp: a local stdio MCP server that forwards every message to a Gatehouse /mcp endpoint
// with `Authorization: Bearer <personal access token>`, for MCP clients that only speak stdio.
//
//   GATEHOUSE_URL      the server, e.g. https://gatehouse.example.com (or …/mcp); default http://localhost:8787
//   GATEHOUSE_API_KEY  a personal access token (tskdp_…); TASKADE_API_KEY is accepted as an alias
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const TOKEN_PATTERN = /^tskdp_[A-Za-z0-9_-]{20,}$/;

function fail(message) {
  process.stderr.write(`gatehouse-mcp: ${message}\n`);
  process.exit(1);
}

/** Resolves the endpoint URL: a bare origin gets `/mcp`; anything else must already be the MCP URL. */
export function endpointFrom(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/mcp';
  return url;
}

function describe(err) {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'number') {
    if (err.code === 401)
      return 'the server rejected the token (401). Check GATEHOUSE_API_KEY: it may be revoked, expired or mistyped.';
    if (err.code === 403) return 'the token is not allowed to use the MCP server (403).';
    return `the server answered HTTP ${err.code}.`;
  }
  if (err && typeof err === 'object' && err.name === 'UnauthorizedError') {
    return 'the server rejected the token (401). Check GATEHOUSE_API_KEY: it may be revoked, expired or mistyped.';
  }
  const cause = err && typeof err === 'object' && 'cause' in err ? err.cause : undefined;
  const code = cause && typeof cause === 'object' && 'code' in cause ? cause.code : undefined;
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    (err instanceof TypeError && /fetch failed/.test(err.message))
  ) {
    return 'cannot reach the server. Check GATEHOUSE_URL and your network.';
  }
  return err instanceof Error ? err.message.replace(/^Streamable HTTP error: /, '') : String(err);
}

async function main() {
  const rawUrl = process.env.GATEHOUSE_URL ?? 'http://localhost:8787';
  const endpoint = endpointFrom(rawUrl);
  if (!endpoint) fail(`GATEHOUSE_URL is not an http(s) URL: ${JSON.stringify(rawUrl)}`);
  const token = (process.env.GATEHOUSE_API_KEY ?? process.env.TASKADE_API_KEY ?? '').trim();
  if (!token)
    fail('set GATEHOUSE_API_KEY (or TASKADE_API_KEY) to a personal access token from /settings/api.');
  if (!TOKEN_PATTERN.test(token))
    fail('GATEHOUSE_API_KEY does not look like a personal access token (it starts with tskdp_).');

  const upstream = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const local = new StdioServerTransport();

  upstream.onmessage = (message) => {
    local.send(message).catch(() => {});
  };
  upstream.onerror = (err) => {
    process.stderr.write(`gatehouse-mcp: ${describe(err)}\n`);
  };
  local.onmessage = (message) => {
    upstream.send(message).catch((err) => {
      const text = describe(err);
      process.stderr.write(`gatehouse-mcp: ${text}\n`);
      if ('id' in message && 'method' in message) {
        local
          .send({ jsonrpc: '2.0', id: message.id, error: { code: -32000, message: `Gatehouse: ${text}` } })
          .catch(() => {});
      }
    });
  };
  local.onclose = () => {
    upstream.close().finally(() => process.exit(0));
  };

  await upstream.start();
  await local.start();
}

main().catch((err) => fail(describe(err)));
