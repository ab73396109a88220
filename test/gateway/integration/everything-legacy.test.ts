import { describe, expect, inject, it } from 'vitest';
import { clientFor, declare, freshEras, ok, recordingFetch } from './helpers';

const everything = () => declare(inject('everythingUrl'));

describe('upstream client → server-everything (a 2025-era, sessionful server)', () => {
  it('falls back to initialize after one discover probe, and ends each session it opened', async () => {
    const recorder = recordingFetch();
    const tools = ok(await clientFor(everything(), { fetch: recorder.fetch }).listTools()).map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['echo', 'get-tiny-image', 'get-structured-content']));
    expect(recorder.probes()).toBe(1);
    expect(recorder.seen.some((r) => r.body.includes('"initialize"'))).toBe(true);
    // No 2026-07-28 envelope after the fallback: the requests are byte-for-byte 2025 ones.
    expect(
      recorder.seen
        .filter((r) => r.body.includes('"tools/list"'))
        .every((r) => !r.body.includes('io.modelcontextprotocol/')),
    ).toBe(true);
    expect(recorder.seen.at(-1)?.method).toBe('DELETE');
  });

  it('calls tools: text, image, structured content, progress', async () => {
    const client = clientFor(everything());
    expect(ok(await client.callTool('echo', { message: 'hi there' }))).toMatchObject({
      kind: 'complete',
      result: { content: [{ type: 'text', text: expect.stringContaining('hi there') }] },
    });
    expect(ok(await client.callTool('get-tiny-image', {}))).toMatchObject({
      kind: 'complete',
      result: {
        content: expect.arrayContaining([{ type: 'image', data: expect.any(String), mimeType: 'image/png' }]),
      },
    });
    expect(ok(await client.callTool('get-structured-content', { location: 'Chicago' }))).toMatchObject({
      kind: 'complete',
      result: { structuredContent: { temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 } },
    });
    const updates: number[] = [];
    const long = ok(
      await client.callTool(
        'trigger-long-running-operation',
        { duration: 1, steps: 3 },
        {
          onProgress: (p) => updates.push(p.progress),
        },
      ),
    );
    expect(long.kind).toBe('complete');
    expect(updates).toEqual([1, 2, 3]);
  });

  it('lists and reads resources, lists and gets prompts', async () => {
    const client = clientFor(everything());
    const resources = ok(await client.listResources());
    expect(resources.length).toBeGreaterThan(0);
    const first = resources[0]!;
    expect(ok(await client.readResource(first.uri))).toMatchObject({
      kind: 'complete',
      result: { contents: [{ uri: first.uri }] },
    });
    const prompts = ok(await client.listPrompts()).map((p) => p.name);
    expect(prompts).toContain('simple-prompt');
    expect(ok(await client.getPrompt('simple-prompt', undefined))).toMatchObject({
      kind: 'complete',
      result: { messages: [{ role: 'user' }] },
    });
  });

  it("returns a 2025 server's own isError answer to an unknown tool as its answer, not a failure", async () => {
    // The v1 SDK behind server-everything wraps "Tool … not found" in an isError result.
    expect(ok(await clientFor(everything()).callTool('no-such-tool', {}))).toMatchObject({
      kind: 'complete',
      result: { isError: true, content: [{ type: 'text', text: expect.stringContaining('not found') }] },
    });
  });
});

describe('upstream client → the fixture upstream remembered as legacy', () => {
  it('speaks 2025 to a server that serves both eras when the verdict says legacy', async () => {
    const upstream = declare(`${inject('fixtureOrigin')}/mcp`);
    const eras = freshEras();
    await eras.record('person-1', upstream, { era: 'legacy', discover: undefined });
    const recorder = recordingFetch();
    const client = clientFor(upstream, { eras, fetch: recorder.fetch });
    expect(ok(await client.callTool('test_simple_text', {}))).toMatchObject({
      kind: 'complete',
      result: { content: [{ text: 'This is a simple text response for testing.' }] },
    });
    expect(recorder.probes()).toBe(0);
    expect(recorder.seen[0]?.body).toContain('"initialize"');
  });
});
