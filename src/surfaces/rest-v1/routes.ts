import { Hono } from 'hono';
import type { Action } from '../../actions/action';
import { findAction } from '../../actions/registry';
import { requireBearer } from '../../auth/require-bearer';
import type { AppContext, AppEnv } from '../../http/context';
import { API_CORS, originGuard } from '../../http/cors';
import { AppError } from '../../http/errors';
import { actionContext, readApiBody } from '../api-common';
import { jsonSchemaOf } from '../json-schema';
import { openApiDocument } from './openapi';
import { pathParams, REST_V1_ROUTES, type RestRoute, takesBody } from './route-table';

export function actionOf(route: RestRoute): Action {
  const action = findAction(route.action);
  if (!action?.scopes.includes('api')) {
    throw new TypeError(`REST route ${route.method} ${route.path}: no API action ${route.action}`);
  }
  return action!;
}

/** Query fields the action declares as numbers, so `?limit=10` can be given to it as 10. */
function numericFields(action: Action): Set<string> {
  const properties = jsonSchemaOf(action.input, 'input').properties;
  const numeric = new Set<string>();
  if (typeof properties !== 'object' || properties === null) return numeric;
  for (const [name, schema] of Object.entries(properties)) {
    if (typeof schema !== 'object' || schema === null) continue;
    const type: unknown = Object.hasOwn(schema, 'type') ? Reflect.get(schema, 'type') : undefined;
    if (type === 'integer' || type === 'number') numeric.add(name);
  }
  return numeric;
}

/** Each query parameter at most once; numbers where the action wants numbers, else strings. */
function queryInput(c: AppContext, numeric: Set<string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(c.req.queries())) {
    if (values.length !== 1) {
      throw new AppError('bad_request', 'Each query parameter may appear only once.', {
        details: { fields: [{ path: key, message: 'Repeated.' }] },
      });
    }
    const value = values[0]!;
    input[key] = numeric.has(key) && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
  }
  return input;
}

/**
 * REST API v1: the routes of `REST_V1_ROUTES`, each a thin adapter over its registry action, answered
 * `{ ok: true, ...output }`. Also the public OpenAPI document generated from the same table.
 */
export function restV1Routes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guard = originGuard(API_CORS);
  const bearer = requireBearer({ requiredScope: 'api' });

  let document: Record<string, unknown> | undefined;
  app.get('/api/v1/openapi.json', function openApi(c) {
    document ??= openApiDocument();
    return c.json(document, 200, {
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': 'public, max-age=300',
    });
  });

  const methodsByPath = new Map<string, string[]>();
  for (const route of REST_V1_ROUTES) {
    const action = actionOf(route);
    const params = pathParams(route.path);
    const numeric = numericFields(action);
    const withBody = takesBody(route);
    methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
    app.on(route.method, route.path, guard, bearer, async function restAction(c) {
      const input = withBody ? await readApiBody(c) : queryInput(c, numeric);
      for (const name of params) input[name] = c.req.param(name);
      const output = await action.invoke(c.get('principal'), input, actionContext(c));
      return c.json({ ok: true, ...output }, route.status ?? 200, { 'Cache-Control': 'no-store' });
    });
  }
  for (const [path, methods] of methodsByPath) {
    const allow = methods.join(', ');
    app.all(path, guard, bearer, function methodNotAllowed() {
      throw new AppError('method_not_allowed', `Use ${allow} here.`, { headers: { Allow: allow } });
    });
  }
  return app;
}
