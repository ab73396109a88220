import type { Scope } from '../oauth/scopes';
import { whoAmI } from './account-actions';
import type { Action } from './action';
import {
  createProject,
  deleteProjectAction,
  getProject,
  listMyProjects,
  updateProjectAction,
} from './project-actions';
import {
  completeTask,
  createTask,
  deleteTaskAction,
  getTask,
  listTasksAction,
  moveTaskAction,
  reopenTask,
  searchTasksAction,
  updateTaskAction,
} from './task-actions';

/**
 * The one action registry: every surface (MCP tools, REST v1, Action API v2) is generated from this
 * list. Adding an action here is all it takes to expose it everywhere its scopes allow.
 */
export const ACTIONS: readonly Action[] = Object.freeze([
  whoAmI,
  listMyProjects,
  getProject,
  createProject,
  updateProjectAction,
  deleteProjectAction,
  listTasksAction,
  getTask,
  createTask,
  updateTaskAction,
  completeTask,
  reopenTask,
  moveTaskAction,
  deleteTaskAction,
  searchTasksAction,
]);

const byName = new Map(ACTIONS.map((a) => [a.name, a]));
if (byName.size !== ACTIONS.length) throw new TypeError('duplicate action names in the registry');

export function findAction(name: string): Action | undefined {
  return byName.get(name);
}

/** The actions a surface protected by `scope` exposes. */
export function actionsFor(scope: Scope): readonly Action[] {
  return ACTIONS.filter((a) => a.scopes.includes(scope));
}
