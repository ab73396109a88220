import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, getConfig, parseConfig } from '../src/config';
import type { Env } from '../src/env';
import worker from '../src/index';

const base = env as Env;
const valid: Partial<Env> = {
  ENVIRONMENT: 'development',
  PUBLIC_URL: '',
  SESSION_SECRET: base.SESSION_SECRET,
  REQUEST_STATE_SECRET: base.REQUEST_STATE_SECRET,
  SIGNING_KEYS: base.SIGNING_KEYS,
};
const production: Partial<Env> = {
  ...valid,
  ENVIRONMENT: 'production',
  PUBLIC_URL: 'https://gh.example.com',
  MAIL_API_URL: 'https://mail.example.com/emails',
  MAIL_API_KEY: 'k',
};

const withVars = (vars: Partial<Env>): Env => ({ ...base, ...valid, ...vars }) as Env;
const signingKey = () => (JSON.parse(base.SIGNING_KEYS!) as { keys: Record<string, string>[] }).keys[0]!;

describe('parseConfig', () => {
  it('parses the development settings into a frozen config', () => {
    const config = parseConfig(withVars({}));
    expect(config.environment).toBe('development');
    expect(config.publicUrl).toBeUndefined();
    expect(config.serviceName).toBe('Gatehouse');
    expect(config.signingKeys.length).toBeGreaterThan(0);
    expect(config.accessTokenTtlSeconds).toBe(3600);
    expect(config.refreshGraceSeconds).toBe(60);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.mail)).toBe(true);
  });

  it('normalises PUBLIC_URL to a bare origin', () => {
    expect(parseConfig(withVars({ PUBLIC_URL: 'https://GH.example.com/' })).publicUrl).toBe(
      'https://gh.example.com',
    );
  });

  it('parses a production configuration', () => {
    const config = parseConfig(withVars(production));
    expect(config.environment).toBe('production');
    expect(config.publicUrl).toBe('https://gh.example.com');
    expect(config.mail.apiUrl).toBe('https://mail.example.com/emails');
  });

  it('parses ALLOWED_ORIGINS separated by commas or spaces', () => {
    const config = parseConfig(
      withVars({ ALLOWED_ORIGINS: 'https://a.example, https://b.example  http://c.test' }),
    );
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example', 'http://c.test']);
  });

  const broken: Array<[string, Partial<Env>]> = [
    ['missing SESSION_SECRET', { SESSION_SECRET: undefined }],
    ['empty SESSION_SECRET', { SESSION_SECRET: '' }],
    ['short SESSION_SECRET', { SESSION_SECRET: 'x'.repeat(31) }],
    ['missing REQUEST_STATE_SECRET', { REQUEST_STATE_SECRET: undefined }],
    ['short REQUEST_STATE_SECRET', { REQUEST_STATE_SECRET: 'x'.repeat(31) }],
    ['missing SIGNING_KEYS', { SIGNING_KEYS: undefined }],
    ['SIGNING_KEYS not JSON', { SIGNING_KEYS: '{keys: [' }],
    ['SIGNING_KEYS not a JWK set', { SIGNING_KEYS: '[]' }],
    ['SIGNING_KEYS with no keys', { SIGNING_KEYS: '{"keys":[]}' }],
    [
      'SIGNING_KEYS with a public key only',
      { SIGNING_KEYS: JSON.stringify({ keys: [{ ...signingKey(), d: undefined }] }) },
    ],
    [
      'SIGNING_KEYS with an HMAC key',
      { SIGNING_KEYS: JSON.stringify({ keys: [{ kty: 'oct', k: 'abc', kid: 'a', alg: 'HS256' }] }) },
    ],
    [
      'SIGNING_KEYS with duplicate kids',
      { SIGNING_KEYS: JSON.stringify({ keys: [signingKey(), signingKey()] }) },
    ],
    ['unknown ENVIRONMENT', { ENVIRONMENT: 'staging' }],
    ['empty ENVIRONMENT', { ENVIRONMENT: '' }],
    ['production without PUBLIC_URL', { ...production, PUBLIC_URL: undefined }],
    ['production with an empty PUBLIC_URL', { ...production, PUBLIC_URL: '' }],
    ['production over http', { ...production, PUBLIC_URL: 'http://gh.example.com' }],
    ['production without MAIL_API_URL', { ...production, MAIL_API_URL: undefined }],
    ['production without MAIL_API_KEY', { ...production, MAIL_API_KEY: undefined }],
    ['production with an http MAIL_API_URL', { ...production, MAIL_API_URL: 'http://mail.example.com/' }],
    ['production allowing http loopback metadata', { ...production, CIMD_ALLOW_HTTP_LOOPBACK: 'true' }],
    ['PUBLIC_URL with a path', { PUBLIC_URL: 'https://gh.example.com/gatehouse' }],
    ['PUBLIC_URL with a query', { PUBLIC_URL: 'https://gh.example.com/?x=1' }],
    ['PUBLIC_URL with a fragment', { PUBLIC_URL: 'https://gh.example.com/#x' }],
    ['PUBLIC_URL with credentials', { PUBLIC_URL: 'https://user:pw@gh.example.com' }],
    ['PUBLIC_URL not a URL', { PUBLIC_URL: 'gh.example.com' }],
    ['PUBLIC_URL not http(s)', { PUBLIC_URL: 'ftp://gh.example.com' }],
    ['MAIL_API_URL not a URL', { MAIL_API_URL: 'not a url' }],
    ['MAIL_API_URL not http(s)', { MAIL_API_URL: 'file:///etc/passwd' }],
    ['MAIL_API_URL with credentials', { MAIL_API_URL: 'https://u:p@mail.example.com/' }],
    ['ALLOWED_ORIGINS with a path', { ALLOWED_ORIGINS: 'https://a.example/x' }],
    ['ACCESS_TOKEN_TTL_SECONDS not a number', { ACCESS_TOKEN_TTL_SECONDS: '1h' }],
    ['ACCESS_TOKEN_TTL_SECONDS too small', { ACCESS_TOKEN_TTL_SECONDS: '59' }],
    ['ACCESS_TOKEN_TTL_SECONDS too large', { ACCESS_TOKEN_TTL_SECONDS: '86401' }],
    ['REFRESH_GRACE_SECONDS negative', { REFRESH_GRACE_SECONDS: '-1' }],
    ['REFRESH_GRACE_SECONDS too large', { REFRESH_GRACE_SECONDS: '601' }],
  ];
  for (const [name, vars] of broken) {
    it(`throws ConfigError for ${name}`, () => {
      expect(() => parseConfig(withVars(vars))).toThrow(ConfigError);
    });
  }
});

describe('getConfig', () => {
  it('parses each env object once', () => {
    const e = withVars({});
    expect(getConfig(e)).toBe(getConfig(e));
  });
});

describe('the Worker entry point', () => {
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;

  it('answers 500 without internals when misconfigured, and logs why', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const vars of [
      { SESSION_SECRET: undefined },
      { SIGNING_KEYS: 'not json' },
      { ...production, PUBLIC_URL: undefined },
      { MAIL_API_URL: 'not a url' },
    ]) {
      const res = await worker.fetch(new Request('http://localhost/login'), withVars(vars), ctx);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toMatch(
        /SESSION_SECRET|REQUEST_STATE_SECRET|SIGNING_KEYS|PUBLIC_URL|MAIL_API|ConfigError|at /,
      );
    }
    const logged = spy.mock.calls.map((c) => JSON.parse(String(c[0])) as { event: string });
    expect(logged.filter((l) => l.event === 'config.invalid')).toHaveLength(4);
  });

  it('serves requests when configured', async () => {
    const res = await worker.fetch(new Request('http://localhost/login'), withVars({}), ctx);
    expect(res.status).toBe(200);
  });
});
