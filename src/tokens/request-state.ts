/**
 * `requestState` for MCP multi-round-trip requests (2026-07-28, SEP-2322): the opaque string a server
 * returns beside `inputRequests` and the client echoes on its retry. It passes through the client, so
 * it is attacker-controlled on the way back; the specification requires integrity protection for
 * state that steers business logic and recommends binding it to the principal, a short expiry and the
 * originating request. This module does all three:
 *
 *   "v1." base64url(JSON {p: payload, exp, b: digest(binding)}) "." base64url(HMAC-SHA256(key, …))
 *
 * The binding (principal + method + name + a digest of the arguments) is not carried in the clear,
 * only its SHA-256, so state minted for one person, tool or argument set is refused for another. The
 * state is signed, not encrypted: never put secrets in the payload. It is not single-use; a flow that
 * must happen at most once enforces that in its own storage.
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/patterns/mrtr#server-requirements-basic-workflow
 */

/** Why a state was refused; callers answer every code the same way, the code is for logs and tests. */
export type RequestStateErrorCode = 'malformed' | 'bad_signature' | 'expired' | 'wrong_binding';

export class RequestStateError extends Error {
  override readonly name = 'RequestStateError';
  constructor(readonly code: RequestStateErrorCode) {
    super(`requestState refused: ${code}`);
  }
}

/** What a state is valid for. Every field must match on the retry. */
export interface RequestBinding {
  /** Who: e.g. `oauth:<user>:<client>:<grant>` or `pat:<user>:<token id>`. */
  principal: string;
  /** The JSON-RPC method, e.g. `tools/call`. */
  method: string;
  /** The tool, prompt or resource the request names. */
  name: string;
  /** The request's salient parameters (tool arguments); hashed in canonical form. */
  params: unknown;
}

export interface RequestStateCodec {
  mint(payload: Record<string, unknown>, binding: RequestBinding, nowSeconds: number): Promise<string>;
  /** The payload, or a {@link RequestStateError}. */
  open(state: string, binding: RequestBinding, nowSeconds: number): Promise<Record<string, unknown>>;
}

const PREFIX = 'v1.';
/** A state travels in a JSON-RPC body; anything longer was not minted here. */
const MAX_STATE_LENGTH = 4096;
const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new RequestStateError('malformed');
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** JSON with object keys sorted at every depth, so equal arguments hash equally whatever their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

async function bindingDigest(binding: RequestBinding): Promise<string> {
  const text = [binding.principal, binding.method, binding.name, canonicalJson(binding.params)].join('\n');
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A codec under `key` (at least 32 bytes; the same on every instance that may see the retry), with
 * states valid for `ttlSeconds`. Time comes from the caller, so tests use the app clock.
 */
export function createRequestStateCodec(key: Uint8Array, ttlSeconds: number): RequestStateCodec {
  if (key.byteLength < 32) throw new TypeError('createRequestStateCodec: key must be at least 32 bytes');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new TypeError('createRequestStateCodec: bad ttl');
  const hmacKey = crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);

  return {
    async mint(payload, binding, nowSeconds) {
      const body = base64url(
        encoder.encode(
          JSON.stringify({ p: payload, exp: nowSeconds + ttlSeconds, b: await bindingDigest(binding) }),
        ),
      );
      const mac = await crypto.subtle.sign('HMAC', await hmacKey, encoder.encode(PREFIX + body));
      return `${PREFIX}${body}.${base64url(new Uint8Array(mac))}`;
    },

    async open(state, binding, nowSeconds) {
      if (state.length > MAX_STATE_LENGTH || !state.startsWith(PREFIX))
        throw new RequestStateError('malformed');
      const dot = state.lastIndexOf('.');
      if (dot <= PREFIX.length) throw new RequestStateError('malformed');
      const body = state.slice(PREFIX.length, dot);
      let mac: Uint8Array;
      try {
        mac = fromBase64url(state.slice(dot + 1));
      } catch {
        throw new RequestStateError('malformed');
      }
      // subtle.verify compares in constant time.
      if (!(await crypto.subtle.verify('HMAC', await hmacKey, mac, encoder.encode(PREFIX + body)))) {
        throw new RequestStateError('bad_signature');
      }
      let envelope: unknown;
      try {
        envelope = JSON.parse(
          new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(fromBase64url(body)),
        );
      } catch {
        throw new RequestStateError('malformed');
      }
      if (!isRecord(envelope) || typeof envelope.exp !== 'number' || !isRecord(envelope.p)) {
        throw new RequestStateError('malformed');
      }
      if (envelope.exp <= nowSeconds) throw new RequestStateError('expired');
      // Both digests are ours (the MAC already held); plain comparison leaks nothing a client could use.
      if (envelope.b !== (await bindingDigest(binding))) throw new RequestStateError('wrong_binding');
      return envelope.p;
    },
  };
}
