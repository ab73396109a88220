import type { ActionContext } from '../actions/action';
import { DEFAULT_BODY_LIMIT, readJsonObject } from '../http/body';
import { type AppContext, nowSeconds } from '../http/context';

/** What every action needs from a request on any surface. */
export function actionContext(c: AppContext): ActionContext {
  return { db: c.env.DB, now: nowSeconds(c) };
}

/**
 * The JSON body of an API call. A request with no body at all (no `Content-Type`, length 0) counts as
 * `{}`, so `curl -X POST …/listMyProjects` works; any body present must be an `application/json`
 * object within the size limit (415 / 413 / 400 otherwise).
 */
export async function readApiBody(c: AppContext): Promise<Record<string, unknown>> {
  const request = c.req.raw;
  const length = request.headers.get('content-length');
  if (!request.headers.has('content-type') && (request.body === null || length === '0')) return {};
  return readJsonObject(request, DEFAULT_BODY_LIMIT);
}
