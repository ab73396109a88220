import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/tokens/secrets';
import { createUser, type TestApp } from '../../helpers/app';
import { callTool, mcpPost, mintAccessToken, modernPost, rpc, signedInApp } from '../support';

/**
 * deleteProject asks the person first (2026-07-28 multi-round-trip requests): an `input_required`
 * result with a form elicitation, then a retry carrying the answer and the bound `requestState`.
 */

const ELICITING = { elicitation: { form: {} } };

interface Result {
  resultType?: string;
  isError?: boolean;
  content?: { text: string }[];
  structuredContent?: Record<string, unknown>;
  inputRequests?: Record<string, { method: string; params: Record<string, unknown> }>;
  requestState?: string;
}
interface RpcBody {
  result?: Result;
  error?: { code: number; message: string };
}

async function projectWithTasks(app: TestApp, token: string, title: string, tasks: number) {
  const created = await callTool(app, token, 'createProject', { title });
  const id = (created.structuredContent!.project as { id: string }).id;
  for (let i = 0; i < tasks; i++) await callTool(app, token, 'createTask', { projectId: id, text: `t${i}` });
  return id;
}

async function exists(app: TestApp, token: string, projectId: string): Promise<boolean> {
  return !(await callTool(app, token, 'getProject', { projectId })).isError;
}

function deleteCall(
  app: TestApp,
  token: string,
  projectId: string,
  retry: { inputResponses?: unknown; requestState?: unknown } = {},
  capabilities: Record<string, unknown> = ELICITING,
) {
  return modernPost(app, token, 'tools/call', {
    capabilities,
    params: { name: 'deleteProject', arguments: { projectId }, ...retry },
  });
}

async function body(res: Promise<Response>): Promise<RpcBody> {
  return (await (await res).json()) as RpcBody;
}

const accept = { confirm: { action: 'accept', content: { confirm: true } } };

