import { z } from 'zod';
import { AppError } from '../http/errors';
import { defineAction, notFound } from './action';
import { encodeCursor, parseCursor } from './cursor';
import { cursor, dueDate, LIMITS, line, pageSize, projectId, taskId, taskSchema, text } from './schemas';
import {
  deleteTask,
  findTask,
  insertTask,
  listTasks,
  moveTask,
  searchTasks,
  setTaskDone,
  updateTask,
} from './store/tasks';

const taskText = line(LIMITS.taskTextLength).describe(
  `What needs doing (1–${LIMITS.taskTextLength} characters, one line).`,
);
const notes = text(LIMITS.notesLength).describe(`Free-form notes (up to ${LIMITS.notesLength} characters).`);
const status = z
  .enum(['all', 'open', 'done'])
  .describe('Which tasks: all (default), only open ones, or only done ones.');
const taskOutput = z.object({ task: taskSchema });

export const listTasksAction = defineAction({
  name: 'listTasks',
  title: 'List tasks in a project',
  description:
    'Lists the tasks of one of your projects in their order, optionally only open or only done ones. ' +
    'Pass nextCursor back as cursor to get the next page.',
  input: z.strictObject({
    projectId,
    status: status.optional(),
    cursor: cursor.optional(),
    limit: pageSize.optional(),
  }),
  output: z.object({ tasks: z.array(taskSchema), nextCursor: z.string().nullable() }),
  annotations: { readOnly: true, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const page = await listTasks(ctx.db, principal.userId, input.projectId, {
      status: input.status ?? 'all',
      limit: input.limit ?? LIMITS.defaultPageSize,
      after: input.cursor ? parseCursor(input.cursor) : undefined,
    });
    if (!page) throw notFound('project');
    return { tasks: page.tasks, nextCursor: page.more && page.last ? encodeCursor(page.last) : null };
  },
});

export const getTask = defineAction({
  name: 'getTask',
  title: 'Get a task',
  description: 'Returns one of your tasks by id.',
  input: z.strictObject({ taskId }),
  output: taskOutput,
  annotations: { readOnly: true, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const task = await findTask(ctx.db, principal.userId, input.taskId);
    if (!task) throw notFound('task');
    return { task };
  },
});

export const createTask = defineAction({
  name: 'createTask',
  title: 'Create a task',
  description: 'Adds a task at the end of one of your projects and returns it with its id.',
  input: z.strictObject({
    projectId,
    text: taskText,
    notes: notes.optional(),
    dueDate: dueDate.nullable().optional(),
  }),
  output: taskOutput,
  annotations: { readOnly: false, destructive: false, idempotent: false },
  async handler(principal, input, ctx) {
    const result = await insertTask(
      ctx.db,
      principal.userId,
      {
        projectId: input.projectId,
        text: input.text,
        notes: input.notes ?? '',
        dueDate: input.dueDate ?? null,
      },
      ctx.now,
    );
    if ('error' in result) {
      if (result.error === 'project_not_found') throw notFound('project');
      throw new AppError('limit_reached', `A project holds at most ${LIMITS.tasksPerProject} tasks.`);
    }
    return result;
  },
});

export const updateTaskAction = defineAction({
  name: 'updateTask',
  title: 'Update a task',
  description:
    'Changes the text, notes and/or due date of one of your tasks (dueDate null clears it). ' +
    'Omitted fields stay as they are. Use completeTask/reopenTask to change whether it is done.',
  input: z.strictObject({
    taskId,
    text: taskText.optional(),
    notes: notes.optional(),
    dueDate: dueDate.nullable().optional(),
  }),
  output: taskOutput,
  annotations: { readOnly: false, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const task = await updateTask(
      ctx.db,
      principal.userId,
      input.taskId,
      { text: input.text, notes: input.notes, dueDate: input.dueDate },
      ctx.now,
    );
    if (!task) throw notFound('task');
    return { task };
  },
});

export const completeTask = defineAction({
  name: 'completeTask',
  title: 'Complete a task',
  description: 'Marks one of your tasks as done. Completing a done task changes nothing.',
  input: z.strictObject({ taskId }),
  output: taskOutput,
  annotations: { readOnly: false, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const task = await setTaskDone(ctx.db, principal.userId, input.taskId, true, ctx.now);
    if (!task) throw notFound('task');
    return { task };
  },
});

export const reopenTask = defineAction({
  name: 'reopenTask',
  title: 'Reopen a task',
  description: 'Marks one of your done tasks as open again.',
  input: z.strictObject({ taskId }),
  output: taskOutput,
  annotations: { readOnly: false, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const task = await setTaskDone(ctx.db, principal.userId, input.taskId, false, ctx.now);
    if (!task) throw notFound('task');
    return { task };
  },
});

export const moveTaskAction = defineAction({
  name: 'moveTask',
  title: 'Move a task',
  description:
    'Moves one of your tasks to a project (the same one to reorder) at a 0-based index; ' +
    'without an index it goes last.',
  input: z.strictObject({
    taskId,
    projectId: projectId.describe('The project to move the task into (may be its current one).'),
    index: z
      .number()
      .int()
      .min(0)
      .max(LIMITS.tasksPerProject)
      .optional()
      .describe('0-based place among the project’s other tasks; omit to put it last.'),
  }),
  output: taskOutput,
  annotations: { readOnly: false, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const result = await moveTask(
      ctx.db,
      principal.userId,
      input.taskId,
      { projectId: input.projectId, index: input.index },
      ctx.now,
    );
    if ('error' in result) {
      if (result.error === 'not_found') throw notFound('project or task');
      throw new AppError('limit_reached', `A project holds at most ${LIMITS.tasksPerProject} tasks.`);
    }
    return result;
  },
});

export const deleteTaskAction = defineAction({
  name: 'deleteTask',
  title: 'Delete a task',
  description: 'Deletes one of your tasks. This cannot be undone.',
  input: z.strictObject({ taskId }),
  output: z.object({ deleted: z.literal(true), taskId: z.string() }),
  annotations: { readOnly: false, destructive: true, idempotent: true },
  async handler(principal, input, ctx) {
    if (!(await deleteTask(ctx.db, principal.userId, input.taskId))) throw notFound('task');
    return { deleted: true as const, taskId: input.taskId };
  },
});

export const searchTasksAction = defineAction({
  name: 'searchTasks',
  title: 'Search tasks',
  description:
    'Finds your tasks, across all your projects, whose text or notes contain the query ' +
    '(case-insensitive), most recently changed first.',
  input: z.strictObject({
    query: line(LIMITS.queryLength).describe('Text to look for.'),
    status: status.optional(),
    limit: z
      .number()
      .int()
      .min(1)
      .max(LIMITS.searchResults)
      .optional()
      .describe(`How many tasks to return at most (1–${LIMITS.searchResults}, default 20).`),
  }),
  output: z.object({ tasks: z.array(taskSchema) }),
  annotations: { readOnly: true, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const tasks = await searchTasks(ctx.db, principal.userId, {
      text: input.query,
      status: input.status ?? 'all',
      limit: input.limit ?? 20,
    });
    return { tasks };
  },
});
