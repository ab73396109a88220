import { env } from 'cloudflare:test';
import { createEraCache, type EraCache } from '../../../src/gateway/era-cache';
import {
  createUpstreamClient,
  type UpstreamCaller,
  type UpstreamClient,
} from '../../../src/gateway/upstream-client';
import { parseUpstreams, type Upstream } from '../../../src/gateway/upstreams';

/** An upstream as the operator would declare it (loopback http allowed, as in development). */
export function declare(url: string, extra: { id?: string; timeout_ms?: number } = {}): Upstream {
  const [upstream] = parseUpstreams(
    JSON.stringify([
      {
        id: extra.id ?? `up-${crypto.randomUUID().slice(0, 8)}`,
        name: 'Fixture',
        url,
        prefix: 'fx',
        auth: { type: 'none' },
        ...(extra.timeout_ms && { timeout_ms: extra.timeout_ms }),
      },
    ]),
    { allowHttpLoopback: true, secret: () => undefined },
  );
  return upstream!;
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly headers: Headers;
}

/** The real outbound fetch, recording every request the upstream client makes. */
export function recordingFetch(intercept?: (request: Request) => Response | undefined): {
  fetch: typeof fetch;
  seen: SeenRequest[];
  probes: () => number;
} {
  const seen: SeenRequest[] = [];
  return {
    seen,
    probes: () => seen.filter((r) => r.body.includes('"server/discover"')).length,
    async fetch(input, init) {
      const request = new Request(input, init);
      const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.clone().text();
      seen.push({ method: request.method, url: request.url, body, headers: request.headers });
      return intercept?.(request) ?? fetch(request);
    },
  };
}

export interface ClientSetup {
  readonly eras?: EraCache;
  readonly fetch?: typeof fetch;
  readonly userId?: string;
  readonly headers?: Record<string, string>;
  readonly allowHttpLoopback?: boolean;
  readonly capabilities?: UpstreamCaller['clientCapabilities'];
}

export function freshEras(): EraCache {
  return createEraCache(env.CACHE, () => Date.now());
}

export function clientFor(upstream: Upstream, setup: ClientSetup = {}): UpstreamClient {
  return createUpstreamClient(
    {
      fetch: setup.fetch ?? ((input, init) => fetch(input, init)),
      now: () => Date.now(),
      eras: setup.eras ?? freshEras(),
      allowHttpLoopback: setup.allowHttpLoopback ?? true,
    },
    {
      upstream,
      userId: setup.userId ?? 'person-1',
      credentialHeaders: async () => setup.headers ?? {},
      ...(setup.capabilities && { clientCapabilities: setup.capabilities }),
    },
  );
}

/** Unwraps a successful result; a failure fails the test with its sentence. */
export function ok<T>(
  result: { ok: true; value: T } | { ok: false; failure: { kind: string; message: string } },
): T {
  if (!result.ok) throw new Error(`upstream failed: ${result.failure.kind}: ${result.failure.message}`);
  return result.value;
}
