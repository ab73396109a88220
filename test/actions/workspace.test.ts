import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ACTIONS, findAction } from '../../src/actions/registry';
import { LIMITS } from '../../src/actions/schemas';
import type { Principal } from '../../src/auth/principal';
import { AppError } from '../../src/http/errors';
import { createUser } from '../helpers/app';

/** Behaviour of the workspace actions themselves, called through the registry as every surface does. */
async function principal(scopes: string[] = ['api']): Promise<Principal> {
  const user = await createUser({ verified: true });
  return { userId: user.id, clientId: 'c', scopes, kind: 'oauth', credentialId: 'g' };
}

interface TaskOut {
  id: string;
  projectId: string;
  text: string;
  notes: string;
  doneAt: string | null;
  dueDate: string | null;
  position: number;
}
/** The union of the workspace outputs, for terse assertions; the registry tests check real schemas. */
interface Out {
  project: { id: string };
  projects: { id: string }[];
  task: TaskOut;
  tasks: TaskOut[];
  nextCursor: string | null;
  deletedTasks: number;
}

let clock = 1_800_000_000;
async function run(p: Principal, name: string, input: Record<string, unknown>): Promise<Out> {
  clock += 1;
  return (await findAction(name)!.invoke(p, input, { db: env.DB, now: clock })) as unknown as Out;
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'no error';
}

async function projectWithTasks(p: Principal, count: number) {
  const { project } = await run(p, 'createProject', { title: 'P' });
  const projectId: string = project.id;
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await run(p, 'createTask', { projectId, text: `task ${i}` })).task.id);
  return { projectId, ids };
}

