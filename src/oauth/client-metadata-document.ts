import { z } from 'zod';
import { readTextLimited } from '../http/body';
import type { Deps } from '../http/context';
import { AppError } from '../http/errors';
import { isLoopbackHost, isPublicHost } from '../http/public-host';
import { sha256Hex } from '../tokens/secrets';
import {
  APPLICATION_TYPES,
  type ApplicationType,
  findClient,
  type OAuthClient,
  upsertCimdClient,
} from './clients';
import { isValidRedirectUri } from './redirect-uri';

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25): a
 * `client_id` that is an https URL with a path names a JSON document describing the client, which we
 * fetch instead of requiring registration.
 *
 * The fetch is made on behalf of whoever typed the URL, so it is guarded against SSRF: https only; no
 * userinfo or fragment; no IP literal in a private, loopback, link-local, CGNAT or multicast range;
 * no `localhost`, single-label or local-only names; 5 KB at most; 5 s at most; redirects are not
 * followed. It does not resolve DNS itself: a public name that resolves to a private address is the
 * platform's to refuse (Workers cannot reach private networks). All outbound requests go through
 * `deps.fetch`, so tests serve documents without a network.
 */

export const CIMD_MAX_BYTES = 5 * 1024;
export const CIMD_TIMEOUT_MS = 5_000;
/** KV's minimum TTL is 60 s; documents are re-fetched at least daily. */
const MIN_CACHE_SECONDS = 60;
const MAX_CACHE_SECONDS = 86_400;
const DEFAULT_CACHE_SECONDS = 300;

export type CimdFailure =
  | 'url_not_allowed'
  | 'fetch_failed'
  | 'timeout'
  | 'redirected'
  | 'bad_status'
  | 'too_large'
  | 'not_json'
  | 'invalid_document'
  | 'client_id_mismatch';

export class CimdError extends Error {
  override readonly name = 'CimdError';
  constructor(readonly failure: CimdFailure) {
    super(`client metadata document rejected: ${failure}`);
  }
}

