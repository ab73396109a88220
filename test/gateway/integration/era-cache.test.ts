import { env } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { createEraCache } from '../../../src/gateway/era-cache';
import { clientFor, declare, freshEras, ok, recordingFetch } from './helpers';

const initializes = (recorder: ReturnType<typeof recordingFetch>) =>
  recorder.seen.filter((r) => r.body.includes('"method":"initialize"')).length;

describe('the era cache: one probe per upstream, then none', () => {
  it('probes a legacy upstream once; every later connection, in any isolate, skips the probe', async () => {
    const upstream = declare(inject('everythingUrl'));
    const recorder = recordingFetch();
    const eras = freshEras();
    ok(await clientFor(upstream, { eras, fetch: recorder.fetch, userId: 'ada' }).listTools());
    expect(recorder.probes()).toBe(1);
    ok(await clientFor(upstream, { eras, fetch: recorder.fetch, userId: 'ada' }).listTools());
    ok(await clientFor(upstream, { eras, fetch: recorder.fetch, userId: 'grace' }).listPrompts());
    expect(recorder.probes()).toBe(1);
    // A new isolate reads the verdict from KV.
    ok(await clientFor(upstream, { eras: freshEras(), fetch: recorder.fetch, userId: 'linus' }).listTools());
    expect(recorder.probes()).toBe(1);
    expect(initializes(recorder)).toBe(4);
  });

  it("reuses a modern upstream's discover result for the same person only", async () => {
    const upstream = declare(`${inject('fixtureOrigin')}/mcp`);
    const recorder = recordingFetch();
    const eras = freshEras();
    ok(await clientFor(upstream, { eras, fetch: recorder.fetch, userId: 'ada' }).listTools());
    ok(
      await clientFor(upstream, { eras, fetch: recorder.fetch, userId: 'ada' }).callTool(
        'test_simple_text',
        {},
      ),
    );
    expect(recorder.probes()).toBe(1);
    // Another person's connection never adopts Ada's discover result: it probes for itself.
    ok(await clientFor(upstream, { eras, fetch: recorder.fetch, userId: 'grace' }).listTools());
    expect(recorder.probes()).toBe(2);
    expect(initializes(recorder)).toBe(0);
  });

  it('keys verdicts by upstream id and URL, and records nothing for a probe that failed', async () => {
    const eras = createEraCache(env.CACHE, () => Date.now());
    const up = declare(`${inject('fixtureOrigin')}/hostile/unauthorized/mcp`);
    const failed = await clientFor(up, { eras }).listTools();
    expect(failed.ok).toBe(false);
    expect(await eras.era(up)).toBeUndefined();
    const modern = declare(`${inject('fixtureOrigin')}/mcp`, { id: 'same-id' });
    ok(await clientFor(modern, { eras }).listTools());
    expect(await eras.era(modern)).toBe('modern');
    const moved = declare(inject('everythingUrl'), { id: 'same-id' });
    expect(await eras.era(moved)).toBeUndefined();
  });

  it('retires a verdict past its horizon, so an upgraded server is noticed', async () => {
    let now = Date.now();
    const eras = createEraCache(env.CACHE, () => now);
    const upstream = declare(`${inject('fixtureOrigin')}/mcp`);
    await eras.record('ada', upstream, { era: 'legacy', discover: undefined });
    expect(await eras.era(upstream)).toBe('legacy');
    now += 25 * 60 * 60 * 1000;
    expect(await eras.era(upstream)).toBeUndefined();
    expect(await createEraCache(env.CACHE, () => now).era(upstream)).toBeUndefined();
  });
});
