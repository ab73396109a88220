import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * Shared pieces of the property-based adversarial tests: hostile value generators, a request builder
 * and the invariants every response must keep. Run counts live in RUNS and are reported in
 * docs/security.md ("Adversarial input").
 */

/** Cases per endpoint. Endpoints that hash a password (PBKDF2, ~100 000 iterations) get fewer. */
export const RUNS = { cheap: 100, hashing: 40 } as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f]/;

/** Strings an attacker would try: control characters, unicode, huge, path and markup tricks. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('\u0000', '\r', '\n', '\t', '\u007f', '\u2028', '\u202e', '\ufeff'),
    maxLength: 20,
  }),
  fc.constantFrom(
    '',
    ' ',
    '../../etc/passwd',
    '..%2f..%2fetc%2fpasswd',
    '%00',
    '%',
    '%zz',
    '//evil.example/x',
    '/\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    '{"__proto__":{"admin":true}}',
    '__proto__',
    'constructor',
    'null',
    'undefined',
    'NaN',
    '-1',
    '1e309',
    '\u0130\u0131\u017f', // case-folding specials
    'ａｄｍｉｎ@example.com', // fullwidth
    'user@exa\u0000mple.com',
    'A'.repeat(5000),
  ),
  fc.constantFrom(300, 9000, 70_000).map((n) => 'x'.repeat(n)),
);

/** Any JSON value, biased towards wrong types. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 4 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

/** A form: each field absent, once, or repeated, with hostile values; plus unknown fields. */
export function hostileForm(fields: readonly string[], fixed: Record<string, fc.Arbitrary<string>> = {}) {
  const entry = (name: string) =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as string[]) },
      { weight: 3, arbitrary: (fixed[name] ?? hostileString).map((v) => [v]) },
      { weight: 1, arbitrary: fc.array(fixed[name] ?? hostileString, { minLength: 2, maxLength: 3 }) },
    );
  return fc
    .tuple(
      fc.tuple(...fields.map((f) => entry(f).map((vs) => vs.map((v) => [f, v] as [string, string])))),
      fc.array(fc.tuple(hostileString, hostileString), { maxLength: 2 }),
    )
    .map(([known, extra]) => {
      const params = new URLSearchParams();
      for (const pairs of known) for (const [k, v] of pairs) params.append(k, v);
      for (const [k, v] of extra) params.append(k, v);
      return params;
    });
}

/** How the body travels: the right type, a wrong one, none, or a lying charset. */
export const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded; charset=utf-16',
      'APPLICATION/X-WWW-FORM-URLENCODED',
      '',
      'application/x-www-form-urlencoded, application/json',
    ),
  },
);

/** A raw body: an encoded form, malformed JSON, invalid UTF-8 or oversize. */
export function hostileBody(form: fc.Arbitrary<URLSearchParams>): fc.Arbitrary<BodyInit> {
  return fc.oneof(
    { weight: 8, arbitrary: form.map((p) => p.toString()) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<BodyInit>(
        '{"a":',
        '[]',
        'null',
        '\u0000\u0001',
        new Uint8Array([0xff, 0xfe, 0xc3, 0x28]),
        'a=%E0%A4%A',
        'x'.repeat(70_000),
        '&&&===&&',
      ),
    },
  );
}

export const ip = fc
  .tuple(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 1, max: 0xffff }),
  )
  .map(([a, b, c]) => `2001:db8:ad:${a.toString(16)}:${b.toString(16)}::${c.toString(16)}`);

let counter = 0;
/** A unique client IP per case, so rate limits don't turn every case into the same 429. */
export function caseIp(): string {
  counter += 1;
  return `2001:db8:adc:${(Date.now() % 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::${counter.toString(16)}`;
}

/** Values that must never reach a response body. */
export async function secretsToHide(extra: string[] = []): Promise<string[]> {
  const secrets = [...extra];
  if (env.SESSION_SECRET) secrets.push(env.SESSION_SECRET);
  if (env.REQUEST_STATE_SECRET) secrets.push(env.REQUEST_STATE_SECRET);
  if (env.SIGNING_KEYS) {
    const set = JSON.parse(env.SIGNING_KEYS) as { keys: { d?: string }[] };
    for (const k of set.keys) if (k.d) secrets.push(k.d);
  }
  const { results } = await env.DB.prepare(
    'SELECT password_hash AS h FROM users ORDER BY created_at DESC LIMIT 50',
  ).all<{ h: string }>();
  for (const r of results) secrets.push(r.h, r.h.split('$')[3] ?? r.h);
  return secrets.filter((s) => s.length >= 16);
}

export type Surface = 'page' | 'api' | 'oauth' | 'mcp';

/** RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 7009 §2.2.1, RFC 8707 §2 and RFC 6750 §3.1 error codes. */
export const OAUTH_ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'unsupported_response_type',
  'unsupported_token_type',
  'invalid_scope',
  'invalid_target',
  'access_denied',
  'invalid_redirect_uri',
  'invalid_client_metadata',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_scope',
]);

const STACK = /\bat [\w$.<>]+ \(?[^)]*\.(ts|tsx|js|mjs):\d+/;

/** The invariants every hostile request keeps; returns the body text for further checks. */
export async function expectSafeResponse(
  res: Response,
  surface: Surface,
  secrets: readonly string[],
): Promise<string> {
  expect(res.status, 'never a 5xx').toBeLessThan(500);
  const text = await res.text();
  expect(text).not.toMatch(STACK);
  expect(text).not.toMatch(/D1_ERROR|SQLITE_|ZodError|TypeError|ReferenceError/);
  for (const s of secrets) expect(text.includes(s), 'a secret leaked').toBe(false);
  if (res.status < 400) return text;
  const type = res.headers.get('content-type') ?? '';
  if (surface === 'page') {
    expect(type).toMatch(/^text\/html/);
    return text;
  }
  if (surface === 'oauth' && (res.status === 302 || text === '')) return text;
  expect(type).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  if (surface === 'mcp' && body.jsonrpc === '2.0') {
    // Transport-level JSON-RPC errors (parse error, invalid request) carry a numeric code.
    const error = body.error as Record<string, unknown>;
    expect(typeof error.code).toBe('number');
    expect(typeof error.message).toBe('string');
  } else if (surface === 'oauth') {
    expect(OAUTH_ERROR_CODES.has(String(body.error)), `RFC error code, got ${String(body.error)}`).toBe(true);
    expect(typeof body.error_description).toBe('string');
    expect(res.headers.get('cache-control')).toBe('no-store');
  } else {
    expect(body.ok).toBe(false);
    const error = body.error as Record<string, unknown>;
    expect(typeof error.code).toBe('string');
    expect(typeof error.message).toBe('string');
  }
  if (res.status === 429) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  return text;
}

/** Rows of `tables` (optionally filtered) as one comparable string. */
export async function rowsOf(queries: readonly string[]): Promise<string> {
  const out: unknown[] = [];
  for (const q of queries) out.push((await env.DB.prepare(q).all()).results);
  return JSON.stringify(out);
}

/** fast-check settings shared by every property. */
export function params(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, endOnFailure: true, interruptAfterTimeLimit: 40_000 };
}

export { CONTROL, fc };
