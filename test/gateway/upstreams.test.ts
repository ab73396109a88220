import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config';
import type { Env } from '../../src/env';
import {
  exposedName,
  parseUpstreams,
  routeName,
  type Upstream,
  upstreamSecretName,
} from '../../src/gateway/upstreams';

const secrets: Record<string, string> = {
  UPSTREAM_SHARED_API_KEY: 'operator-key',
  UPSTREAM_LINEAR_CLIENT_SECRET: 'client-secret',
};
const options = { allowHttpLoopback: false, secret: (name: string) => secrets[name] };
const parse = (entries: unknown, opts = options) => parseUpstreams(JSON.stringify(entries), opts);

const everything = {
  id: 'everything',
  name: 'Everything',
  url: 'https://mcp.example.com/mcp',
  prefix: 'ev',
  auth: { type: 'none' },
};

describe('parseUpstreams (GATEHOUSE_UPSTREAMS)', () => {
  it('reads an unset or empty var as no upstreams', () => {
    expect(parseUpstreams(undefined, options)).toEqual([]);
    expect(parseUpstreams('  ', options)).toEqual([]);
  });

  it('parses every auth type into a frozen catalog', () => {
    const catalog = parse([
      everything,
      {
        id: 'linear',
        name: 'Linear',
        url: 'https://mcp.linear.example/mcp',
        prefix: 'linear',
        timeout_ms: 10_000,
        auth: { type: 'oauth', client_id: 'gatehouse', scopes: ['read', 'write'] },
      },
      {
        id: 'keyed',
        name: 'Keyed',
        url: 'https://keyed.example.com/mcp',
        prefix: 'keyed',
        auth: { type: 'api_key_per_user', header: 'X-Api-Key' },
      },
      {
        id: 'shared',
        name: 'Shared',
        url: 'https://shared.example.com/mcp',
        prefix: 'shared',
        auth: { type: 'api_key_shared', scheme: 'Bearer' },
      },
    ]);
    expect(catalog.map((u) => [u.id, u.auth.type, u.timeoutMs])).toEqual([
      ['everything', 'none', 30_000],
      ['linear', 'oauth', 10_000],
      ['keyed', 'api_key_per_user', 30_000],
      ['shared', 'api_key_shared', 30_000],
    ]);
    expect(catalog[1]!.auth).toEqual({
      type: 'oauth',
      clientId: 'gatehouse',
      clientSecret: 'client-secret',
      scopes: ['read', 'write'],
      registration: 'auto',
    });
    expect(catalog[2]!.auth).toEqual({ type: 'api_key_per_user', header: 'X-Api-Key', scheme: undefined });
    expect(catalog[3]!.auth).toEqual({
      type: 'api_key_shared',
      header: 'Authorization',
      scheme: 'Bearer',
      key: 'operator-key',
    });
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(catalog[0])).toBe(true);
    expect(Object.isFrozen(catalog[0]!.auth)).toBe(true);
  });

  const refused: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{', /not valid JSON/],
    ['not an array', { ...everything }, /must be a JSON array/],
    ['an id with capitals', [{ ...everything, id: 'Every' }], /entry "Every": id must be lower-case/],
    ['a missing name', [{ ...everything, name: '' }], /entry "everything": name/],
    ['an unknown field', [{ ...everything, token: 'x' }], /entry "everything"/],
    ['an unknown auth type', [{ ...everything, auth: { type: 'basic' } }], /entry "everything": auth/],
    ['a prefix with a double separator', [{ ...everything, prefix: 'a__b' }], /prefix must be lower-case/],
    ['a prefix ending in a separator', [{ ...everything, prefix: 'ev_' }], /prefix/],
    ['an upper-case prefix', [{ ...everything, prefix: 'Ev' }], /prefix/],
    ['http to a public host', [{ ...everything, url: 'http://mcp.example.com/mcp' }], /url must be https/],
    ['a private address', [{ ...everything, url: 'https://10.0.0.8/mcp' }], /public host/],
    ['link-local metadata', [{ ...everything, url: 'https://169.254.169.254/latest' }], /public host/],
    ['an IPv6 loopback', [{ ...everything, url: 'https://[::1]/mcp' }], /public host/],
    ['a single-label name', [{ ...everything, url: 'https://intranet/mcp' }], /public host/],
    ['a .internal name', [{ ...everything, url: 'https://mcp.corp.internal/mcp' }], /public host/],
    ['loopback http without the flag', [{ ...everything, url: 'http://127.0.0.1:9/mcp' }], /https/],
    ['credentials in the URL', [{ ...everything, url: 'https://u:p@mcp.example.com/' }], /credentials/],
    ['a fragment', [{ ...everything, url: 'https://mcp.example.com/mcp#x' }], /fragment/],
    ['a timeout below a second', [{ ...everything, timeout_ms: 10 }], /timeout_ms/],
    [
      'a header Gatehouse sets itself',
      [{ ...everything, auth: { type: 'api_key_per_user', header: 'Mcp-Protocol-Version' } }],
      /auth.header is set by Gatehouse itself/,
    ],
    [
      'a shared key without its secret',
      [{ ...everything, id: 'nokey', auth: { type: 'api_key_shared' } }],
      /entry "nokey": the UPSTREAM_NOKEY_API_KEY secret is missing/,
    ],
    [
      'a client secret without a client id',
      [{ ...everything, id: 'linear', auth: { type: 'oauth' } }],
      /UPSTREAM_LINEAR_CLIENT_SECRET is set but auth.client_id is not/,
    ],
    [
      'the same id twice',
      [everything, { ...everything, prefix: 'ev2' }],
      /entry "everything": id is used twice/,
    ],
    ['the same prefix twice', [everything, { ...everything, id: 'other' }], /prefix "ev" is used twice/],
    [
      'two empty prefixes',
      [
        { ...everything, prefix: '' },
        { ...everything, id: 'other', prefix: '' },
      ],
      /entry "other": only one upstream may have an empty prefix/,
    ],
  ];
  for (const [what, value, message] of refused) {
    it(`refuses ${what} with a ConfigError naming the entry`, () => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      expect(() => parseUpstreams(text, options)).toThrow(ConfigError);
      expect(() => parseUpstreams(text, options)).toThrow(message);
    });
  }

  it('names an entry without a usable id by its position', () => {
    expect(() => parse([everything, { name: 'x' }])).toThrow(/entry #2/);
  });

  it('allows loopback http only with the development flag', () => {
    const local = [{ ...everything, url: 'http://127.0.0.1:4100/mcp' }];
    expect(parse(local, { ...options, allowHttpLoopback: true })[0]!.url).toBe('http://127.0.0.1:4100/mcp');
    expect(
      parse([{ ...everything, url: 'http://localhost:4100/mcp' }], { ...options, allowHttpLoopback: true }),
    ).toHaveLength(1);
    expect(() =>
      parse([{ ...everything, url: 'http://10.0.0.1/mcp' }], { ...options, allowHttpLoopback: true }),
    ).toThrow(/https/);
  });

  it('spells secret names from the id', () => {
    expect(upstreamSecretName('my-server', 'API_KEY')).toBe('UPSTREAM_MY_SERVER_API_KEY');
  });
});

