import { describe, expect, inject, it } from 'vitest';
import { checkUpstreamHost } from '../../../src/gateway/host-check';
import type { Upstream } from '../../../src/gateway/upstreams';
import { clientFor, declare, ok, recordingFetch } from './helpers';

/** Built by hand: the catalog parser refuses these URLs at start, this is the request-time guard. */
const raw = (url: string): Upstream => ({
  id: 'raw',
  name: 'Raw',
  url,
  prefix: 'raw',
  timeoutMs: 5000,
  source: 'config',
  auth: { type: 'none' },
});

/** A DNS-over-HTTPS resolver answering every name with `address` (our own code's input, faked). */
function resolverSaying(address: string) {
  return (request: Request): Response | undefined => {
    const url = new URL(request.url);
    if (url.hostname !== 'cloudflare-dns.com') return undefined;
    const type = url.searchParams.get('type');
    const isV6 = address.includes(':');
    const answers =
      (type === 'AAAA') === isV6
        ? [{ name: url.searchParams.get('name'), type: isV6 ? 28 : 1, TTL: 60, data: address }]
        : [];
    return Response.json(
      { Status: 0, Answer: answers },
      { headers: { 'content-type': 'application/dns-json' } },
    );
  };
}

describe('SSRF: Gatehouse only talks to public upstreams', () => {
  for (const url of [
    'https://10.0.0.1/mcp',
    'https://192.168.1.20/mcp',
    'https://[fd00::1]/mcp',
    'https://169.254.169.254/mcp',
    'http://127.0.0.1:9/mcp',
  ]) {
    it(`refuses ${url} without sending anything`, async () => {
      const recorder = recordingFetch(() => new Response('should not be asked', { status: 500 }));
      const result = await clientFor(raw(url), {
        fetch: recorder.fetch,
        allowHttpLoopback: false,
      }).listTools();
      expect(result).toMatchObject({ ok: false, failure: { kind: 'refused' } });
      expect(recorder.seen).toEqual([]);
    });
  }

  it('refuses a public-looking name whose DNS answer is 10.0.0.1, and never contacts it', async () => {
    const recorder = recordingFetch(resolverSaying('10.0.0.1'));
    const result = await clientFor(raw('https://mcp.rebinding-test.example/mcp'), {
      fetch: recorder.fetch,
      allowHttpLoopback: false,
    }).listTools();
    expect(result).toMatchObject({ ok: false, failure: { kind: 'refused' } });
    expect(recorder.seen.map((r) => new URL(r.url).hostname)).toEqual([
      'cloudflare-dns.com',
      'cloudflare-dns.com',
    ]);
    expect(recorder.seen[0]?.headers.get('accept')).toBe('application/dns-json');
  });

  it('refuses an AAAA answer in a private range too', async () => {
    const recorder = recordingFetch(resolverSaying('fd12:3456::1'));
    const verdict = await checkUpstreamHost(new URL('https://v6.rebinding-test.example/mcp'), {
      fetch: recorder.fetch,
      allowHttpLoopback: false,
      now: () => Date.now(),
    });
    expect(verdict).toBe('not_public');
  });

  it('accepts a name that resolves only to public addresses, and caches the answer briefly', async () => {
    const recorder = recordingFetch(resolverSaying('93.184.215.14'));
    const options = { fetch: recorder.fetch, allowHttpLoopback: false, now: () => Date.now() };
    const url = new URL('https://public.resolver-test.example/mcp');
    expect(await checkUpstreamHost(url, options)).toBe('public');
    expect(await checkUpstreamHost(url, options)).toBe('public');
    expect(recorder.seen).toHaveLength(2); // A and AAAA once, then the cache
  });

  it('fails closed when the resolver cannot answer (unreachable)', async () => {
    const recorder = recordingFetch((r) =>
      new URL(r.url).hostname === 'cloudflare-dns.com' ? new Response('', { status: 502 }) : undefined,
    );
    const result = await clientFor(raw('https://down.resolver-test.example/mcp'), {
      fetch: recorder.fetch,
      allowHttpLoopback: false,
    }).listTools();
    expect(result).toMatchObject({ ok: false, failure: { kind: 'unreachable' } });
    expect(recorder.seen.every((r) => new URL(r.url).hostname === 'cloudflare-dns.com')).toBe(true);
  });

  it('does not follow a redirect to another origin (localhost is not 127.0.0.1)', async () => {
    const origin = inject('fixtureOrigin');
    const elsewhere = `${origin.replace('127.0.0.1', 'localhost')}/mcp`;
    const recorder = recordingFetch();
    const result = await clientFor(declare(`${origin}/redirect/mcp?to=${encodeURIComponent(elsewhere)}`), {
      fetch: recorder.fetch,
    }).listTools();
    expect(result).toMatchObject({ ok: false, failure: { kind: 'refused' } });
    expect(recorder.seen.every((r) => new URL(r.url).hostname === '127.0.0.1')).toBe(true);
  });

  it('follows a redirect within the same origin', async () => {
    const origin = inject('fixtureOrigin');
    const client = clientFor(declare(`${origin}/redirect/mcp?to=${encodeURIComponent(`${origin}/mcp`)}`));
    expect(ok(await client.listTools()).length).toBeGreaterThan(0);
  });
});
