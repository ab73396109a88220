/**
 * REST API v1: which HTTP route serves which registry action. This table is the only per-action
 * knowledge in the REST surface; input comes from the path parameters plus the query string (GET,
 * DELETE) or the JSON body (POST, PATCH), and is validated by the action itself.
 */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Hono path; `:name` parameters are action input fields of the same name. */
  path: string;
  action: string;
  /** 201 for routes that create something. */
  status?: 200 | 201;
}

export const REST_V1_ROUTES: readonly RestRoute[] = [
  { method: 'GET', path: '/api/v1/me', action: 'whoAmI' },
  { method: 'GET', path: '/api/v1/me/projects', action: 'listMyProjects' },
  { method: 'POST', path: '/api/v1/projects', action: 'createProject', status: 201 },
  { method: 'GET', path: '/api/v1/projects/:projectId', action: 'getProject' },
  { method: 'PATCH', path: '/api/v1/projects/:projectId', action: 'updateProject' },
  { method: 'DELETE', path: '/api/v1/projects/:projectId', action: 'deleteProject' },
  { method: 'GET', path: '/api/v1/projects/:projectId/tasks', action: 'listTasks' },
  { method: 'POST', path: '/api/v1/projects/:projectId/tasks', action: 'createTask', status: 201 },
  { method: 'GET', path: '/api/v1/tasks', action: 'searchTasks' },
  { method: 'GET', path: '/api/v1/tasks/:taskId', action: 'getTask' },
  { method: 'PATCH', path: '/api/v1/tasks/:taskId', action: 'updateTask' },
  { method: 'DELETE', path: '/api/v1/tasks/:taskId', action: 'deleteTask' },
  { method: 'POST', path: '/api/v1/tasks/:taskId/complete', action: 'completeTask' },
  { method: 'POST', path: '/api/v1/tasks/:taskId/reopen', action: 'reopenTask' },
  { method: 'POST', path: '/api/v1/tasks/:taskId/move', action: 'moveTask' },
];

export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
}

export function takesBody(route: RestRoute): boolean {
  return route.method === 'POST' || route.method === 'PATCH';
}
