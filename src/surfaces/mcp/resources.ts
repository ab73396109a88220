import type {
  ListResourcesResult,
  ReadResourceResult,
  ResourceTemplateType,
} from '@modelcontextprotocol/server';
import { type ActionContext, notFound } from '../../actions/action';
import { encodeCursor, parseCursor } from '../../actions/cursor';
import { LIMITS } from '../../actions/schemas';
import { findProject, listProjects } from '../../actions/store/projects';
import { listTasks } from '../../actions/store/tasks';
import type { Principal } from '../../auth/principal';
import { AppError } from '../../http/errors';

/**
 * Projects as MCP resources, `gatehouse://projects/{projectId}`: a project and its first page of tasks
 * as JSON, read with the same user-scoped queries as the tools.
 */
export const PROJECT_TEMPLATE: ResourceTemplateType = {
  uriTemplate: 'gatehouse://projects/{projectId}',
  name: 'project',
  title: 'Project',
  description: 'One of your projects with its tasks, as JSON.',
  mimeType: 'application/json',
};

const PROJECT_URI = /^gatehouse:\/\/projects\/([A-Za-z0-9_-]{1,64})$/;

export async function listProjectResources(
  principal: Principal,
  cursor: string | undefined,
  ctx: ActionContext,
): Promise<ListResourcesResult> {
  const page = await listProjects(ctx.db, principal.userId, {
    limit: LIMITS.defaultPageSize,
    after: cursor ? parseCursor(cursor) : undefined,
  });
  return {
    resources: page.projects.map((p) => ({
      uri: `gatehouse://projects/${p.id}`,
      name: p.title,
      title: p.title,
      mimeType: 'application/json',
    })),
    ...(page.more && page.last ? { nextCursor: encodeCursor(page.last) } : {}),
  };
}

export async function readProjectResource(
  principal: Principal,
  uri: string,
  ctx: ActionContext,
): Promise<ReadResourceResult> {
  const projectId = PROJECT_URI.exec(uri)?.[1];
  if (!projectId) throw new AppError('not_found', 'No resource with that URI.');
  const [project, page] = await Promise.all([
    findProject(ctx.db, principal.userId, projectId),
    listTasks(ctx.db, principal.userId, projectId, {
      status: 'all',
      limit: LIMITS.pageSize,
      after: undefined,
    }),
  ]);
  if (!project || !page) throw notFound('project');
  return {
    contents: [
      {
        uri,
        mimeType: 'application/json',
        text: JSON.stringify({ project, tasks: page.tasks, moreTasks: page.more }),
      },
    ],
  };
}
