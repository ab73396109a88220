import { z } from 'zod';
import { ConfigError } from './config-error';
import type { Env } from './env';
import { parseUpstreams, type Upstream } from './gateway/upstreams';
import { parseVaultKeys, type VaultKeyMaterial } from './gateway/vault';
import { type IdentityConfig, parseIdentityConfig } from './identity/provider-config';

export { ConfigError };

export type Environment = 'development' | 'test' | 'production';

export interface Config {
  readonly environment: Environment;
  /** Origin the service is reached at, without a trailing slash; undefined only outside production. */
  readonly publicUrl: string | undefined;
  readonly serviceName: string;
  /** HMAC key for cookies and CSRF tokens (raw bytes). */
  readonly sessionSecret: Uint8Array;
  /** HMAC key for MCP `requestState` (multi-round-trip requests), kept apart from the session key. */
  readonly requestStateSecret: Uint8Array;
  /** The JWK set whose first key signs access tokens; every key verifies. */
  readonly signingKeys: readonly SigningJwk[];
  readonly mail: MailConfig;
  /** Extra origins allowed to call /mcp from a browser, besides the service's own. */
  readonly allowedOrigins: readonly string[];
  readonly accessTokenTtlSeconds: number;
  readonly refreshGraceSeconds: number;
  /** Test-only: lets client ID metadata documents be fetched over http from loopback. */
  readonly cimdAllowHttpLoopback: boolean;
  /** The upstream MCP servers behind /mcp (`GATEHOUSE_UPSTREAMS`); empty when there are none. */
  readonly upstreams: readonly Upstream[];
  /** Development and tests: upstreams over http on loopback (`UPSTREAM_ALLOW_HTTP_LOOPBACK`). */
  readonly upstreamAllowHttpLoopback: boolean;
  /** `VAULT_KEYS`: the keys upstream credentials are sealed with; empty only when no upstream needs one. */
  readonly vaultKeys: readonly VaultKeyMaterial[];
  /** `ADMIN_EMAILS`: accounts that may manage upstreams, once their email is verified (lower case). */
  readonly adminEmails: readonly string[];
  /** Sign-in providers (`AUTH_PROVIDERS`) and whether password sign-up is open. */
  readonly identity: IdentityConfig;
}

export interface MailConfig {
  readonly from: string;
  readonly apiUrl: string | undefined;
  readonly apiKey: string | undefined;
}

export interface SigningJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: 'ES256' | 'EdDSA';
  readonly crv: string;
  readonly x: string;
  readonly y?: string;
  readonly d: string;
}

const signingJwkSchema = z.object({
  kty: z.enum(['EC', 'OKP']),
  kid: z.string().min(1).max(128),
  alg: z.enum(['ES256', 'EdDSA']),
  crv: z.enum(['P-256', 'Ed25519']),
  x: z.string().min(1),
  y: z.string().min(1).optional(),
  d: z.string().min(1),
});

const jwkSetSchema = z.object({ keys: z.array(signingJwkSchema).min(1) });

function parseOrigin(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${field} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`${field} must be http(s)`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${field} must be a bare origin such as https://gatehouse.example.com`);
  }
  return url.origin;
}

function parseMailApiUrl(value: string | undefined, environment: Environment): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('MAIL_API_URL is not a URL');
  }
  if (url.protocol !== 'https:' && (environment === 'production' || url.protocol !== 'http:')) {
    throw new ConfigError('MAIL_API_URL must be https');
  }
  if (url.username || url.password) throw new ConfigError('MAIL_API_URL must not hold credentials');
  return url.href;
}

