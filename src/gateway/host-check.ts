import { isLoopbackHost, isNonPublicIpv4, isNonPublicIpv6, isPublicHost } from '../http/public-host';

/**
 * The SSRF guard for upstream requests, run before every request Gatehouse sends upstream. The static
 * half is {@link isPublicHost}; the dynamic half resolves the name with DNS over HTTPS (RFC 8484's JSON
 * flavour at cloudflare-dns.com, through the app's outbound fetch) and refuses the host if ANY A or
 * AAAA answer is a non-public address, so a public-looking name pointed at 10.0.0.1 is refused. A
 * resolver failure is `unresolved` (the caller refuses to connect: fail closed).
 *
 * What it does not do: pin the address. Workers' fetch resolves the name again, so a name that flips
 * between the check and the connect (DNS rebinding) is not caught here; Workers cannot reach private
 * networks in any case, and the TTL-bounded cache keeps the window small.
 * @see https://www.rfc-editor.org/rfc/rfc8484
 */
export type HostVerdict = 'public' | 'not_public' | 'unresolved';

export interface HostCheckOptions {
  readonly fetch: typeof fetch;
  readonly allowHttpLoopback: boolean;
  readonly now: () => number;
}

const DOH_URL = 'https://cloudflare-dns.com/dns-query';
const TYPE_A = 1;
const TYPE_AAAA = 28;
/** Resolutions are cached this long at most (and never longer than the records' TTL). */
const MAX_CACHE_MS = 60_000;
const MIN_CACHE_MS = 5_000;
const MAX_CACHED_HOSTS = 256;

const cache = new Map<string, { verdict: HostVerdict; expiresAt: number }>();

interface DohAnswer {
  readonly type: number;
  readonly data: string;
  readonly TTL: number;
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host);
}

function parseAnswers(json: unknown): DohAnswer[] | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  // Status 3 (NXDOMAIN) has no answers; any other non-zero status is a resolver failure.
  if (body.Status !== 0 && body.Status !== 3) return undefined;
  if (!Object.hasOwn(body, 'Answer')) return [];
  if (!Array.isArray(body.Answer)) return undefined;
  return body.Answer.filter(
    (a): a is DohAnswer =>
      typeof a === 'object' &&
      a !== null &&
      typeof (a as DohAnswer).type === 'number' &&
      typeof (a as DohAnswer).data === 'string' &&
      typeof (a as DohAnswer).TTL === 'number',
  );
}

async function resolve(
  host: string,
  type: 'A' | 'AAAA',
  doFetch: typeof fetch,
): Promise<DohAnswer[] | undefined> {
  try {
    const url = `${DOH_URL}?name=${encodeURIComponent(host)}&type=${type}`;
    const res = await doFetch(url, { headers: { accept: 'application/dns-json' }, redirect: 'manual' });
    if (!res.ok) return undefined;
    return parseAnswers(await res.json());
  } catch {
    return undefined;
  }
}

async function resolveVerdict(
  host: string,
  doFetch: typeof fetch,
): Promise<{ verdict: HostVerdict; ttlMs: number }> {
  const [a, aaaa] = await Promise.all([resolve(host, 'A', doFetch), resolve(host, 'AAAA', doFetch)]);
  if (!a || !aaaa) return { verdict: 'unresolved', ttlMs: MIN_CACHE_MS };
  const addresses = [...a, ...aaaa].filter((r) => r.type === TYPE_A || r.type === TYPE_AAAA);
  if (addresses.length === 0) return { verdict: 'unresolved', ttlMs: MIN_CACHE_MS };
  const ttlMs = Math.min(
    MAX_CACHE_MS,
    Math.max(MIN_CACHE_MS, Math.min(...addresses.map((r) => r.TTL * 1000))),
  );
  const privateAnswer = addresses.some((r) =>
    r.type === TYPE_A
      ? !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(r.data) || isNonPublicIpv4(r.data)
      : isNonPublicIpv6(r.data),
  );
  return { verdict: privateAnswer ? 'not_public' : 'public', ttlMs };
}

/** `url` is an upstream request URL (already parsed). */
export async function checkUpstreamHost(url: URL, options: HostCheckOptions): Promise<HostVerdict> {
  const host = url.hostname.toLowerCase();
  if (options.allowHttpLoopback && isLoopbackHost(host)) return 'public';
  if (url.protocol !== 'https:' || !isPublicHost(host)) return 'not_public';
  if (isIpLiteral(host)) return 'public';
  const now = options.now();
  const hit = cache.get(host);
  if (hit && hit.expiresAt > now) return hit.verdict;
  const { verdict, ttlMs } = await resolveVerdict(host, options.fetch);
  if (cache.size >= MAX_CACHED_HOSTS) cache.delete(cache.keys().next().value as string);
  cache.set(host, { verdict, expiresAt: now + ttlMs });
  return verdict;
}
