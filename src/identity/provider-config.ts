import { z } from 'zod';
import { ConfigError, type Environment } from '../config';

/**
 * The sign-in providers an operator declares in `AUTH_PROVIDERS`, each with its secret in
 * `AUTH_PROVIDER_<ID>_SECRET`. `google` and `entra` are OpenID Connect presets (the issuer is known);
 * `oidc` names its issuer; `github` is plain OAuth 2.0 plus GitHub's user API.
 */
type AuthProviderType = 'oidc' | 'google' | 'entra' | 'github';

interface ProviderBase {
  /** Lower-case id from the operator; appears in `/auth/<id>/…` and in the secret's name. */
  readonly id: string;
  readonly type: AuthProviderType;
  /** Shown on the button: "Continue with <name>", and in the security log. */
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** When not empty, only verified emails in these domains may sign in with this provider. */
  readonly allowedEmailDomains: readonly string[];
}

export interface OidcProvider extends ProviderBase {
  readonly type: 'oidc' | 'google' | 'entra';
  /** The issuer identifier whose discovery document is fetched. */
  readonly issuer: string;
  /** Entra only: `common`, `organizations`, `consumers`, a tenant id or a tenant domain. */
  readonly tenant: string | undefined;
}

export interface GithubProvider extends ProviderBase {
  readonly type: 'github';
}

export type AuthProvider = OidcProvider | GithubProvider;

export interface IdentityConfig {
  readonly providers: readonly AuthProvider[];
  /** Development and tests only: issuers over plain http on loopback. */
  readonly allowHttpLoopback: boolean;
  /** False turns off `/signup` with a password; provider sign-up stays open. */
  readonly passwordSignup: boolean;
}

const GOOGLE_ISSUER = 'https://accounts.google.com';
export const ENTRA_ORIGIN = 'https://login.microsoftonline.com';
/** Entra's multi-tenant endpoints; their metadata names the issuer `…/{tenantid}/v2.0`. */
const ENTRA_MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT_DOMAIN = /^(?=.{4,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/;
const EMAIL_DOMAIN = /^(?=.{3,253}$)([a-z0-9-]{1,63}\.)+[a-z0-9-]{2,63}$/;

export function isEntraTenantId(value: string): boolean {
  return GUID.test(value);
}

const entrySchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
    type: z.enum(['oidc', 'google', 'entra', 'github']),
    name: z.string().trim().min(1).max(40),
    client_id: z.string().min(1).max(512),
    issuer: z.string().min(1).max(512).optional(),
    tenant: z.string().min(1).max(253).optional(),
    allowed_email_domains: z.array(z.string().min(1).max(253)).max(50).optional(),
  })
  .strict();

/** `AUTH_PROVIDER_<ID>_SECRET`, with the id upper-cased and `-` as `_`. */
export function secretNameFor(id: string): string {
  return `AUTH_PROVIDER_${id.toUpperCase().replace(/-/g, '_')}_SECRET`;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function parseIssuer(value: string, label: string, allowHttpLoopback: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${label}: issuer is not a URL`);
  }
  const httpLoopback = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(httpLoopback && allowHttpLoopback)) {
    throw new ConfigError(
      `${label}: issuer must be https (plain http on loopback needs AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK=true)`,
    );
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${label}: issuer must not have a query, fragment or credentials`);
  }
  // OpenID Connect Discovery §4.1: the issuer is used exactly as given (a trailing slash matters).
  return value;
}

