import { z } from 'zod';
import { ConfigError } from '../config-error';
import { isLoopbackHost, isPublicHost } from '../http/public-host';

/**
 * The upstream catalog: remote MCP servers (streamable HTTP) the operator puts behind `/mcp`, declared
 * in the `GATEHOUSE_UPSTREAMS` var as a JSON array. Everything here is checked when the Worker starts;
 * a bad entry is a {@link ConfigError} that names the entry, never a request-time failure.
 *
 * Tool names are `<prefix>__<tool>`. A prefix is lower-case words joined by single `-` or `_`, so the
 * first `__` of an exposed name always ends the prefix and routing is a split, never a guess. One
 * upstream may have an empty prefix (its names are kept as they are: how Gatehouse fronts a single
 * server transparently); two empty prefixes could collide on every name and are refused.
 */

export const TOOL_SEPARATOR = '__';
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

export type UpstreamAuth =
  | { readonly type: 'none' }
  | {
      readonly type: 'oauth';
      /** Operator-supplied client; when absent Gatehouse uses its client ID metadata document, then DCR. */
      readonly clientId: string | undefined;
      readonly clientSecret: string | undefined;
      /** Scopes to ask for; when absent, those the upstream's metadata names. */
      readonly scopes: readonly string[] | undefined;
      /**
       * `auto`: our client ID metadata document where the upstream accepts them, else dynamic
       * registration; `dynamic`: always register (an upstream that cannot reach our document).
       */
      readonly registration: 'auto' | 'dynamic';
    }
  | { readonly type: 'api_key_per_user'; readonly header: string; readonly scheme: string | undefined }
  | {
      readonly type: 'api_key_shared';
      readonly header: string;
      readonly scheme: string | undefined;
      /** From the `UPSTREAM_<ID>_API_KEY` secret, never from the var itself. */
      readonly key: string;
    };

/** Where an upstream was declared: the `GATEHOUSE_UPSTREAMS` var, or the admin page. */
export type UpstreamSource = 'config' | 'admin';

export interface Upstream {
  readonly id: string;
  readonly name: string;
  readonly source: UpstreamSource;
  /** The MCP endpoint, normalised by `URL`. */
  readonly url: string;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly auth: UpstreamAuth;
}

export interface UpstreamCatalogOptions {
  /** `UPSTREAM_ALLOW_HTTP_LOOPBACK=true`: http on 127.0.0.1/localhost/[::1], for development and tests. */
  readonly allowHttpLoopback: boolean;
  /** Secrets by name (`UPSTREAM_<ID>_API_KEY`, `UPSTREAM_<ID>_CLIENT_SECRET`). */
  readonly secret: (name: string) => string | undefined;
}

const ID = /^[a-z][a-z0-9-]{0,31}$/;
const PREFIX = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
/** Headers Gatehouse sets itself on every upstream request; an API key may not replace them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
  'accept',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'mcp-session-id',
  'cookie',
]);

const headerSchema = z
  .string()
  .regex(HEADER)
  .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), 'is set by Gatehouse itself');

const keyAuthFields = {
  header: headerSchema.default('Authorization'),
  scheme: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,31}$/)
    .optional(),
};

const entrySchema = z.strictObject({
  id: z.string().regex(ID, 'must be lower-case letters, digits and -, at most 32, starting with a letter'),
  name: z.string().trim().min(1).max(80),
  url: z.string().max(2048),
  prefix: z
    .string()
    .max(32)
    .refine((p) => p === '' || PREFIX.test(p), 'must be lower-case words joined by single - or _'),
  timeout_ms: z.number().int().min(1_000).max(120_000).optional(),
  auth: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({
      type: z.literal('oauth'),
      client_id: z.string().min(1).max(2048).optional(),
      scopes: z
        .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
        .max(32)
        .optional(),
      registration: z.enum(['auto', 'dynamic']).default('auto'),
    }),
    z.strictObject({ type: z.literal('api_key_per_user'), ...keyAuthFields }),
    z.strictObject({ type: z.literal('api_key_shared'), ...keyAuthFields }),
  ]),
});

/** `UPSTREAM_<ID>_<WHAT>`: the id upper-cased with `-` as `_`. */
export function upstreamSecretName(id: string, what: 'API_KEY' | 'CLIENT_SECRET'): string {
  return `UPSTREAM_${id.toUpperCase().replaceAll('-', '_')}_${what}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.join('.') : 'entry';
  return `${path} ${issue.message}`;
}

/**
 * Upstream URLs are https to public hosts, as for client metadata documents; loopback http only with
 * the development flag. No credentials in the URL (they would be sent to every person's requests and
 * logged), no fragment.
 */
function parseUpstreamUrl(value: string, allowHttpLoopback: boolean, label: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${label}: url is not a URL`);
  }
  if (url.username || url.password) throw new ConfigError(`${label}: url must not hold credentials`);
  if (url.hash) throw new ConfigError(`${label}: url must not have a fragment`);
  const host = url.hostname.toLowerCase();
  if (allowHttpLoopback && isLoopbackHost(host) && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return url.href;
  }
  if (url.protocol !== 'https:') throw new ConfigError(`${label}: url must be https`);
  if (!isPublicHost(host)) throw new ConfigError(`${label}: url must name a public host`);
  return url.href;
}