describe('tool names: <prefix>__<tool>', () => {
  const catalog = parse([
    everything,
    { ...everything, id: 'gh', prefix: 'gh' },
    { ...everything, id: 'plain', prefix: '' },
  ]);
  const [ev, gh, plain] = catalog as [Upstream, Upstream, Upstream];

  it('prefixes names, and keeps them for the empty prefix', () => {
    expect(exposedName(ev, 'echo')).toBe('ev__echo');
    expect(exposedName(plain, 'echo')).toBe('echo');
  });

  it('routes by the first separator, and the rest to the empty-prefix upstream', () => {
    expect(routeName(catalog, 'ev__echo')).toEqual({ upstream: ev, name: 'echo' });
    expect(routeName(catalog, 'gh__a__b')).toEqual({ upstream: gh, name: 'a__b' });
    expect(routeName(catalog, 'echo')).toEqual({ upstream: plain, name: 'echo' });
    expect(routeName(catalog, 'zz__echo')).toEqual({ upstream: plain, name: 'zz__echo' });
  });

  it('routes nothing without an empty-prefix upstream', () => {
    expect(routeName([ev, gh], 'echo')).toBeUndefined();
    expect(routeName([ev, gh], '__echo')).toBeUndefined();
  });

  it('round-trips every exposed name to its upstream', () => {
    for (const u of catalog) {
      for (const name of ['echo', 'get-sum', 'a.b', 'with__sep']) {
        expect(routeName(catalog, exposedName(u, name))).toEqual({ upstream: u, name });
      }
    }
  });
});

describe('parseConfig: upstreams and the vault', () => {
  const base = env as Env;
  const withVars = (vars: Partial<Env>) =>
    ({ ...base, ENVIRONMENT: 'development', PUBLIC_URL: '', ...vars }) as Env;

  it('reads no upstreams by default, and the generated vault key', () => {
    const config = parseConfig(withVars({}));
    expect(config.upstreams).toEqual([]);
    expect(config.vaultKeys).toHaveLength(1);
  });

  it('requires VAULT_KEYS when an upstream keeps per-person credentials', () => {
    const upstreams = JSON.stringify([{ ...everything, auth: { type: 'api_key_per_user' } }]);
    expect(() => parseConfig(withVars({ GATEHOUSE_UPSTREAMS: upstreams, VAULT_KEYS: '' }))).toThrow(
      /VAULT_KEYS is missing; upstream "everything"/,
    );
    expect(
      parseConfig(withVars({ GATEHOUSE_UPSTREAMS: JSON.stringify([everything]), VAULT_KEYS: '' })).upstreams,
    ).toHaveLength(1);
  });

  it('refuses UPSTREAM_ALLOW_HTTP_LOOPBACK in production', () => {
    expect(() =>
      parseConfig(
        withVars({
          ENVIRONMENT: 'production',
          PUBLIC_URL: 'https://gh.example.com',
          MAIL_API_URL: 'https://mail.example.com/emails',
          MAIL_API_KEY: 'k',
          UPSTREAM_ALLOW_HTTP_LOOPBACK: 'true',
        }),
      ),
    ).toThrow(/UPSTREAM_ALLOW_HTTP_LOOPBACK/);
  });

  it('reads the shared key from its secret binding', () => {
    const config = parseConfig(
      withVars({
        GATEHOUSE_UPSTREAMS: JSON.stringify([
          { ...everything, id: 'shared', auth: { type: 'api_key_shared' } },
        ]),
        UPSTREAM_SHARED_API_KEY: 'from-secret',
      } as Partial<Env>),
    );
    expect(config.upstreams[0]!.auth).toMatchObject({ type: 'api_key_shared', key: 'from-secret' });
  });
});