function parseIntVar(value: string | undefined, field: string, fallback: number, min: number, max: number) {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${field} must be a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${field} must be between ${min} and ${max}`);
  return n;
}

function decodeSecret(
  value: string | undefined,
  field: 'SESSION_SECRET' | 'REQUEST_STATE_SECRET',
): Uint8Array {
  if (!value) throw new ConfigError(`${field} is missing (npm run dev generates one into .dev.vars)`);
  const bytes = new TextEncoder().encode(value);
  if (bytes.byteLength < 32) throw new ConfigError(`${field} must be at least 32 characters`);
  return bytes;
}

function parseSigningKeys(value: string | undefined): SigningJwk[] {
  if (!value) throw new ConfigError('SIGNING_KEYS is missing (npm run dev generates one into .dev.vars)');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new ConfigError('SIGNING_KEYS is not valid JSON');
  }
  const parsed = jwkSetSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError('SIGNING_KEYS must be a JWK set of private ES256 or EdDSA keys');
  const kids = new Set(parsed.data.keys.map((k) => k.kid));
  if (kids.size !== parsed.data.keys.length) throw new ConfigError('SIGNING_KEYS has duplicate kid values');
  return parsed.data.keys;
}

function parseAdminEmails(value: string | undefined): string[] {
  const emails = (value ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((e) => e.toLowerCase());
  for (const email of emails) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
      throw new ConfigError('ADMIN_EMAILS must list email addresses');
  }
  return emails;
}

/** Parses the Worker's env into a frozen {@link Config}; throws {@link ConfigError} on anything wrong. */
export function parseConfig(env: Env): Config {
  const environment = env.ENVIRONMENT ?? 'development';
  if (environment !== 'development' && environment !== 'test' && environment !== 'production') {
    throw new ConfigError('ENVIRONMENT must be development, test or production');
  }
  const publicUrl = env.PUBLIC_URL ? parseOrigin(env.PUBLIC_URL, 'PUBLIC_URL') : undefined;
  if (environment === 'production') {
    if (!publicUrl) throw new ConfigError('PUBLIC_URL is required in production');
    if (!publicUrl.startsWith('https://')) throw new ConfigError('PUBLIC_URL must be https in production');
  }
  const allowedOrigins = (env.ALLOWED_ORIGINS ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((o) => parseOrigin(o, 'ALLOWED_ORIGINS'));
  if (environment === 'production' && (!env.MAIL_API_URL || !env.MAIL_API_KEY)) {
    throw new ConfigError('MAIL_API_URL and the MAIL_API_KEY secret are required in production');
  }
  const cimdAllowHttpLoopback = env.CIMD_ALLOW_HTTP_LOOPBACK === 'true';
  if (cimdAllowHttpLoopback && environment === 'production') {
    throw new ConfigError('CIMD_ALLOW_HTTP_LOOPBACK is a test setting and is refused in production');
  }
  const upstreamAllowHttpLoopback = env.UPSTREAM_ALLOW_HTTP_LOOPBACK === 'true';
  if (upstreamAllowHttpLoopback && environment === 'production') {
    throw new ConfigError(
      'UPSTREAM_ALLOW_HTTP_LOOPBACK is a development setting and is refused in production',
    );
  }
  const upstreams = parseUpstreams(env.GATEHOUSE_UPSTREAMS, {
    allowHttpLoopback: upstreamAllowHttpLoopback,
    secret: (name) => {
      const value = (env as unknown as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : undefined;
    },
  });
  const vaultKeys = env.VAULT_KEYS ? parseVaultKeys(env.VAULT_KEYS) : Object.freeze([]);
  const needsVault = upstreams.find((u) => u.auth.type === 'oauth' || u.auth.type === 'api_key_per_user');
  if (needsVault && vaultKeys.length === 0) {
    throw new ConfigError(
      `VAULT_KEYS is missing; upstream "${needsVault.id}" stores each person's credential in the vault`,
    );
  }
  return Object.freeze({
    environment,
    publicUrl,
    serviceName: env.SERVICE_NAME?.trim() || 'Gatehouse',
    sessionSecret: decodeSecret(env.SESSION_SECRET, 'SESSION_SECRET'),
    requestStateSecret: decodeSecret(env.REQUEST_STATE_SECRET, 'REQUEST_STATE_SECRET'),
    signingKeys: Object.freeze(parseSigningKeys(env.SIGNING_KEYS)),
    mail: Object.freeze({
      from: env.MAIL_FROM?.trim() || 'Gatehouse <no-reply@localhost>',
      apiUrl: parseMailApiUrl(env.MAIL_API_URL, environment),
      apiKey: env.MAIL_API_KEY || undefined,
    }),
    allowedOrigins: Object.freeze(allowedOrigins),
    accessTokenTtlSeconds: parseIntVar(
      env.ACCESS_TOKEN_TTL_SECONDS,
      'ACCESS_TOKEN_TTL_SECONDS',
      3600,
      60,
      86400,
    ),
    refreshGraceSeconds: parseIntVar(env.REFRESH_GRACE_SECONDS, 'REFRESH_GRACE_SECONDS', 60, 0, 600),
    cimdAllowHttpLoopback,
    upstreams,
    upstreamAllowHttpLoopback,
    vaultKeys,
    adminEmails: Object.freeze(parseAdminEmails(env.ADMIN_EMAILS)),
    identity: parseIdentityConfig(env, (name) => env[name as `AUTH_PROVIDER_${string}_SECRET`], environment),
  });
}

const cache = new WeakMap<Env, Config>();

/** {@link parseConfig}, once per env object. */
export function getConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env);
    cache.set(env, config);
  }
  return config;
}
