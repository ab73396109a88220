import { describe, expect, inject, it } from 'vitest';
import { clientFor, declare, ok, recordingFetch } from './helpers';

const fixture = () => declare(`${inject('fixtureOrigin')}/mcp`);
const elicitation = { elicitation: { form: {} } };

describe('upstream client → the fixture upstream (2026-07-28)', () => {
  it('negotiates the modern era and lists every tool, resource, template and prompt', async () => {
    const upstream = fixture();
    const recorder = recordingFetch();
    const client = clientFor(upstream, { fetch: recorder.fetch });
    const tools = ok(await client.listTools()).map((t) => t.name);
    expect(tools).toEqual(
      expect.arrayContaining(['test_simple_text', 'test_image_content', 'test_tool_with_progress']),
    );
    expect(recorder.probes()).toBe(1);
    // Modern requests carry the per-request envelope, which legacy ones never do.
    expect(recorder.seen.at(-1)?.headers.get('mcp-protocol-version')).toBe('2026-07-28');
    const resources = ok(await client.listResources()).map((r) => r.uri);
    expect(resources).toEqual(expect.arrayContaining(['test://static-text', 'test://static-binary']));
    const templates = ok(await client.listResourceTemplates()).map((t) => t.uriTemplate);
    expect(templates).toContain('test://template/{id}/data');
    const prompts = ok(await client.listPrompts()).map((p) => p.name);
    expect(prompts).toEqual(expect.arrayContaining(['test_simple_prompt', 'test_prompt_with_arguments']));
  });

  it('returns every content type as the upstream sent it', async () => {
    const client = clientFor(fixture());
    const call = async (name: string) => {
      const outcome = ok(await client.callTool(name, {}));
      if (outcome.kind !== 'complete') throw new Error(`${name} asked for input`);
      return outcome.result;
    };
    expect((await call('test_simple_text')).content).toEqual([
      { type: 'text', text: 'This is a simple text response for testing.' },
    ]);
    expect((await call('test_image_content')).content).toEqual([
      { type: 'image', data: expect.stringMatching(/^iVBOR/), mimeType: 'image/png' },
    ]);
    expect((await call('test_audio_content')).content).toEqual([
      { type: 'audio', data: expect.stringMatching(/^UklGR/), mimeType: 'audio/wav' },
    ]);
    expect((await call('test_embedded_resource')).content?.[0]).toMatchObject({
      type: 'resource',
      resource: { uri: 'test://embedded-resource', text: 'This is an embedded resource content.' },
    });
    expect((await call('test_multiple_content_types')).content?.map((c) => c.type)).toEqual([
      'text',
      'image',
      'resource',
    ]);
  });

  it('keeps structured content and isError', async () => {
    const client = clientFor(fixture());
    const structured = ok(await client.callTool('test_structured_content', { city: 'Oslo' }));
    expect(structured).toMatchObject({
      kind: 'complete',
      result: { structuredContent: { city: 'Oslo', temperatureC: 21.5 } },
    });
    const failed = ok(await client.callTool('test_error_handling', {}));
    expect(failed).toMatchObject({
      kind: 'complete',
      result: {
        isError: true,
        content: [{ type: 'text', text: expect.stringContaining('intentionally returns an error') }],
      },
    });
  });

  it('passes the upstream progress notifications on', async () => {
    const updates: number[] = [];
    const outcome = ok(
      await clientFor(fixture()).callTool(
        'test_tool_with_progress',
        {},
        {
          onProgress: (p) => updates.push(p.progress),
        },
      ),
    );
    expect(outcome.kind).toBe('complete');
    expect(updates).toEqual([0, 50, 100]);
  });

  it('reads text, binary and templated resources, and gets prompts', async () => {
    const client = clientFor(fixture());
    expect(ok(await client.readResource('test://static-text'))).toMatchObject({
      kind: 'complete',
      result: {
        contents: [{ uri: 'test://static-text', text: 'This is the content of the static text resource.' }],
      },
    });
    expect(ok(await client.readResource('test://static-binary'))).toMatchObject({
      kind: 'complete',
      result: { contents: [{ mimeType: 'image/png', blob: expect.stringMatching(/^iVBOR/) }] },
    });
    const templated = ok(await client.readResource('test://template/123/data'));
    expect(templated.kind === 'complete' && templated.result.contents[0]).toMatchObject({
      uri: 'test://template/123/data',
      text: JSON.stringify({ id: '123', templateTest: true, data: 'Data for ID: 123' }),
    });
    expect(
      ok(await client.getPrompt('test_prompt_with_arguments', { arg1: 'hello', arg2: 'world' })),
    ).toMatchObject({
      kind: 'complete',
      result: {
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: "Prompt with arguments: arg1='hello', arg2='world'" },
          },
        ],
      },
    });
    const image = ok(await client.getPrompt('test_prompt_with_image', undefined));
    expect(image.kind === 'complete' && image.result.messages.map((m) => m.content.type)).toEqual([
      'image',
      'text',
    ]);
  });

  it("hands the upstream's input_required rounds back and forwards the answers", async () => {
    const client = clientFor(fixture(), { capabilities: elicitation });
    const first = ok(await client.callTool('test_input_required_result_elicitation', {}));
    expect(first).toMatchObject({
      kind: 'input_required',
      inputRequests: {
        user_name: { method: 'elicitation/create', params: { message: 'What is your name?' } },
      },
    });
    const second = ok(
      await client.callTool(
        'test_input_required_result_elicitation',
        {},
        {
          inputResponses: { user_name: { action: 'accept', content: { name: 'Ada' } } },
        },
      ),
    );
    expect(second).toMatchObject({
      kind: 'complete',
      result: { content: [{ type: 'text', text: 'Hello, Ada!' }] },
    });
  });

  it('keeps requestState opaque across several rounds, byte for byte', async () => {
    const client = clientFor(fixture(), { capabilities: elicitation });
    const tool = 'test_input_required_result_multi_round';
    const one = ok(await client.callTool(tool, {}));
    if (one.kind !== 'input_required' || !one.requestState) throw new Error('expected round 1 with state');
    const two = ok(
      await client.callTool(
        tool,
        {},
        {
          requestState: one.requestState,
          inputResponses: { step1: { action: 'accept', content: { name: 'Ada' } } },
        },
      ),
    );
    if (two.kind !== 'input_required' || !two.requestState) throw new Error('expected round 2 with state');
    expect(two.requestState).not.toBe(one.requestState);
    expect(Object.keys(two.inputRequests)).toEqual(['step2']);
    const three = ok(
      await client.callTool(
        tool,
        {},
        {
          requestState: two.requestState,
          inputResponses: { step2: { action: 'accept', content: { color: 'green' } } },
        },
      ),
    );
    expect(three).toMatchObject({ kind: 'complete', result: { content: [{ text: 'Ada likes green' }] } });
  });

  it('passes input_required through prompts/get too', async () => {
    const client = clientFor(fixture(), { capabilities: elicitation });
    const first = ok(await client.getPrompt('test_input_required_result_prompt', undefined));
    expect(first).toMatchObject({ kind: 'input_required', inputRequests: { user_context: {} } });
    const second = ok(
      await client.getPrompt('test_input_required_result_prompt', undefined, {
        inputResponses: { user_context: { action: 'accept', content: { context: 'tests' } } },
      }),
    );
    expect(second).toMatchObject({
      kind: 'complete',
      result: { messages: [{ content: { text: 'Use this context: tests' } }] },
    });
  });

  it("reports the upstream's JSON-RPC errors as protocol_error with their code", async () => {
    const client = clientFor(fixture(), { capabilities: elicitation });
    const tampered = await client.callTool(
      'test_input_required_result_tampered_state',
      {},
      {
        requestState: 'v1.not-what-the-server-minted.AAAA',
        inputResponses: { confirm: { action: 'accept', content: { ok: true } } },
      },
    );
    expect(tampered).toMatchObject({ ok: false, failure: { kind: 'protocol_error', rpc: { code: -32602 } } });
    const missing = await client.readResource('test://no-such-resource');
    expect(missing).toMatchObject({
      ok: false,
      failure: { kind: 'protocol_error', upstreamId: expect.any(String), rpc: { code: -32602 } },
    });
    if (!missing.ok) expect(missing.failure.message).toMatch(/^Fixture reported an error: /);
  });
});