describe('workspace actions', () => {
  it('refuses a principal whose scopes allow none of the surfaces', async () => {
    const p = await principal(['openid']);
    for (const action of ACTIONS) expect(await code(run(p, action.name, {}))).toBe('insufficient_scope');
  });

  it('pages tasks with a cursor, in order, without gaps or repeats, and filters open/done', async () => {
    const p = await principal();
    const { projectId, ids } = await projectWithTasks(p, 7);
    await run(p, 'completeTask', { taskId: ids[1] });
    await run(p, 'completeTask', { taskId: ids[4] });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await run(p, 'listTasks', { projectId, limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.tasks.length).toBeLessThanOrEqual(3);
      seen.push(...page.tasks.map((t: { id: string }) => t.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(ids);
    const done = await run(p, 'listTasks', { projectId, status: 'done' });
    expect(done.tasks.map((t: { id: string }) => t.id)).toEqual([ids[1], ids[4]]);
    const open = await run(p, 'listTasks', { projectId, status: 'open', limit: 2 });
    expect(open.tasks.map((t: { id: string }) => t.id)).toEqual([ids[0], ids[2]]);
    const rest = await run(p, 'listTasks', { projectId, status: 'open', cursor: open.nextCursor });
    expect(rest.tasks.map((t: { id: string }) => t.id)).toEqual([ids[3], ids[5], ids[6]]);
  });

  it('pages projects newest first', async () => {
    const p = await principal();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await run(p, 'createProject', { title: `p${i}` })).project.id);
    const first = await run(p, 'listMyProjects', { limit: 2 });
    const second = await run(p, 'listMyProjects', { limit: 2, cursor: first.nextCursor });
    const third = await run(p, 'listMyProjects', { limit: 2, cursor: second.nextCursor });
    const ids = [...first.projects, ...second.projects, ...third.projects].map((x: { id: string }) => x.id);
    expect(ids).toEqual(made.reverse());
    expect(third.nextCursor).toBeNull();
  });

  it('refuses forged or foreign cursors and out-of-range page sizes', async () => {
    const p = await principal();
    for (const cursor of ['!!', 'e30', btoa('[1,2]'), 'x'.repeat(600), btoa('["a","b"]')]) {
      expect(await code(run(p, 'listMyProjects', { cursor })), cursor).toBe('validation_failed');
    }
    for (const limit of [0, -1, LIMITS.pageSize + 1, 1.5, '10']) {
      expect(await code(run(p, 'listMyProjects', { limit })), String(limit)).toBe('validation_failed');
    }
  });

  it('moves a task to an index, keeping the rest in order, and into another project', async () => {
    const p = await principal();
    const { projectId, ids } = await projectWithTasks(p, 4);
    await run(p, 'moveTask', { taskId: ids[3], projectId, index: 0 });
    const order = async (id: string) =>
      (await run(p, 'listTasks', { projectId: id })).tasks.map((t: { id: string }) => t.id);
    expect(await order(projectId)).toEqual([ids[3], ids[0], ids[1], ids[2]]);
    await run(p, 'moveTask', { taskId: ids[3], projectId, index: 2 });
    expect(await order(projectId)).toEqual([ids[0], ids[1], ids[3], ids[2]]);
    await run(p, 'moveTask', { taskId: ids[0], projectId });
    expect(await order(projectId)).toEqual([ids[1], ids[3], ids[2], ids[0]]);
    const other = await projectWithTasks(p, 2);
    const moved = await run(p, 'moveTask', { taskId: ids[2], projectId: other.projectId, index: 1 });
    expect(moved.task.projectId).toBe(other.projectId);
    expect(await order(other.projectId)).toEqual([other.ids[0], ids[2], other.ids[1]]);
    expect(await order(projectId)).toEqual([ids[1], ids[3], ids[0]]);
  });

  it('never moves a task into another user’s project, nor another user’s task anywhere', async () => {
    const me = await principal();
    const them = await principal();
    const mine = await projectWithTasks(me, 1);
    const theirs = await projectWithTasks(them, 2);
    expect(await code(run(me, 'moveTask', { taskId: mine.ids[0], projectId: theirs.projectId }))).toBe(
      'not_found',
    );
    expect(await code(run(me, 'moveTask', { taskId: theirs.ids[0], projectId: mine.projectId }))).toBe(
      'not_found',
    );
    const theirOrder = (await run(them, 'listTasks', { projectId: theirs.projectId })).tasks;
    expect(theirOrder.map((t: { id: string; position: number }) => [t.id, t.position])).toEqual([
      [theirs.ids[0], 1],
      [theirs.ids[1], 2],
    ]);
    expect((await run(me, 'getTask', { taskId: mine.ids[0] })).task.projectId).toBe(mine.projectId);
  });

  it('keeps the first completion time when completing twice, and clears it on reopen', async () => {
    const p = await principal();
    const { ids } = await projectWithTasks(p, 1);
    const first = await run(p, 'completeTask', { taskId: ids[0] });
    const second = await run(p, 'completeTask', { taskId: ids[0] });
    expect(second.task.doneAt).toBe(first.task.doneAt);
    expect((await run(p, 'reopenTask', { taskId: ids[0] })).task.doneAt).toBeNull();
  });

  it('updates only the given fields; dueDate null clears it', async () => {
    const p = await principal();
    const { projectId } = await projectWithTasks(p, 0);
    const { task } = await run(p, 'createTask', { projectId, text: 't', notes: 'n', dueDate: '2030-05-05' });
    expect((await run(p, 'updateTask', { taskId: task.id, text: 'u' })).task).toMatchObject({
      text: 'u',
      notes: 'n',
      dueDate: '2030-05-05',
    });
    expect((await run(p, 'updateTask', { taskId: task.id, dueDate: null })).task.dueDate).toBeNull();
    for (const dueDate of ['2030-13-01', 'tomorrow', '2030-1-1', 20300101]) {
      expect(await code(run(p, 'updateTask', { taskId: task.id, dueDate })), String(dueDate)).toBe(
        'validation_failed',
      );
    }
  });

  it('searches literally: % and _ are not wildcards, and case does not matter', async () => {
    const p = await principal();
    const { projectId } = await projectWithTasks(p, 0);
    await run(p, 'createTask', { projectId, text: 'Ship 100% of FEATURES' });
    await run(p, 'createTask', { projectId, text: 'ship 1000 of features' });
    await run(p, 'createTask', { projectId, text: 'a_b', notes: 'contains the word Needle' });
    const texts = async (query: string) =>
      (await run(p, 'searchTasks', { query })).tasks.map((t: { text: string }) => t.text).sort();
    expect(await texts('100%')).toEqual(['Ship 100% of FEATURES']);
    expect(await texts('features')).toEqual(['Ship 100% of FEATURES', 'ship 1000 of features']);
    expect(await texts('a_b')).toEqual(['a_b']);
    expect(await texts('_')).toEqual(['a_b']);
    expect(await texts('needle')).toEqual(['a_b']);
  });

  it('deleting a project deletes its tasks', async () => {
    const p = await principal();
    const { projectId, ids } = await projectWithTasks(p, 3);
    expect((await run(p, 'deleteProject', { projectId })).deletedTasks).toBe(3);
    for (const taskId of ids) expect(await code(run(p, 'getTask', { taskId }))).toBe('not_found');
    expect(await code(run(p, 'deleteProject', { projectId }))).toBe('not_found');
  });

  it('stops at the per-user project limit with limit_reached', async () => {
    const p = await principal();
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
       INSERT INTO projects (id, user_id, title, description, created_at, updated_at)
       SELECT 'bulk_' || ?1 || '_' || i, ?1, 'p', '', 0, 0 FROM n`,
    )
      .bind(p.userId, LIMITS.projectsPerUser)
      .run();
    expect(await code(run(p, 'createProject', { title: 'one too many' }))).toBe('limit_reached');
  });

  it('stops at the per-project task limit with limit_reached', async () => {
    const p = await principal();
    const { projectId } = await projectWithTasks(p, 0);
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
       INSERT INTO tasks (id, user_id, project_id, text, notes, done, position, created_at, updated_at)
       SELECT 'bulk_' || ?2 || '_' || i, ?1, ?2, 't', '', 0, i, 0, 0 FROM n`,
    )
      .bind(p.userId, projectId, LIMITS.tasksPerProject)
      .run();
    expect(await code(run(p, 'createTask', { projectId, text: 'one too many' }))).toBe('limit_reached');
  });

  it('moveTask stops at the per-project task limit like createTask, and still reorders a full project', async () => {
    const p = await principal();
    const { projectId } = await projectWithTasks(p, 0);
    const other = await projectWithTasks(p, 1);
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
       INSERT INTO tasks (id, user_id, project_id, text, notes, done, position, created_at, updated_at)
       SELECT 'bulk_' || ?2 || '_' || i, ?1, ?2, 't', '', 0, i, 0, 0 FROM n`,
    )
      .bind(p.userId, projectId, LIMITS.tasksPerProject)
      .run();
    expect(await code(run(p, 'moveTask', { taskId: other.ids[0], projectId }))).toBe('limit_reached');
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM tasks WHERE project_id = ?')
      .bind(projectId)
      .first<{ n: number }>();
    expect(count).toEqual({ n: LIMITS.tasksPerProject });
    const reordered = await run(p, 'moveTask', { taskId: `bulk_${projectId}_9`, projectId, index: 0 });
    expect(reordered).toMatchObject({ task: { id: `bulk_${projectId}_9`, projectId } });
  });

  it('refuses hostile strings: control characters, over-long text, wrong types', async () => {
    const p = await principal();
    const { projectId } = await projectWithTasks(p, 0);
    const bad: Record<string, unknown>[] = [
      { projectId, text: 'a\u0007b' },
      { projectId, text: 'new\nline' },
      { projectId, text: 'x'.repeat(LIMITS.taskTextLength + 1) },
      { projectId, text: ['array'] },
      { projectId, text: 't', notes: 'bell\u0007' },
      { projectId: `${projectId}' OR 1=1 --`, text: 't' },
      { projectId: 'x'.repeat(65), text: 't' },
    ];
    for (const input of bad)
      expect(await code(run(p, 'createTask', input)), JSON.stringify(input).slice(0, 60)).toBe(
        'validation_failed',
      );
  });
});
