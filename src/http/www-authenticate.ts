/**
 * Builds `WWW-Authenticate: Bearer …` challenges.
 *
 * Every value is sent as an RFC 9110 quoted-string: `"` and `\` are backslash-escaped, and control
 * characters (which a quoted-string cannot carry) are dropped, so no value can end the header early or
 * add a parameter of its own.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3 (the Bearer challenge and its error codes)
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1 (`resource_metadata`)
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.6.4 (quoted-string)
 */
export interface BearerChallenge {
  /** Absent when the request carried no credentials at all (RFC 6750 §3.1). */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  errorDescription?: string;
  /** Space-separated scopes the resource needs. */
  scope?: string;
  /** URL of the protected-resource metadata document (RFC 9728). */
  resourceMetadata?: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
const CONTROL = /[\u0000-\u001f\u007f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the same set, plus what must be escaped
const NEEDS_WORK = /[\u0000-\u001f\u007f"\\]/;

export function quoteHeaderValue(value: string): string {
  // Almost every value (URLs, scopes, our fixed sentences) is clean: one test instead of two replaces
  // on the 401 path.
  if (!NEEDS_WORK.test(value)) return `"${value}"`;
  return `"${value.replace(CONTROL, '').replace(/["\\]/g, '\\$&')}"`;
}

export function bearerChallenge(challenge: BearerChallenge): string {
  const params: string[] = [];
  if (challenge.error) params.push(`error=${quoteHeaderValue(challenge.error)}`);
  if (challenge.errorDescription) {
    params.push(`error_description=${quoteHeaderValue(challenge.errorDescription)}`);
  }
  if (challenge.resourceMetadata) {
    params.push(`resource_metadata=${quoteHeaderValue(challenge.resourceMetadata)}`);
  }
  if (challenge.scope) params.push(`scope=${quoteHeaderValue(challenge.scope)}`);
  return params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer';
}

/**
 * Reads the auth-params of the first `Bearer` challenge in a `WWW-Authenticate` header (from an
 * upstream we call as a client). Only what the gateway needs: `resource_metadata`, `scope`, `error`.
 * Token68 challenges and other schemes are ignored; a malformed header yields what parsed before it.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 */
export function parseBearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header) return undefined;
  const at = /(?:^|,)\s*Bearer(?:\s+|\s*$|\s*,)/i.exec(header);
  if (!at) return undefined;
  const params: Record<string, string> = {};
  const pattern =
    /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9!#$%&'*+.^_`|~/:-]+))\s*(?:,|$)/y;
  pattern.lastIndex = at.index + at[0].length;
  for (let m = pattern.exec(header); m; m = pattern.exec(header)) {
    const name = m[1]!.toLowerCase();
    // The next challenge's scheme ("…, Basic realm=x") ends this one.
    if (!Object.hasOwn(params, name))
      params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  }
  return params;
}
