import {
  CLIENT_INFO_META_KEY,
  classifyInboundRequest,
  PROTOCOL_VERSION_META_KEY,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/server';
import { log } from '../../http/log';

/**
 * Which era one POST to /mcp speaks, decided per request from the body (the body is what runs), with
 * the SDK's own classifier, plus three deliberate, logged tolerances for client bugs seen in the wild.
 * docs/protocol.md explains every rule; in short:
 *
 * - A body carrying the 2026-07-28 `_meta` envelope is modern; anything else (an `initialize`, a
 *   claim-less request, a batch) is legacy.
 * - Lenient (logged as `mcp.deviation`): (a) a modern body whose `MCP-Protocol-Version` header names
 *   a 2025 revision is served by the body (claude-code#93290); (b) a legacy body whose header names a
 *   modern revision is served as the legacy request it is (SparkyFitness#2155); (c) a modern
 *   `server/discover` with no MCP header at all gets a non-modern 400 so a dual-era client falls back
 *   to `initialize` (older bridges strip the headers, and every later modern request would fail).
 * - Strict: `Mcp-Method` and `Mcp-Name` are never trusted over the body. If present they must match
 *   it, in both eras, else -32020; on modern requests the SDK also requires them.
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http#server-validation
 */

/** The newest 2025 revision; what a legacy request with a modern header is served as. */
export const LATEST_LEGACY_VERSION = '2025-11-25';
const FIRST_MODERN_VERSION = '2026-07-28';
const HEADER_MISMATCH = -32020;

export type EraDecision =
  | { kind: 'modern'; headers: Headers }
  | { kind: 'legacy'; headers: Headers }
  /** A JSON-RPC error to send as is. */
  | { kind: 'refuse'; status: number; code: number; message: string; id: string | number | null };

const isModernVersion = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= FIRST_MODERN_VERSION;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function jsonRpcId(body: unknown): string | number | null {
  return isRecord(body) && (typeof body.id === 'string' || typeof body.id === 'number') ? body.id : null;
}

function metaOf(body: unknown): Record<string, unknown> | undefined {
  const params = isRecord(body) ? body.params : undefined;
  return isRecord(params) && isRecord(params._meta) ? params._meta : undefined;
}

/** The client's self-reported name, for logs only (never for decisions). */
function clientName(body: unknown): string | null {
  const info = metaOf(body)?.[CLIENT_INFO_META_KEY];
  const params = isRecord(body) ? body.params : undefined;
  const legacyInfo = isRecord(params) ? params.clientInfo : undefined;
  const name = (isRecord(info) && info.name) || (isRecord(legacyInfo) && legacyInfo.name);
  return typeof name === 'string' ? name.slice(0, 100) : null;
}

function deviation(rule: string, request: Request, body: unknown, fields: Record<string, unknown>) {
  log('warn', 'mcp.deviation', {
    rule,
    client: clientName(body),
    userAgent: request.headers.get('user-agent')?.slice(0, 200) ?? null,
    method: isRecord(body) && typeof body.method === 'string' ? body.method.slice(0, 100) : null,
    ...fields,
  });
}

/** `Mcp-Name` values outside the header-safe set travel as `=?base64?…?=` (UTF-8); undefined: invalid. */
export function decodeHeaderValue(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed.startsWith('=?base64?') || !trimmed.endsWith('?=')) return trimmed;
  const b64 = trimmed.slice('=?base64?'.length, -'?='.length);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}

const NAME_SOURCE: Record<string, 'name' | 'uri'> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/**
 * The mirrored headers of a legacy request, when a client sends them: they must agree with the body
 * (the SDK checks them on modern requests only). A legacy client need not send them at all.
 */
