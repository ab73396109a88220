import { describe, expect, inject, it } from 'vitest';
import { MAX_UPSTREAM_RESPONSE_BYTES } from '../../../src/gateway/upstream-failure';
import { clientFor, declare, ok, recordingFetch } from './helpers';
import { FIXTURE_BEARER } from './provided';

const hostile = (mode: string, extra: { timeout_ms?: number } = {}) =>
  declare(`${inject('fixtureOrigin')}/hostile/${mode}/mcp`, extra);

/** A port nothing listens on: bound by nobody in the test range. */
const CLOSED_PORT_URL = 'http://127.0.0.1:9/mcp';

describe('the failure table: an upstream misbehaving is a value, never a throw', () => {
  const table = [
    { mode: 'html', kind: 'not_mcp', sentence: /answered with something that is not MCP/ },
    { mode: 'wrong-json', kind: 'not_mcp', sentence: /answered with something that is not MCP/ },
    { mode: 'unauthorized', kind: 'unauthorized', sentence: /reconnect Fixture in your settings/ },
    { mode: 'forbidden', kind: 'unauthorized', sentence: /no longer accepts the credential/ },
    { mode: 'huge', kind: 'too_large', sentence: /larger than 4 MiB/ },
    { mode: 'huge-sse', kind: 'too_large', sentence: /larger than 4 MiB/ },
  ] as const;

  for (const row of table) {
    it(`maps /hostile/${row.mode} to ${row.kind} with its sentence`, async () => {
      const result = await clientFor(hostile(row.mode)).listTools();
      expect(result).toMatchObject({ ok: false, failure: { kind: row.kind } });
      if (!result.ok) expect(result.failure.message).toMatch(row.sentence);
    });
  }

  it('stops reading a huge answer instead of buffering it', async () => {
    let received = 0;
    const counting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!response.body) return response;
      const counted = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            received += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      return new Response(counted, response);
    };
    const result = await clientFor(hostile('huge'), { fetch: counting }).listTools();
    expect(result).toMatchObject({ ok: false, failure: { kind: 'too_large' } });
    // The fixture would send 64 MiB; reading stops within a chunk or two of the 4 MiB cap.
    expect(received).toBeLessThan(MAX_UPSTREAM_RESPONSE_BYTES + 1024 * 1024);
  });

  it('gives up after the upstream timeout_ms (timeout)', async () => {
    const result = await clientFor(hostile('slow', { timeout_ms: 1000 })).listTools();
    expect(result).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
    if (!result.ok) expect(result.failure.message).toBe('Fixture did not answer within 1 seconds.');
  });

  it('reports a closed port as unreachable', async () => {
    const result = await clientFor(declare(CLOSED_PORT_URL)).callTool('anything', {});
    expect(result).toMatchObject({ ok: false, failure: { kind: 'unreachable' } });
  });

  it('reports a revoked key as unauthorized and sends the right key only as a header', async () => {
    const keyed = declare(`${inject('keyedFixtureOrigin')}/mcp`);
    const wrong = await clientFor(keyed, { headers: { Authorization: 'Bearer revoked' } }).listTools();
    expect(wrong).toMatchObject({ ok: false, failure: { kind: 'unauthorized' } });
    const recorder = recordingFetch();
    const right = clientFor(keyed, {
      fetch: recorder.fetch,
      headers: { Authorization: `Bearer ${FIXTURE_BEARER}` },
    });
    expect(ok(await right.listTools()).length).toBeGreaterThan(0);
    expect(recorder.seen.every((r) => r.headers.get('authorization') === `Bearer ${FIXTURE_BEARER}`)).toBe(
      true,
    );
  });

  it('does not let a credential header replace what the MCP client sets', async () => {
    const recorder = recordingFetch();
    const client = clientFor(declare(`${inject('fixtureOrigin')}/mcp`), {
      fetch: recorder.fetch,
      headers: { 'Content-Type': 'text/plain', Accept: 'text/html', 'X-Api-Key': 'k' },
    });
    expect(ok(await client.listTools()).length).toBeGreaterThan(0);
    const post = recorder.seen.find((r) => r.method === 'POST')!;
    expect(post.headers.get('content-type')).toBe('application/json');
    expect(post.headers.get('accept')).toContain('text/event-stream');
    expect(post.headers.get('x-api-key')).toBe('k');
  });
});
