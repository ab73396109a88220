import { Hono } from 'hono';
import { actionsFor } from '../../actions/registry';
import { requireBearer } from '../../auth/require-bearer';
import type { AppContext, AppEnv } from '../../http/context';
import { API_CORS, originGuard } from '../../http/cors';
import { AppError } from '../../http/errors';
import { actionContext, readApiBody } from '../api-common';

const actions = new Map(actionsFor('api').map((a) => [a.name, a]));

function actionFor(c: AppContext) {
  const action = actions.get(c.req.param('action') ?? '');
  if (!action) throw new AppError('not_found', 'There is no action with that name.');
  return action;
}

/**
 * The Action API: `POST /api/v2/<actionName>` with the action's input as a JSON object, answered
 * `{ ok: true, result }`. One route serves every action in the registry; an unknown name is 404, any
 * other method 405.
 */
export function actionApiV2Routes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guard = originGuard(API_CORS);
  const bearer = requireBearer({ requiredScope: 'api' });
  app.post('/api/v2/:action', guard, bearer, async function invokeAction(c) {
    const action = actionFor(c);
    const result = await action.invoke(c.get('principal'), await readApiBody(c), actionContext(c));
    return c.json({ ok: true, result }, 200, { 'Cache-Control': 'no-store' });
  });
  app.all('/api/v2/:action', guard, bearer, function methodNotAllowed(c) {
    actionFor(c);
    throw new AppError('method_not_allowed', 'Call actions with POST.', { headers: { Allow: 'POST' } });
  });
  return app;
}
