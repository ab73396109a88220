import { checkUpstreamHost } from './host-check';
import {
  MAX_UPSTREAM_RESPONSE_BYTES,
  type UpstreamFailure,
  UpstreamFailureError,
  upstreamFailure,
} from './upstream-failure';
import type { Upstream } from './upstreams';

/**
 * The only way Gatehouse's MCP client reaches an upstream: a `fetch` that
 * - sends requests only to the upstream's own origin, after the SSRF check ({@link checkUpstreamHost});
 * - adds the person's credential headers (never Gatehouse's own token: the request is built here, from
 *   the MCP client's request, and the caller's headers are the only credential on it);
 * - follows a redirect only within the upstream's origin (RFC 9110 §15.4; a redirect elsewhere could
 *   carry the credential to another server), at most {@link MAX_REDIRECTS} times;
 * - classifies what comes back: 401/403 → `unauthorized`, 5xx → `unreachable`, HTML or other non-MCP
 *   content types and JSON that is not JSON-RPC → `not_mcp`;
 * - stops reading at {@link MAX_UPSTREAM_RESPONSE_BYTES} (`too_large`): JSON bodies are read through a
 *   counting reader, event streams are passed on through a counting transform, never buffered whole.
 * The first failure is kept in `failures` so the caller reports it rather than whatever the MCP client
 * made of the thrown error.
 */
export interface UpstreamFetchOptions {
  readonly upstream: Upstream;
  readonly fetch: typeof fetch;
  readonly allowHttpLoopback: boolean;
  readonly now: () => number;
  /** The person's credential for this upstream, as headers; called before every request. */
  readonly credentialHeaders: () => Promise<Readonly<Record<string, string>>>;
  /** Aborts every request (the operation's deadline). */
  readonly signal: AbortSignal;
  readonly failures: { first: UpstreamFailure | undefined };
}

const MAX_REDIRECTS = 3;
/** Statuses whose Response may not carry a body (the Fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
/** Headers the MCP client sets; a credential header may not replace them. */
const PROTECTED = new Set([
  'content-type',
  'accept',
  'mcp-protocol-version',
  'mcp-session-id',
  'last-event-id',
]);

function fail(options: UpstreamFetchOptions, kind: Parameters<typeof upstreamFailure>[1]): never {
  const failure = upstreamFailure(options.upstream, kind);
  options.failures.first ??= failure;
  throw new UpstreamFailureError(failure);
}

async function readBounded(
  body: ReadableStream<Uint8Array>,
  options: UpstreamFetchOptions,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    total += next.value.byteLength;
    if (total > MAX_UPSTREAM_RESPONSE_BYTES) {
      await reader.cancel();
      fail(options, 'too_large');
    }
    chunks.push(next.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function isJsonRpcMessage(value: unknown): boolean {
  const one = (v: unknown) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    (v as { jsonrpc?: unknown }).jsonrpc === '2.0';
  return Array.isArray(value) ? value.length > 0 && value.every(one) : one(value);
}

function countingStream(
  body: ReadableStream<Uint8Array>,
  options: UpstreamFetchOptions,
): ReadableStream<Uint8Array> {
  let total = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > MAX_UPSTREAM_RESPONSE_BYTES) {
          const failure = upstreamFailure(options.upstream, 'too_large');
          options.failures.first ??= failure;
          controller.error(new UpstreamFailureError(failure));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

async function classify(
  response: Response,
  method: string,
  options: UpstreamFetchOptions,
): Promise<Response> {
  if (response.status === 401 || response.status === 403) fail(options, 'unauthorized');
  if (response.status >= 500) fail(options, 'unreachable');
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_UPSTREAM_RESPONSE_BYTES) fail(options, 'too_large');
  if (!response.body || NULL_BODY_STATUSES.has(response.status)) return response;
  // Other answers (405 to a GET, 404 for an ended session, 202 to a notification, a GET's event stream)
  // are the MCP client's to interpret, but it reads them through the same cap.
  if (!response.ok || response.status === 202 || method !== 'POST') {
    return withBody(response, countingStream(response.body, options));
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') return withBody(response, countingStream(response.body, options));
  if (type !== 'application/json') fail(options, 'not_mcp');
  const bytes = await readBounded(response.body, options);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    fail(options, 'not_mcp');
  }
  if (!isJsonRpcMessage(json)) fail(options, 'not_mcp');
  return withBody(response, bytes);
}

function withBody(response: Response, body: BodyInit): Response {
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

export function createUpstreamFetch(options: UpstreamFetchOptions): typeof fetch {
  const origin = new URL(options.upstream.url).origin;
  return async function upstreamFetch(input, init) {
    const first = new Request(input, init);
    const method = first.method;
    // The MCP client's bodies are strings; read once so a same-origin 307/308 can resend it.
    const body = method === 'GET' || method === 'HEAD' ? undefined : await first.text();
    const headers = new Headers(first.headers);
    headers.delete('authorization');
    for (const [name, value] of Object.entries(await options.credentialHeaders())) {
      if (!PROTECTED.has(name.toLowerCase())) headers.set(name, value);
    }
    // The MCP client aborts its own requests (an SSE stream on close); the deadline aborts them all.
    const signal = init?.signal ? AbortSignal.any([options.signal, init.signal]) : options.signal;
    let url = new URL(first.url);
    let currentMethod = method;
    let currentBody = body;
    for (let hop = 0; ; hop++) {
      if (url.origin !== origin) fail(options, 'refused');
      const verdict = await checkUpstreamHost(url, options);
      if (verdict === 'not_public') fail(options, 'refused');
      if (verdict === 'unresolved') fail(options, 'unreachable');
      let response: Response;
      try {
        response = await options.fetch(url.href, {
          method: currentMethod,
          headers,
          body: currentBody,
          redirect: 'manual',
          signal,
        });
      } catch (error) {
        if (error instanceof UpstreamFailureError) throw error;
        fail(options, options.signal.aborted ? 'timeout' : 'unreachable');
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return classify(response, currentMethod, options);
      }
      await response.body?.cancel();
      if (hop >= MAX_REDIRECTS) fail(options, 'not_mcp');
      url = new URL(location, url);
      // 301/302/303 turn a POST into a GET without a body (RFC 9110 §15.4.2-4); an MCP POST cannot
      // survive that, but the answer is then the upstream's (a 405), not a guess of ours.
      if (response.status !== 307 && response.status !== 308) {
        currentMethod = 'GET';
        currentBody = undefined;
      }
    }
  };
}