function parseEntry(
  raw: unknown,
  index: number,
  secrets: (name: string) => string | undefined,
  allowHttpLoopback: boolean,
): AuthProvider {
  const hasId = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string';
  const label = `AUTH_PROVIDERS[${index}]${hasId ? ` (${String((raw as { id: string }).id).slice(0, 32)})` : ''}`;
  const parsed = entrySchema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'entry'))].join(', ');
    throw new ConfigError(`${label}: invalid ${fields}`);
  }
  const e = parsed.data;
  const secretName = secretNameFor(e.id);
  const clientSecret = secrets(secretName);
  if (!clientSecret) throw new ConfigError(`${label}: the secret ${secretName} is missing`);
  const allowedEmailDomains = (e.allowed_email_domains ?? []).map((d) => {
    const domain = d.trim().toLowerCase();
    if (!EMAIL_DOMAIN.test(domain)) throw new ConfigError(`${label}: allowed_email_domains has "${d}"`);
    return domain;
  });
  const base = { id: e.id, name: e.name, clientId: e.client_id, clientSecret, allowedEmailDomains };
  if (e.type !== 'oidc' && e.issuer !== undefined) {
    throw new ConfigError(`${label}: issuer is only for type oidc`);
  }
  if (e.type !== 'entra' && e.tenant !== undefined) {
    throw new ConfigError(`${label}: tenant is only for type entra`);
  }
  switch (e.type) {
    case 'github':
      return Object.freeze({ ...base, type: 'github' });
    case 'google':
      return Object.freeze({ ...base, type: 'google', issuer: GOOGLE_ISSUER, tenant: undefined });
    case 'entra': {
      const tenant = e.tenant?.trim().toLowerCase();
      if (!tenant) throw new ConfigError(`${label}: tenant is required for type entra (or "common")`);
      if (!ENTRA_MULTI_TENANT.has(tenant) && !GUID.test(tenant) && !TENANT_DOMAIN.test(tenant)) {
        throw new ConfigError(
          `${label}: tenant must be common, organizations, consumers, a tenant id or domain`,
        );
      }
      return Object.freeze({
        ...base,
        type: 'entra',
        issuer: `${ENTRA_ORIGIN}/${tenant}/v2.0`,
        tenant,
      });
    }
    case 'oidc': {
      if (!e.issuer) throw new ConfigError(`${label}: issuer is required for type oidc`);
      return Object.freeze({
        ...base,
        type: 'oidc',
        issuer: parseIssuer(e.issuer, label, allowHttpLoopback),
        tenant: undefined,
      });
    }
  }
}

interface IdentityEnv {
  AUTH_PROVIDERS?: string | undefined;
  AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK?: string | undefined;
  PASSWORD_SIGNUP?: string | undefined;
}

/**
 * Parses `AUTH_PROVIDERS` and friends; throws a {@link ConfigError} naming the bad entry. It checks
 * shapes and secrets only: whether an issuer answers is learnt at the first sign-in, not at start.
 */
export function parseIdentityConfig(
  env: IdentityEnv,
  secrets: (name: string) => string | undefined,
  environment: Environment,
): IdentityConfig {
  const allowHttpLoopback = env.AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK === 'true';
  if (allowHttpLoopback && environment === 'production') {
    throw new ConfigError('AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK is a test setting and is refused in production');
  }
  const signup = env.PASSWORD_SIGNUP ?? '';
  if (signup !== '' && signup !== 'true' && signup !== 'false') {
    throw new ConfigError('PASSWORD_SIGNUP must be true or false');
  }
  let providers: AuthProvider[] = [];
  const raw = env.AUTH_PROVIDERS?.trim();
  if (raw) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ConfigError('AUTH_PROVIDERS is not valid JSON');
    }
    if (!Array.isArray(json)) throw new ConfigError('AUTH_PROVIDERS must be a JSON array');
    if (json.length > 20) throw new ConfigError('AUTH_PROVIDERS may list at most 20 providers');
    providers = json.map((entry, i) => parseEntry(entry, i, secrets, allowHttpLoopback));
    const ids = new Set(providers.map((p) => p.id));
    if (ids.size !== providers.length) throw new ConfigError('AUTH_PROVIDERS has duplicate ids');
  }
  return Object.freeze({
    providers: Object.freeze(providers),
    allowHttpLoopback,
    passwordSignup: signup !== 'false',
  });
}
