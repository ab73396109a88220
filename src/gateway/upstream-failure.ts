import type { Upstream } from './upstreams';

/**
 * Everything that can go wrong talking to an upstream, as a closed union. The gateway never lets an
 * upstream's trouble become a 5xx of `/mcp`: each kind becomes a tool error (or a skipped list entry)
 * with a fixed sentence that names the upstream and says what a person can do. Tests assert `kind`;
 * the sentences are for people.
 */
export type UpstreamFailureKind =
  /** DNS, TCP or TLS failed, the upstream answered 5xx, or its name could not be checked. */
  | 'unreachable'
  /** No complete answer within the upstream's `timeoutMs`. */
  | 'timeout'
  /** An answer that is not MCP: HTML, JSON that is not JSON-RPC, an unknown content type. */
  | 'not_mcp'
  /** An answer over {@link MAX_UPSTREAM_RESPONSE_BYTES}, or a list that never stops paging. */
  | 'too_large'
  /** 401 or 403: the credential Gatehouse holds for this person was revoked or has expired. */
  | 'unauthorized'
  /** The upstream answered a JSON-RPC error; its code and (truncated) message are kept. */
  | 'protocol_error'
  /** The SSRF guard: the address is not public, or the upstream redirected to another origin. */
  | 'refused';

export interface UpstreamFailure {
  readonly kind: UpstreamFailureKind;
  readonly upstreamId: string;
  /** The sentence a person reads. */
  readonly message: string;
  /** Only for `protocol_error`: the upstream's JSON-RPC error. */
  readonly rpc?: { readonly code: number; readonly message: string };
}

export type UpstreamResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: UpstreamFailure };

/** 4 MiB: the most Gatehouse reads of one upstream answer before it stops reading. */
export const MAX_UPSTREAM_RESPONSE_BYTES = 4 * 1024 * 1024;
/** How much of an upstream's own error message is passed on. */
const RPC_MESSAGE_LIMIT = 200;

const SENTENCES: Record<Exclude<UpstreamFailureKind, 'protocol_error'>, (u: Upstream) => string> = {
  unreachable: (u) => `${u.name} could not be reached. Try again in a little while.`,
  timeout: (u) => `${u.name} did not answer within ${Math.round(u.timeoutMs / 1000)} seconds.`,
  not_mcp: (u) => `${u.name} answered with something that is not MCP; its address may be wrong.`,
  too_large: (u) => `${u.name} sent an answer larger than 4 MiB, so Gatehouse stopped reading it.`,
  unauthorized: (u) =>
    `${u.name} no longer accepts the credential Gatehouse holds for you; reconnect ${u.name} in your settings.`,
  refused: (u) => `Gatehouse will not contact ${u.name}: its address is not a public one.`,
};

export function upstreamFailure(
  upstream: Upstream,
  kind: Exclude<UpstreamFailureKind, 'protocol_error'>,
): UpstreamFailure {
  return Object.freeze({ kind, upstreamId: upstream.id, message: SENTENCES[kind](upstream) });
}

export function upstreamProtocolError(upstream: Upstream, code: number, message: string): UpstreamFailure {
  // Control characters are dropped so an upstream cannot forge lines in what a person or a log reads.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  const clean = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const truncated = clean.length > RPC_MESSAGE_LIMIT ? `${clean.slice(0, RPC_MESSAGE_LIMIT)}…` : clean;
  return Object.freeze({
    kind: 'protocol_error',
    upstreamId: upstream.id,
    message: `${upstream.name} reported an error: ${truncated || `code ${code}`}`,
    rpc: Object.freeze({ code, message: truncated }),
  });
}

/** Thrown inside the upstream fetch so the MCP client stops at once; caught and turned into a value. */
export class UpstreamFailureError extends Error {
  override readonly name = 'UpstreamFailureError';
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
  }
}
