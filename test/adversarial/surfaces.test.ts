import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions/registry';
import { apiCall, callTool, mcpPost, signedInApp } from '../surfaces/support';
import {
  expectSafeResponse,
  fc,
  hostileJson,
  hostileString,
  params,
  RUNS,
  rowsOf,
  secretsToHide,
} from './support';

/**
 * /mcp, REST v1 and the Action API v2 under hostile input from one person while another person's
 * project and task exist: no 5xx, no secret, errors in the surface's shape, and nothing of the other
 * person is ever read, changed or deleted (IDOR on every action).
 */

const VICTIM_TITLE = 'victim-project-title-7f3a';
const VICTIM_TASK = 'victim-task-text-91bc';

async function world() {
  const victim = await signedInApp('mcp api');
  const project = await callTool(victim.app, victim.token, 'createProject', { title: VICTIM_TITLE });
  const projectId = (project.structuredContent!.project as { id: string }).id;
  const task = await callTool(victim.app, victim.token, 'createTask', { projectId, text: VICTIM_TASK });
  const taskId = (task.structuredContent!.task as { id: string }).id;
  const attacker = await signedInApp('mcp api');
  const rows = [
    `SELECT * FROM projects WHERE user_id = '${victim.user.id}'`,
    `SELECT * FROM tasks WHERE user_id = '${victim.user.id}'`,
  ];
  const secrets = await secretsToHide([victim.token, VICTIM_TITLE, VICTIM_TASK, victim.user.email]);
  return { victim, attacker, projectId, taskId, rows, secrets };
}

const actionName = fc.oneof(fc.constantFrom(...ACTIONS.map((a) => a.name)), hostileString);

function argsWith(ids: string[]) {
  const id = fc.oneof(fc.constantFrom(...ids), hostileString);
  return fc.oneof(
    fc.record(
      {
        projectId: id,
        taskId: id,
        toProjectId: id,
        title: hostileJson,
        text: hostileJson,
        notes: hostileJson,
        done: hostileJson,
        dueDate: hostileJson,
        query: hostileJson,
        cursor: hostileJson,
        limit: hostileJson,
        position: hostileJson,
      },
      { requiredKeys: [] },
    ),
    hostileJson,
  );
}

describe('adversarial: POST /mcp', () => {
  it(`keeps every invariant over ${RUNS.cheap * 2} hostile JSON-RPC messages`, async () => {
    const w = await world();
    const message = fc.oneof(
      fc.record({
        jsonrpc: fc.oneof(fc.constant('2.0'), hostileJson),
        id: fc.oneof(fc.integer(), hostileString, fc.constant(null)),
        method: fc.oneof(
          fc.constantFrom('tools/call', 'tools/list', 'resources/read', 'ping', 'initialize'),
          hostileString,
        ),
        params: fc.oneof(
          fc.record({ name: actionName, arguments: argsWith([w.projectId, w.taskId]) }),
          fc.record({ uri: fc.oneof(fc.constant(`gatehouse://projects/${w.projectId}`), hostileString) }),
          hostileJson,
        ),
      }),
      hostileJson,
    );
    const body = fc.oneof(
      { weight: 8, arbitrary: message.map((m) => JSON.stringify(m)) },
      { weight: 1, arbitrary: fc.array(message, { maxLength: 3 }).map((m) => JSON.stringify(m)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '{',
          '',
          '\u0000',
          '[',
          '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":',
        ),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom('2025-03-26', '2025-06-18', '2025-11-25', 'bogus'),
        async (b, version) => {
          const before = await rowsOf(w.rows);
          const res = await mcpPost(w.attacker.app, w.attacker.token, b, { 'mcp-protocol-version': version });
          await expectSafeResponse(res, 'mcp', w.secrets);
          expect(await rowsOf(w.rows)).toBe(before);
        },
      ),
      params(RUNS.cheap * 2),
    );
  });
});

describe('adversarial: REST v1 and Action API v2', () => {
  it(`keep every invariant over ${RUNS.cheap * 2} hostile calls`, async () => {
    const w = await world();
    const id = fc.oneof(fc.constantFrom(w.projectId, w.taskId), hostileString.map(encodeURIComponent));
    const restPath = fc.oneof(
      fc.constantFrom('/api/v1/me', '/api/v1/me/projects', '/api/v1/tasks', '/api/v1/projects'),
      id.map((i) => `/api/v1/projects/${i}`),
      id.map((i) => `/api/v1/projects/${i}/tasks`),
      id.map((i) => `/api/v1/tasks/${i}`),
      fc.tuple(id, fc.constantFrom('complete', 'reopen', 'move')).map(([i, a]) => `/api/v1/tasks/${i}/${a}`),
      fc.constantFrom(
        '/api/v1/../v1/me',
        '/api/v1/%2e%2e/me',
        '/api/v1//me',
        '/api/v1/me/projects?limit=-1&cursor=%00',
      ),
    );
    const call = fc.oneof(
      fc.record({
        method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
        path: restPath,
        body: fc.option(argsWith([w.projectId, w.taskId]), { nil: undefined }),
      }),
      fc.record({
        method: fc.constant('POST'),
        path: actionName.map((n) => `/api/v2/${encodeURIComponent(n)}`),
        body: fc.option(argsWith([w.projectId, w.taskId]), { nil: undefined }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(call, fc.constantFrom('application/json', 'text/plain', ''), async (c, type) => {
        const before = await rowsOf(w.rows);
        const res = await apiCall(
          w.attacker.app,
          w.attacker.token,
          c.method,
          c.path,
          c.method === 'GET' ? undefined : c.body,
          type ? { 'content-type': type } : {},
        );
        await expectSafeResponse(res, 'api', w.secrets);
        expect(await rowsOf(w.rows)).toBe(before);
      }),
      params(RUNS.cheap * 2),
    );
  });
});
