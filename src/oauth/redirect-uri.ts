/**
 * Redirect URI policy for registration and authorization.
 *
 * Accepted: `https:`; `http:` only on a loopback host (`localhost`, `127.0.0.1`, `[::1]`, RFC 8252
 * §7.3); private-use schemes such as `cursor://` and `vscode://` (RFC 8252 §7.1), which Cursor and
 * VS Code register in the same request as their https URIs. Refused: script-capable and local schemes
 * (`javascript:`, `data:`, `vbscript:`, `file:`, `blob:` …), fragments (RFC 6749 §3.1.2), userinfo,
 * and any whitespace or control character anywhere — checked on the raw string, before the URL
 * parser strips or lower-cases anything, so case and whitespace tricks cannot slip through.
 *
 * It does not resolve hostnames; whether an https host is reachable is the client's concern.
 */

export const MAX_REDIRECT_URI_LENGTH = 2000;

/** Schemes that run code or read local data when navigated to; never a valid redirect target. */
const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'vbscript:',
  'data:',
  'file:',
  'blob:',
  'filesystem:',
  'about:',
  'view-source:',
  'mailto:',
  'tel:',
  'ftp:',
  'ws:',
  'wss:',
  'chrome:',
  'chrome-extension:',
  'moz-extension:',
  'resource:',
  'jar:',
]);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `scheme:` written as RFC 3986 §3.1 allows, checked on the raw text. */
const SCHEME_SYNTAX = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u0020\u007f-\u00a0\u2028\u2029\\<>"`]/;

export type RedirectUriProblem = 'malformed' | 'forbidden_scheme' | 'fragment' | 'insecure_http' | 'userinfo';

export class RedirectUriError extends Error {
  override readonly name = 'RedirectUriError';
  constructor(readonly problem: RedirectUriProblem) {
    super(`redirect URI rejected: ${problem}`);
  }
}

/** Checks one redirect URI for registration; returns it unchanged (it is matched as written). */
export function parseRedirectUri(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_REDIRECT_URI_LENGTH) {
    throw new RedirectUriError('malformed');
  }
  if (UNSAFE_CHARACTERS.test(value) || !SCHEME_SYNTAX.test(value)) throw new RedirectUriError('malformed');
  if (value.includes('#')) throw new RedirectUriError('fragment');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RedirectUriError('malformed');
  }
  const scheme = url.protocol;
  if (FORBIDDEN_SCHEMES.has(scheme)) throw new RedirectUriError('forbidden_scheme');
  if (url.username || url.password) throw new RedirectUriError('userinfo');
  if (scheme === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname)) throw new RedirectUriError('insecure_http');
  } else if (scheme === 'https:') {
    if (!url.hostname) throw new RedirectUriError('malformed');
  } else if (!url.host && !url.pathname.replace(/^\/+/, '')) {
    // A private-use URI still has to name something after the scheme (`cursor://host/path`).
    throw new RedirectUriError('malformed');
  }
  return value;
}

export function isValidRedirectUri(value: unknown): value is string {
  try {
    parseRedirectUri(value);
    return true;
  } catch {
    return false;
  }
}

const LOOPBACK_URI = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(\/[^#]*)?$/;

/** A loopback http URI split into host and the rest, with the port set aside. */
function splitLoopback(uri: string): { host: string; rest: string } | undefined {
  const m = LOOPBACK_URI.exec(uri);
  if (!m) return undefined;
  if (m[2] !== undefined && Number(m[2]) > 65535) return undefined;
  return { host: m[1]!, rest: m[3] ?? '/' };
}

/**
 * Whether `requested` is one of `registered`: exact string equality, except that a loopback http URI
 * may carry any port (RFC 8252 §7.3) — Claude Code registers `http://localhost/callback` and listens on
 * an ephemeral port; VS Code falls back to a random port when 33418 is busy. Host, path and query
 * must still match exactly, and `localhost` does not stand in for `127.0.0.1`.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (!isValidRedirectUri(requested)) return false;
  if (registered.includes(requested)) return true;
  const asked = splitLoopback(requested);
  if (!asked) return false;
  return registered.some((candidate) => {
    const known = splitLoopback(candidate);
    return known !== undefined && known.host === asked.host && known.rest === asked.rest;
  });
}

/** The host the person is sent back to, for the consent page (CIMD requires it to be shown). */
/**
 * Where a redirect URI sends the code, as a person must be told to judge it (RFC 8252 §8.6): for
 * https the host; for a private-use scheme the scheme itself, since any app on the device may claim
 * it and the "host" part after it is the client's own text (`x-evil://claude.ai/…` is not claude.ai);
 * for loopback, a program on this computer.
 */
export type RedirectDestination =
  | { kind: 'web'; host: string }
  | { kind: 'app'; scheme: string }
  | { kind: 'loopback'; host: string };

export function redirectDestination(uri: string): RedirectDestination {
  const url = new URL(uri);
  if (isLoopbackRedirectUri(uri)) return { kind: 'loopback', host: url.host };
  if (url.protocol === 'https:') return { kind: 'web', host: url.host };
  return { kind: 'app', scheme: url.protocol };
}

export function isLoopbackRedirectUri(uri: string): boolean {
  return splitLoopback(uri) !== undefined;
}