function legacyHeaderMismatch(headers: Headers, body: unknown): string | undefined {
  if (!isRecord(body) || typeof body.method !== 'string') return undefined;
  const method = headers.get('mcp-method');
  if (method !== null && method.trim() !== body.method) {
    return `the body names method ${body.method.slice(0, 64)} but the Mcp-Method header names another`;
  }
  const name = headers.get('mcp-name');
  const field = Object.hasOwn(NAME_SOURCE, body.method) ? NAME_SOURCE[body.method] : undefined;
  if (name === null || field === undefined || !isRecord(body.params)) return undefined;
  const decoded = decodeHeaderValue(name);
  if (decoded === undefined) return 'the Mcp-Name header carries an invalid Base64 value';
  const bodyValue = body.params[field];
  if (typeof bodyValue === 'string' && decoded !== bodyValue) {
    return `the Mcp-Name header does not match params.${field}`;
  }
  return undefined;
}

export function decideEra(request: Request, body: unknown): EraDecision {
  const headers = new Headers(request.headers);
  const versionHeader = headers.get('mcp-protocol-version')?.trim();
  const classify = () =>
    classifyInboundRequest({
      httpMethod: 'POST',
      protocolVersionHeader: headers.get('mcp-protocol-version') ?? undefined,
      mcpMethodHeader: headers.get('mcp-method') ?? undefined,
      mcpNameHeader: headers.get('mcp-name') ?? undefined,
      body,
    });
  let outcome = classify();
  // Not a JSON-RPC message at all: neither era; the 2025 transport answers it as it always has (-32700).
  if (outcome.kind === 'reject' && outcome.cell === 'invalid-json-rpc-body')
    return { kind: 'legacy', headers };

  if (outcome.kind === 'reject' && outcome.cell === 'header-body-version-mismatch') {
    const claim = metaOf(body)?.[PROTOCOL_VERSION_META_KEY];
    const legacyHeader = versionHeader !== undefined && SUPPORTED_PROTOCOL_VERSIONS.includes(versionHeader);
    if (typeof claim === 'string' && isModernVersion(claim) && legacyHeader) {
      // (a) claude-code#93290: Claude's connectors send a 2026-07-28 body under a 2025-11-25 header.
      // Only a 2025 revision we serve is excused; any other header value stays a mismatch.
      deviation('modern-body-legacy-header', request, body, { header: versionHeader, body: claim });
      headers.set('mcp-protocol-version', claim);
      outcome = classify();
    }
  } else if (
    outcome.kind === 'reject' &&
    (outcome.cell === 'modern-header-without-claim' || outcome.cell === 'initialize-with-modern-header') &&
    // server/discover exists only in the modern era: without its envelope it is a broken modern
    // request (the SDK's 400 -32602), not a legacy one.
    !(isRecord(body) && body.method === 'server/discover')
  ) {
    // (b) SparkyFitness#2155: after negotiating 2025-11-25, Claude sends a modern header on legacy requests.
    deviation('legacy-body-modern-header', request, body, { header: versionHeader ?? null });
    headers.set('mcp-protocol-version', LATEST_LEGACY_VERSION);
    outcome = classify();
  }

  if (outcome.kind === 'legacy') {
    const mismatch = legacyHeaderMismatch(headers, body);
    if (mismatch) {
      return {
        kind: 'refuse',
        status: 400,
        code: HEADER_MISMATCH,
        message: `Bad Request: ${mismatch}`,
        id: jsonRpcId(body),
      };
    }
    return { kind: 'legacy', headers };
  }

  if (
    outcome.kind === 'modern' &&
    outcome.messageKind === 'request' &&
    outcome.message.method === 'server/discover' &&
    !headers.has('mcp-protocol-version') &&
    !headers.has('mcp-method')
  ) {
    // (c) A bridge that strips MCP headers would fail every later modern request; a non-modern error
    // (not -32020/-32021/-32022) makes a dual-era client fall back to initialize, which works.
    deviation('discover-without-headers', request, body, {});
    return {
      kind: 'refuse',
      status: 400,
      code: -32600,
      message: 'Bad Request: a 2026-07-28 request needs the MCP-Protocol-Version and Mcp-Method headers',
      id: jsonRpcId(body),
    };
  }
  // Modern requests and every other refusal: the SDK's handler answers them exactly as it classifies.
  return { kind: 'modern', headers };
}
