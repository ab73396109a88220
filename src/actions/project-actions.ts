import { z } from 'zod';
import { AppError } from '../http/errors';
import { accountGone, defineAction, notFound } from './action';
import { encodeCursor, parseCursor } from './cursor';
import { cursor, LIMITS, line, pageSize, projectId, projectSchema, text } from './schemas';
import {
  deleteProject,
  findProject,
  findProjectWithTaskCount,
  insertProject,
  listProjects,
  updateProject,
} from './store/projects';

const title = line(LIMITS.titleLength).describe(`Project title (1–${LIMITS.titleLength} characters).`);
const description = text(LIMITS.descriptionLength).describe(
  `Longer description (up to ${LIMITS.descriptionLength} characters).`,
);

export const listMyProjects = defineAction({
  name: 'listMyProjects',
  title: 'List my projects',
  description: 'Lists your projects, newest first. Pass nextCursor back as cursor to get the next page.',
  input: z.strictObject({ cursor: cursor.optional(), limit: pageSize.optional() }),
  output: z.object({ projects: z.array(projectSchema), nextCursor: z.string().nullable() }),
  annotations: { readOnly: true, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const page = await listProjects(ctx.db, principal.userId, {
      limit: input.limit ?? LIMITS.defaultPageSize,
      after: input.cursor ? parseCursor(input.cursor) : undefined,
    });
    return {
      projects: page.projects,
      nextCursor: page.more && page.last ? encodeCursor(page.last) : null,
    };
  },
});

export const getProject = defineAction({
  name: 'getProject',
  title: 'Get a project',
  description: 'Returns one of your projects by id.',
  input: z.strictObject({ projectId }),
  output: z.object({ project: projectSchema }),
  annotations: { readOnly: true, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const project = await findProject(ctx.db, principal.userId, input.projectId);
    if (!project) throw notFound('project');
    return { project };
  },
});

export const createProject = defineAction({
  name: 'createProject',
  title: 'Create a project',
  description: 'Creates a new, empty project and returns it with its id.',
  input: z.strictObject({ title, description: description.optional() }),
  output: z.object({ project: projectSchema }),
  annotations: { readOnly: false, destructive: false, idempotent: false },
  async handler(principal, input, ctx) {
    const result = await insertProject(
      ctx.db,
      principal.userId,
      { title: input.title, description: input.description ?? '' },
      ctx.now,
    );
    if ('error' in result) {
      // A valid token for an account that no longer exists: the token is what is wrong.
      if (result.error === 'no_account') throw accountGone();
      throw new AppError('limit_reached', `You already have ${LIMITS.projectsPerUser} projects.`);
    }
    return result;
  },
});

export const updateProjectAction = defineAction({
  name: 'updateProject',
  title: 'Update a project',
  description:
    'Changes the title and/or description of one of your projects. Omitted fields stay as they are.',
  input: z.strictObject({ projectId, title: title.optional(), description: description.optional() }),
  output: z.object({ project: projectSchema }),
  annotations: { readOnly: false, destructive: false, idempotent: true },
  async handler(principal, input, ctx) {
    const project = await updateProject(
      ctx.db,
      principal.userId,
      input.projectId,
      { title: input.title, description: input.description },
      ctx.now,
    );
    if (!project) throw notFound('project');
    return { project };
  },
});

export const deleteProjectAction = defineAction({
  name: 'deleteProject',
  title: 'Delete a project',
  description: 'Deletes one of your projects and every task in it. This cannot be undone.',
  input: z.strictObject({ projectId }),
  output: z.object({ deleted: z.literal(true), projectId: z.string(), deletedTasks: z.number().int() }),
  annotations: { readOnly: false, destructive: true, idempotent: true },
  async handler(principal, input, ctx) {
    const result = await deleteProject(ctx.db, principal.userId, input.projectId);
    if (!result) throw notFound('project');
    return { deleted: true as const, projectId: input.projectId, deletedTasks: result.deletedTasks };
  },
  async confirm(principal, input, ctx) {
    const found = await findProjectWithTaskCount(ctx.db, principal.userId, input.projectId);
    if (!found) throw notFound('project');
    const { project, taskCount } = found;
    const tasks = taskCount === 1 ? 'its 1 task' : `its ${taskCount} tasks`;
    return {
      question: `Delete the project "${project.title}" and ${tasks}? This cannot be undone.`,
      fingerprint: `${project.id}:${project.updatedAt}:${taskCount}`,
    };
  },
});