function labelOf(raw: unknown, index: number): string {
  const named =
    typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
      ? `"${String((raw as { id: string }).id).slice(0, 40)}"`
      : `#${index + 1}`;
  return `GATEHOUSE_UPSTREAMS entry ${named}`;
}

/**
 * Parses one catalog entry (from the var, or from the admin page, whose errors carry its own `label`);
 * throws {@link ConfigError} with the label and the first problem.
 */
export function parseUpstreamEntry(
  raw: unknown,
  label: string,
  options: UpstreamCatalogOptions,
  source: UpstreamSource = 'config',
): Upstream {
  const parsed = entrySchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${label}: ${describeIssue(parsed.error.issues[0]!)}`);
  const entry = parsed.data;
  const url = parseUpstreamUrl(entry.url, options.allowHttpLoopback, label);
  let auth: UpstreamAuth;
  switch (entry.auth.type) {
    case 'none':
      auth = { type: 'none' };
      break;
    case 'oauth': {
      const secretName = upstreamSecretName(entry.id, 'CLIENT_SECRET');
      const clientSecret = options.secret(secretName) || undefined;
      if (clientSecret && !entry.auth.client_id) {
        throw new ConfigError(`${label}: ${secretName} is set but auth.client_id is not`);
      }
      auth = {
        type: 'oauth',
        clientId: entry.auth.client_id,
        clientSecret,
        scopes: entry.auth.scopes ? Object.freeze([...entry.auth.scopes]) : undefined,
        registration: entry.auth.registration,
      };
      break;
    }
    case 'api_key_per_user':
      auth = { type: 'api_key_per_user', header: entry.auth.header, scheme: entry.auth.scheme };
      break;
    case 'api_key_shared': {
      const secretName = upstreamSecretName(entry.id, 'API_KEY');
      const key = options.secret(secretName);
      if (!key) throw new ConfigError(`${label}: the ${secretName} secret is missing`);
      auth = { type: 'api_key_shared', header: entry.auth.header, scheme: entry.auth.scheme, key };
      break;
    }
  }
  return Object.freeze({
    id: entry.id,
    name: entry.name,
    source,
    url,
    prefix: entry.prefix,
    timeoutMs: entry.timeout_ms ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
    auth: Object.freeze(auth),
  });
}

/** Parses `GATEHOUSE_UPSTREAMS`; an unset or empty var is an empty catalog. */
export function parseUpstreams(
  value: string | undefined,
  options: UpstreamCatalogOptions,
): readonly Upstream[] {
  if (value === undefined || value.trim() === '') return Object.freeze([]);
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new ConfigError('GATEHOUSE_UPSTREAMS is not valid JSON');
  }
  if (!Array.isArray(json)) throw new ConfigError('GATEHOUSE_UPSTREAMS must be a JSON array');
  if (json.length > 50) throw new ConfigError('GATEHOUSE_UPSTREAMS may list at most 50 upstreams');
  const upstreams = json.map((raw, i) => parseUpstreamEntry(raw, labelOf(raw, i), options));
  checkCatalog(upstreams, (u) => `GATEHOUSE_UPSTREAMS entry "${u.id}"`);
  return Object.freeze(upstreams);
}

/** Ids and prefixes are unique, and at most one prefix is empty; throws {@link ConfigError}. */
export function checkCatalog(upstreams: readonly Upstream[], labelFor: (u: Upstream) => string): void {
  const ids = new Set<string>();
  const prefixes = new Set<string>();
  for (const u of upstreams) {
    const label = labelFor(u);
    if (ids.has(u.id)) throw new ConfigError(`${label}: id is used twice`);
    ids.add(u.id);
    if (prefixes.has(u.prefix)) {
      throw new ConfigError(
        u.prefix === ''
          ? `${label}: only one upstream may have an empty prefix (their tool names could collide)`
          : `${label}: prefix "${u.prefix}" is used twice`,
      );
    }
    prefixes.add(u.prefix);
  }
}

/** The exposed name of an upstream tool (or prompt). */
export function exposedName(upstream: Upstream, name: string): string {
  return upstream.prefix === '' ? name : `${upstream.prefix}${TOOL_SEPARATOR}${name}`;
}

/**
 * Which upstream an exposed name routes to, and the name the upstream knows it by. A name with a
 * known prefix goes to that upstream; any other name goes to the empty-prefix upstream, if there is
 * one. Own (workspace) tool names are resolved before this is asked.
 */
export function routeName(
  upstreams: readonly Upstream[],
  name: string,
): { upstream: Upstream; name: string } | undefined {
  const at = name.indexOf(TOOL_SEPARATOR);
  if (at > 0) {
    const prefix = name.slice(0, at);
    const upstream = upstreams.find((u) => u.prefix === prefix);
    if (upstream) return { upstream, name: name.slice(at + TOOL_SEPARATOR.length) };
  }
  const transparent = upstreams.find((u) => u.prefix === '');
  return transparent ? { upstream: transparent, name } : undefined;
}
