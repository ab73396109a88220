import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config';
import type { Env } from '../../src/env';
import { parseIdentityConfig, secretNameFor } from '../../src/identity/provider-config';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

function parse(providers: unknown, secrets: Record<string, string> = {}, extra: Record<string, string> = {}) {
  return parseIdentityConfig(
    { AUTH_PROVIDERS: typeof providers === 'string' ? providers : JSON.stringify(providers), ...extra },
    (name) => secrets[name],
    extra.ENVIRONMENT === 'production' ? 'production' : 'development',
  );
}

describe('AUTH_PROVIDERS', () => {
  it('is empty without the variable: the pages stay as they are', () => {
    const config = parseIdentityConfig({}, () => undefined, 'development');
    expect(config.providers).toEqual([]);
    expect(config.passwordSignup).toBe(true);
    expect(config.allowHttpLoopback).toBe(false);
  });

  it('parses each provider type, with the presets’ issuers and each secret from its own variable', () => {
    const config = parse(
      [
        { id: 'okta', type: 'oidc', name: 'Okta', client_id: 'c1', issuer: 'https://acme.okta.com' },
        {
          id: 'google',
          type: 'google',
          name: 'Google',
          client_id: 'c2',
          allowed_email_domains: ['Acme.com'],
        },
        { id: 'entra', type: 'entra', name: 'Microsoft', client_id: 'c3', tenant: 'common' },
        { id: 'entra-acme', type: 'entra', name: 'Acme', client_id: 'c4', tenant: TENANT },
        { id: 'github', type: 'github', name: 'GitHub', client_id: 'c5' },
      ],
      {
        AUTH_PROVIDER_OKTA_SECRET: 's1',
        AUTH_PROVIDER_GOOGLE_SECRET: 's2',
        AUTH_PROVIDER_ENTRA_SECRET: 's3',
        AUTH_PROVIDER_ENTRA_ACME_SECRET: 's4',
        AUTH_PROVIDER_GITHUB_SECRET: 's5',
      },
    );
    expect(config.providers.map((p) => [p.id, p.type, p.clientSecret])).toEqual([
      ['okta', 'oidc', 's1'],
      ['google', 'google', 's2'],
      ['entra', 'entra', 's3'],
      ['entra-acme', 'entra', 's4'],
      ['github', 'github', 's5'],
    ]);
    const [okta, google, entra, acme] = config.providers;
    expect(okta).toMatchObject({ issuer: 'https://acme.okta.com' });
    expect(google).toMatchObject({
      issuer: 'https://accounts.google.com',
      allowedEmailDomains: ['acme.com'],
    });
    expect(entra).toMatchObject({
      issuer: 'https://login.microsoftonline.com/common/v2.0',
      tenant: 'common',
    });
    expect(acme).toMatchObject({
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      tenant: TENANT,
    });
    expect(Object.isFrozen(config.providers)).toBe(true);
    expect(Object.isFrozen(config.providers[0])).toBe(true);
  });

  it('names the secret after the id, upper-cased with - as _', () => {
    expect(secretNameFor('entra-acme')).toBe('AUTH_PROVIDER_ENTRA_ACME_SECRET');
  });

  const oidc = { id: 'corp', type: 'oidc', name: 'Corp', client_id: 'c', issuer: 'https://id.corp.example' };
  const secrets = { AUTH_PROVIDER_CORP_SECRET: 's' };
  const broken: Array<[string, unknown, RegExp, Record<string, string>?]> = [
    ['not JSON', '[{', /AUTH_PROVIDERS is not valid JSON/],
    ['not an array', { id: 'x' }, /must be a JSON array/],
    ['an unknown type', [{ ...oidc, type: 'saml' }], /AUTH_PROVIDERS\[0\] \(corp\): invalid type/],
    ['no client_id', [{ ...oidc, client_id: undefined }], /\(corp\): invalid client_id/],
    ['an unknown field', [{ ...oidc, secret: 'inline' }], /\(corp\): invalid entry/],
    ['a bad id', [{ ...oidc, id: 'Corp!' }], /AUTH_PROVIDERS\[0\] \(Corp!\): invalid id/],
    ['a missing secret', [oidc], /\(corp\): the secret AUTH_PROVIDER_CORP_SECRET is missing/, {}],
    ['oidc without issuer', [{ ...oidc, issuer: undefined }], /issuer is required for type oidc/],
    ['an http issuer', [{ ...oidc, issuer: 'http://id.corp.example' }], /issuer must be https/],
    [
      'an issuer with a query',
      [{ ...oidc, issuer: 'https://id.corp.example/?a=b' }],
      /must not have a query/,
    ],
    ['an issuer on google', [{ ...oidc, type: 'google' }], /issuer is only for type oidc/],
    ['a tenant on oidc', [{ ...oidc, tenant: 'common' }], /tenant is only for type entra/],
    ['entra without tenant', [{ ...oidc, type: 'entra', issuer: undefined }], /tenant is required/],
    ['a bad tenant', [{ ...oidc, type: 'entra', issuer: undefined, tenant: '../x' }], /tenant must be/],
    ['a bad email domain', [{ ...oidc, allowed_email_domains: ['not a domain'] }], /allowed_email_domains/],
    ['duplicate ids', [oidc, oidc], /duplicate ids/],
  ];
  for (const [what, providers, message, s] of broken) {
    it(`refuses ${what} with a ConfigError naming the entry`, () => {
      expect(() => parse(providers, s ?? secrets)).toThrow(ConfigError);
      expect(() => parse(providers, s ?? secrets)).toThrow(message);
    });
  }

  it('allows an http issuer on loopback only with AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK=true', () => {
    const local = [{ ...oidc, issuer: 'http://127.0.0.1:9000' }];
    expect(() => parse(local, secrets)).toThrow(/AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK/);
    expect(parse(local, secrets, { AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK: 'true' }).providers[0]).toMatchObject({
      issuer: 'http://127.0.0.1:9000',
    });
    const remote = [{ ...oidc, issuer: 'http://id.corp.example' }];
    expect(() => parse(remote, secrets, { AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK: 'true' })).toThrow(
      /must be https/,
    );
  });

  it('refuses AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK in production', () => {
    expect(() =>
      parseIdentityConfig({ AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK: 'true' }, () => undefined, 'production'),
    ).toThrow(/refused in production/);
  });

  it('turns password sign-up off only with PASSWORD_SIGNUP=false, and refuses other values', () => {
    expect(
      parseIdentityConfig({ PASSWORD_SIGNUP: 'false' }, () => undefined, 'development').passwordSignup,
    ).toBe(false);
    expect(() => parseIdentityConfig({ PASSWORD_SIGNUP: 'no' }, () => undefined, 'development')).toThrow(
      /PASSWORD_SIGNUP/,
    );
  });

  it('is part of the start-up config: a bad entry is a ConfigError from parseConfig', () => {
    const base = { ...env, ENVIRONMENT: 'development', PUBLIC_URL: '' } as Env;
    expect(() => parseConfig({ ...base, AUTH_PROVIDERS: JSON.stringify([oidc]) } as Env)).toThrow(
      /AUTH_PROVIDER_CORP_SECRET/,
    );
    const ok = parseConfig({
      ...base,
      AUTH_PROVIDERS: JSON.stringify([oidc]),
      AUTH_PROVIDER_CORP_SECRET: 's',
    } as Env);
    expect(ok.identity.providers[0]?.id).toBe('corp');
  });
});