/** What a person sees when the document cannot be used; fixed sentences, never fetched content. */
export const CIMD_FAILURE_MESSAGES: Record<CimdFailure, string> = {
  url_not_allowed:
    'The application identifies itself with a metadata address that is not allowed (it must be a public https URL).',
  fetch_failed: "The application's metadata document could not be fetched.",
  timeout: "The application's metadata document took too long to load.",
  redirected: "The application's metadata document address redirects elsewhere, which is not allowed.",
  bad_status: "The application's metadata document could not be loaded (its server answered with an error).",
  too_large: "The application's metadata document is larger than 5 KB.",
  not_json: "The application's metadata document is not valid JSON.",
  invalid_document: "The application's metadata document is missing required fields or has invalid ones.",
  client_id_mismatch: "The application's metadata document names a different client_id than its address.",
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: names with control characters are refused
const DISPLAY_TEXT = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/;

const documentSchema = z.object({
  client_id: z.string(),
  client_name: z.string().max(200).regex(DISPLAY_TEXT).optional(),
  client_uri: z.string().max(2000).optional(),
  logo_uri: z.string().max(2000).optional(),
  redirect_uris: z.array(z.string()).min(1).max(20),
  token_endpoint_auth_method: z.string().optional(),
  application_type: z.unknown().optional(),
});

export interface CimdDocument {
  clientId: string;
  clientName: string;
  clientUri: string | null;
  logoUri: string | null;
  redirectUris: string[];
  applicationType: ApplicationType;
}

/** Whether a client_id is URL-shaped and therefore names a metadata document rather than a registration. */
export function isMetadataDocumentClientId(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

/**
 * Parses and guards a metadata-document URL. With `allowHttpLoopback` (tests only; refused in
 * production by config) an http or https URL on 127.0.0.1 / localhost / [::1] is also allowed.
 */
export function checkMetadataDocumentUrl(value: string, allowHttpLoopback: boolean): URL {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (value.length > 1024 || /[\s\u0000-\u001f\u007f\\#]/.test(value)) throw new CimdError('url_not_allowed');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CimdError('url_not_allowed');
  }
  if (url.username || url.password || url.pathname === '/' || url.href !== value) {
    throw new CimdError('url_not_allowed');
  }
  const host = url.hostname.toLowerCase();
  if (allowHttpLoopback && isLoopbackHost(host) && (url.protocol === 'http:' || url.protocol === 'https:'))
    return url;
  if (url.protocol !== 'https:' || !isPublicHost(host)) throw new CimdError('url_not_allowed');
  return url;
}

/** Seconds a response may be cached for, from its Cache-Control; 0 means "do not cache". */
export function cacheSecondsFrom(cacheControl: string | null): number {
  if (!cacheControl) return DEFAULT_CACHE_SECONDS;
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache' || d === 'private')) return 0;
  const maxAge = directives.map((d) => /^(?:s-)?max-age=(\d+)$/.exec(d)?.[1]).find((v) => v !== undefined);
  if (maxAge === undefined) return DEFAULT_CACHE_SECONDS;
  const seconds = Number(maxAge);
  if (seconds <= 0) return 0;
  return Math.min(MAX_CACHE_SECONDS, Math.max(MIN_CACHE_SECONDS, seconds));
}

async function readLimited(res: Response): Promise<string> {
  try {
    return await readTextLimited(res, CIMD_MAX_BYTES);
  } catch (err) {
    if (err instanceof AppError)
      throw new CimdError(err.code === 'payload_too_large' ? 'too_large' : 'not_json');
    throw err;
  }
}

/** Validates a fetched document against the URL it came from. */
export function parseMetadataDocument(url: string, text: string): CimdDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CimdError('not_json');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new CimdError('invalid_document');
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) throw new CimdError('invalid_document');
  const doc = parsed.data;
  // The document must name itself byte for byte, or anyone could borrow another client's identity.
  if (doc.client_id !== url) throw new CimdError('client_id_mismatch');
  // A public document cannot hold a secret, so secret-based methods can never authenticate. Any
  // other method (ChatGPT's document says `private_key_jwt` and also offers `none`) registers as a
  // public client: Gatehouse authenticates document clients by PKCE alone.
  if (
    Object.hasOwn(json, 'client_secret') ||
    doc.token_endpoint_auth_method === 'client_secret_basic' ||
    doc.token_endpoint_auth_method === 'client_secret_post'
  ) {
    throw new CimdError('invalid_document');
  }
  if (!doc.redirect_uris.every(isValidRedirectUri)) throw new CimdError('invalid_document');
  const webUrl = (v: string | undefined) => (v && /^https:\/\//i.test(v) ? v : null);
  // Optional members that are wrong are dropped, not fatal: the document's author is not there to
  // read an error. Grant types are not read at all: the client gets the two we offer.
  const applicationType = APPLICATION_TYPES.find((t) => t === doc.application_type) ?? 'web';
  return {
    clientId: doc.client_id,
    clientName: doc.client_name?.trim() || new URL(url).host,
    clientUri: webUrl(doc.client_uri),
    logoUri: webUrl(doc.logo_uri),
    redirectUris: [...new Set(doc.redirect_uris)],
    applicationType,
  };
}

interface CachedDocument {
  document: CimdDocument;
  expiresAt: number;
}

/** v2: entries carry `applicationType`; v1 entries (without it) are never read again. */
async function cacheKey(url: string): Promise<string> {
  return `cimd:v2:${await sha256Hex(url)}`;
}

/** Fetches (or reads from cache) and validates a document; throws {@link CimdError}. */
export async function loadMetadataDocument(
  deps: Deps,
  kv: KVNamespace,
  clientId: string,
  allowHttpLoopback: boolean,
): Promise<{ document: CimdDocument; fresh: boolean }> {
  const url = checkMetadataDocumentUrl(clientId, allowHttpLoopback);
  const now = Math.floor(deps.clock.now() / 1000);
  const key = await cacheKey(clientId);
  const cached = await kv.get<CachedDocument>(key, 'json').catch(() => null);
  if (cached && cached.expiresAt > now && cached.document.clientId === clientId) {
    return { document: cached.document, fresh: false };
  }
  let res: Response;
  try {
    res = await deps.fetch(url.href, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(CIMD_TIMEOUT_MS),
    });
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    throw new CimdError(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'fetch_failed');
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => {});
    throw new CimdError('redirected');
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw new CimdError('bad_status');
  }
  let text: string;
  try {
    text = await readLimited(res);
  } catch (err) {
    if (err instanceof CimdError) throw err;
    const name = err instanceof Error ? err.name : '';
    throw new CimdError(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'fetch_failed');
  }
  const document = parseMetadataDocument(clientId, text);
  const ttl = cacheSecondsFrom(res.headers.get('cache-control'));
  if (ttl > 0) {
    const entry: CachedDocument = { document, expiresAt: now + ttl };
    await kv.put(key, JSON.stringify(entry), { expirationTtl: ttl }).catch(() => {});
  }
  return { document, fresh: true };
}

/**
 * The client for a metadata-document client_id: the document (cached per its Cache-Control) is the
 * truth for redirect URIs and name; a `cimd` row mirrors it so grants can reference the client and the
 * token endpoint can authenticate it without fetching.
 */
export async function resolveMetadataDocumentClient(
  deps: Deps,
  db: D1Database,
  kv: KVNamespace,
  clientId: string,
  allowHttpLoopback: boolean,
): Promise<OAuthClient> {
  const { document, fresh } = await loadMetadataDocument(deps, kv, clientId, allowHttpLoopback);
  const now = Math.floor(deps.clock.now() / 1000);
  if (!fresh) {
    const known = await findClient(db, clientId);
    if (known && known.registrationType === 'cimd') return { ...known, redirectUris: document.redirectUris };
  }
  return upsertCimdClient(db, document, now);
}
