import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { insertProject } from '../../src/actions/store/projects';
import { insertTask } from '../../src/actions/store/tasks';
import { createUser } from '../helpers/app';

/** What each user starts with in a registry-generated test: two projects, a task in the first. */
export interface Seed {
  userId: string;
  projectId: string;
  otherProjectId: string;
  taskId: string;
  taskText: string;
}

export async function seedUser(): Promise<Seed> {
  const user = await createUser({ verified: true });
  const now = Math.floor(Date.now() / 1000);
  const seeded = await insertProject(env.DB, user.id, { title: 'Seed project', description: 'd' }, now);
  const second = await insertProject(env.DB, user.id, { title: 'Other project', description: '' }, now);
  if ('error' in seeded || 'error' in second) throw new Error('seedUser: projects not created');
  const { project } = seeded;
  const other = second.project;
  const taskText = `Seed task ${crypto.randomUUID().slice(0, 8)}`;
  const task = await insertTask(
    env.DB,
    user.id,
    { projectId: project.id, text: taskText, notes: '', dueDate: null },
    now,
  );
  if (!('task' in task)) throw new Error('seed task failed');
  return {
    userId: user.id,
    projectId: project.id,
    otherProjectId: other.id,
    taskId: task.task.id,
    taskText,
  };
}

/** Everything a user owns, for before/after comparisons. */
export async function workspaceOf(userId: string): Promise<string> {
  const projects = await env.DB.prepare('SELECT * FROM projects WHERE user_id = ? ORDER BY id')
    .bind(userId)
    .all();
  const tasks = await env.DB.prepare('SELECT * FROM tasks WHERE user_id = ? ORDER BY id').bind(userId).all();
  return JSON.stringify([projects.results, tasks.results]);
}

export interface Fixture {
  /** A valid input for the seeded user. Inputs naming a project or task id are checked for isolation. */
  input(seed: Seed): Record<string, unknown>;
  /** What the output must say beyond matching the action's output schema. */
  check(output: Record<string, unknown>, seed: Seed): void;
}

const get = (o: Record<string, unknown>, key: string) => o[key] as Record<string, unknown>;
const ids = (list: unknown) => (list as { id: string }[]).map((x) => x.id);

/**
 * One fixture per registry action. The registry test fails for an action without one, so a new
 * action is exercised on every surface (and for cross-user isolation) as soon as it is added.
 */
export const FIXTURES: Record<string, Fixture> = {
  whoAmI: {
    input: () => ({}),
    check: (out, seed) => {
      expect(out.userId).toBe(seed.userId);
      expect(out.tokenKind).toBe('oauth');
    },
  },
  listMyProjects: {
    input: () => ({}),
    check: (out, seed) => {
      expect(ids(out.projects).sort()).toEqual([seed.projectId, seed.otherProjectId].sort());
      expect(out.nextCursor).toBeNull();
    },
  },
  getProject: {
    input: (s) => ({ projectId: s.projectId }),
    check: (out, seed) => expect(get(out, 'project').id).toBe(seed.projectId),
  },
  createProject: {
    input: () => ({ title: 'Launch plan', description: 'Everything for the launch' }),
    check: (out) => {
      expect(get(out, 'project').title).toBe('Launch plan');
      expect(get(out, 'project').id).toMatch(/^prj_[A-Za-z0-9_-]{22}$/);
    },
  },
  updateProject: {
    input: (s) => ({ projectId: s.projectId, title: 'Renamed' }),
    check: (out) => {
      expect(get(out, 'project').title).toBe('Renamed');
      expect(get(out, 'project').description).toBe('d');
    },
  },
  deleteProject: {
    input: (s) => ({ projectId: s.projectId }),
    check: (out, seed) => expect(out).toEqual({ deleted: true, projectId: seed.projectId, deletedTasks: 1 }),
  },
  listTasks: {
    input: (s) => ({ projectId: s.projectId, status: 'open' }),
    check: (out, seed) => {
      expect(ids(out.tasks)).toEqual([seed.taskId]);
      expect(out.nextCursor).toBeNull();
    },
  },
  getTask: {
    input: (s) => ({ taskId: s.taskId }),
    check: (out, seed) => expect(get(out, 'task').text).toBe(seed.taskText),
  },
  createTask: {
    input: (s) => ({ projectId: s.projectId, text: 'Write the tests', dueDate: '2030-01-02' }),
    check: (out, seed) => {
      const task = get(out, 'task');
      expect(task).toMatchObject({
        projectId: seed.projectId,
        text: 'Write the tests',
        dueDate: '2030-01-02',
        done: false,
      });
      expect(task.position).toBe(2);
      expect(task.id).toMatch(/^tsk_[A-Za-z0-9_-]{22}$/);
    },
  },
  updateTask: {
    input: (s) => ({ taskId: s.taskId, notes: 'line one\nline two', dueDate: '2031-12-31' }),
    check: (out, seed) =>
      expect(get(out, 'task')).toMatchObject({
        text: seed.taskText,
        notes: 'line one\nline two',
        dueDate: '2031-12-31',
      }),
  },
  completeTask: {
    input: (s) => ({ taskId: s.taskId }),
    check: (out) => {
      expect(get(out, 'task').done).toBe(true);
      expect(get(out, 'task').doneAt).toEqual(expect.any(String));
    },
  },
  reopenTask: {
    input: (s) => ({ taskId: s.taskId }),
    check: (out) => expect(get(out, 'task')).toMatchObject({ done: false, doneAt: null }),
  },
  moveTask: {
    input: (s) => ({ taskId: s.taskId, projectId: s.otherProjectId, index: 0 }),
    check: (out, seed) =>
      expect(get(out, 'task')).toMatchObject({ id: seed.taskId, projectId: seed.otherProjectId }),
  },
  deleteTask: {
    input: (s) => ({ taskId: s.taskId }),
    check: (out, seed) => expect(out).toEqual({ deleted: true, taskId: seed.taskId }),
  },
  searchTasks: {
    input: (s) => ({ query: s.taskText.slice(-8) }),
    check: (out, seed) => expect(ids(out.tasks)).toEqual([seed.taskId]),
  },
};

/** Whether the fixture's input names a project or task, i.e. whether another user must get not_found. */
export function namesARecord(input: Record<string, unknown>): boolean {
  return 'projectId' in input || 'taskId' in input;
}