describe('deleteProject with a client that declared form elicitation (2026-07-28)', () => {
  it('asks first, naming the project and its task count, and deletes nothing yet', async () => {
    const { app, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Launch', 2);
    const { result } = await body(deleteCall(app, token, id));
    expect(result?.resultType).toBe('input_required');
    expect(typeof result?.requestState).toBe('string');
    const ask = result?.inputRequests?.confirm;
    expect(ask?.method).toBe('elicitation/create');
    expect(ask?.params).toMatchObject({
      mode: 'form',
      message: 'Delete the project "Launch" and its 2 tasks? This cannot be undone.',
      requestedSchema: {
        type: 'object',
        properties: { confirm: { type: 'boolean' } },
        required: ['confirm'],
      },
    });
    expect(result).not.toHaveProperty('ttlMs');
    expect(await exists(app, token, id)).toBe(true);
  });

  it('deletes on an accepted yes that comes back with the state', async () => {
    const { app, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Launch', 2);
    const first = await body(deleteCall(app, token, id));
    const { result } = await body(
      deleteCall(app, token, id, { inputResponses: accept, requestState: first.result?.requestState }),
    );
    expect(result?.resultType).toBe('complete');
    expect(result?.structuredContent).toEqual({ deleted: true, projectId: id, deletedTasks: 2 });
    expect(await exists(app, token, id)).toBe(false);
  });

  for (const [label, answer] of [
    ['declines', { action: 'decline' }],
    ['cancels', { action: 'cancel' }],
    ['answers no', { action: 'accept', content: { confirm: false } }],
  ] as const) {
    it(`keeps the project when the person ${label}`, async () => {
      const { app, token } = await signedInApp('mcp');
      const id = await projectWithTasks(app, token, 'Keep', 1);
      const first = await body(deleteCall(app, token, id));
      const { result } = await body(
        deleteCall(app, token, id, {
          inputResponses: { confirm: answer },
          requestState: first.result?.requestState,
        }),
      );
      expect(result?.resultType).toBe('complete');
      expect(result?.isError).toBe(true);
      expect(result?.content?.[0]?.text).toMatch(/\(declined\)$/);
      expect(await exists(app, token, id)).toBe(true);
    });
  }

  it('asks again (never deletes) for a yes without a state, or a malformed or missing answer', async () => {
    const { app, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Keep', 0);
    const first = await body(deleteCall(app, token, id));
    const state = first.result?.requestState;
    for (const retry of [
      { inputResponses: accept },
      { inputResponses: { confirm: { action: 'accept', content: { confirm: 'yes' } } }, requestState: state },
      { inputResponses: { confirm: { action: 'accept' } }, requestState: state },
      { inputResponses: { other: accept.confirm }, requestState: state },
      { requestState: state },
    ]) {
      const { result } = await body(deleteCall(app, token, id, retry));
      expect(result?.resultType, JSON.stringify(retry)).toBe('input_required');
    }
    expect(await exists(app, token, id)).toBe(true);
  });

  it('ignores extra answers it did not ask for', async () => {
    const { app, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Go', 0);
    const first = await body(deleteCall(app, token, id));
    const { result } = await body(
      deleteCall(app, token, id, {
        inputResponses: { ...accept, unrelated: { action: 'accept', content: { x: 1 } } },
        requestState: first.result?.requestState,
      }),
    );
    expect(result?.structuredContent).toMatchObject({ deleted: true });
  });

  it('asks again when the project changed between the question and the answer', async () => {
    const { app, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Growing', 1);
    const first = await body(deleteCall(app, token, id));
    await callTool(app, token, 'createTask', { projectId: id, text: 'added meanwhile' });
    const { result } = await body(
      deleteCall(app, token, id, { inputResponses: accept, requestState: first.result?.requestState }),
    );
    expect(result?.resultType).toBe('input_required');
    expect(result?.inputRequests?.confirm?.params.message).toContain('its 2 tasks');
    expect(await exists(app, token, id)).toBe(true);
  });

  it('refuses a tampered, foreign or non-string state with -32602 and deletes nothing', async () => {
    const { app, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Keep', 0);
    const first = await body(deleteCall(app, token, id));
    const state = first.result!.requestState!;
    const tampered = `${state.slice(0, 10)}${state[10] === 'A' ? 'B' : 'A'}${state.slice(11)}`;
    for (const requestState of [tampered, 'v1.e30.e30', 'not-a-state', 42, { state }]) {
      const res = await body(deleteCall(app, token, id, { inputResponses: accept, requestState }));
      expect(res.error?.code, JSON.stringify(requestState)).toBe(-32602);
      expect(res.error?.message).toBe('Invalid or expired requestState');
    }
    expect(await exists(app, token, id)).toBe(true);
  });

  it('refuses an expired state with -32602', async () => {
    const { app, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Keep', 0);
    const first = await body(deleteCall(app, token, id));
    app.clock.advance(601);
    const res = await body(
      deleteCall(app, token, id, { inputResponses: accept, requestState: first.result?.requestState }),
    );
    expect(res.error?.code).toBe(-32602);
    expect(await exists(app, token, id)).toBe(true);
  });

  it('refuses a state replayed by another grant of the same person, or for another project', async () => {
    const { app, user, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Mine', 0);
    const other = await projectWithTasks(app, token, 'Other', 0);
    const first = await body(deleteCall(app, token, id));
    const state = first.result?.requestState;
    const otherGrant = await mintAccessToken(app, { userId: user.id, scope: 'mcp', grantId: newId('grt_') });
    const replayed = await body(
      deleteCall(app, otherGrant, id, { inputResponses: accept, requestState: state }),
    );
    expect(replayed.error?.code).toBe(-32602);
    const moved = await body(deleteCall(app, token, other, { inputResponses: accept, requestState: state }));
    expect(moved.error?.code).toBe(-32602);
    expect(await exists(app, token, id)).toBe(true);
    expect(await exists(app, token, other)).toBe(true);
  });

  it('refuses a state replayed by another person (who could not delete the project anyway)', async () => {
    const { app, token } = await signedInApp('mcp');
    const id = await projectWithTasks(app, token, 'Mine', 0);
    const first = await body(deleteCall(app, token, id));
    const intruder = await createUser({ verified: true });
    const theirs = await mintAccessToken(app, { userId: intruder.id, scope: 'mcp' });
    const res = await body(
      deleteCall(app, theirs, id, { inputResponses: accept, requestState: first.result?.requestState }),
    );
    expect(res.error?.code).toBe(-32602);
    expect(await exists(app, token, id)).toBe(true);
  });

  it('answers a project that is not there with a not_found tool error, asking nothing', async () => {
    const { app, token } = await signedInApp('mcp');
    const { result } = await body(deleteCall(app, token, 'prj_missing'));
    expect(result?.isError).toBe(true);
    expect(result?.content?.[0]?.text).toMatch(/\(not_found\)$/);
  });
});

describe('deleteProject with clients that cannot be asked: today’s behaviour', () => {
  for (const [label, capabilities] of [
    ['no capabilities', {}],
    ['URL-mode elicitation only', { elicitation: { url: {} } }],
    ['sampling only', { sampling: {} }],
  ] as const) {
    it(`deletes at once for a 2026-07-28 client with ${label} (never -32021)`, async () => {
      const { app, token } = await signedInApp('mcp');
      const id = await projectWithTasks(app, token, 'Gone', 1);
      const { result } = await body(deleteCall(app, token, id, {}, capabilities));
      expect(result?.resultType).toBe('complete');
      expect(result?.structuredContent).toEqual({ deleted: true, projectId: id, deletedTasks: 1 });
    });
  }

  it('deletes at once for a 2025-11-25 client, whatever it declared at initialize', async () => {
    const { app, token } = await signedInApp('mcp');
    await mcpPost(
      app,
      token,
      rpc('initialize', {
        protocolVersion: '2025-11-25',
        capabilities: ELICITING,
        clientInfo: { name: 'c', version: '1' },
      }),
    );
    const id = await projectWithTasks(app, token, 'Gone', 0);
    const result = await callTool(app, token, 'deleteProject', { projectId: id });
    expect(result.structuredContent).toEqual({ deleted: true, projectId: id, deletedTasks: 0 });
  });

  it('keeps the REST and Action API deletes as they are', async () => {
    const { app, token } = await signedInApp('mcp api');
    const id = await projectWithTasks(app, token, 'Gone', 0);
    const res = await app.fetch('/api/v2/deleteProject', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ projectId: id }),
    });
    expect(await res.json()).toMatchObject({ ok: true, result: { deleted: true } });
  });
});
