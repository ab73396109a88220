import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions/registry';
import { DEFAULT_BODY_LIMIT } from '../../src/http/body';
import { REST_V1_ROUTES } from '../../src/surfaces/rest-v1/route-table';
import { createTestApp } from '../helpers/app';
import { apiCall, signedInApp } from './support';

async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { ok: boolean; error: { code: string } };
  expect(body.ok).toBe(false);
  return body.error.code;
}

describe('Action API v2: POST /api/v2/<action>', () => {
  it('answers { ok: true, result } and treats an empty body as {}', async () => {
    const { app, token, user } = await signedInApp('api');
    const res = await app.fetch('/api/v2/whoAmI', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, result: { userId: user.id, tokenKind: 'oauth' } });
  });

  it('answers an unknown action with 404 and another method with 405 Allow: POST', async () => {
    const { app, token } = await signedInApp('api');
    for (const name of ['nope', 'constructor', '__proto__', 'toString']) {
      const res = await apiCall(app, token, 'POST', `/api/v2/${name}`, {});
      expect(res.status, name).toBe(404);
      expect(await errorCode(res)).toBe('not_found');
    }
    const get = await apiCall(app, token, 'GET', '/api/v2/listMyProjects');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await errorCode(get)).toBe('method_not_allowed');
  });

  it('answers bad bodies with 400, 413 and 415', async () => {
    const { app, token } = await signedInApp('api');
    const cases: [string, Record<string, string>, number, string][] = [
      ['{', { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['[]', { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['"x"', { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['{"title":"x"}', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      ['title=x', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
      [
        JSON.stringify({ title: 'x'.repeat(DEFAULT_BODY_LIMIT) }),
        { 'content-type': 'application/json' },
        413,
        'payload_too_large',
      ],
      ['{"title":5}', { 'content-type': 'application/json' }, 400, 'validation_failed'],
      ['{"title":"ok","owner":"someone"}', { 'content-type': 'application/json' }, 400, 'validation_failed'],
    ];
    for (const [body, headers, status, code] of cases) {
      const res = await app.fetch('/api/v2/createProject', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, ...headers },
        body,
      });
      expect(res.status, body.slice(0, 30)).toBe(status);
      expect(await errorCode(res)).toBe(code);
    }
  });

  it('names the failing fields of a validation error', async () => {
    const { app, token } = await signedInApp('api');
    const res = await apiCall(app, token, 'POST', '/api/v2/createTask', { projectId: 'bad id!', text: '' });
    const body = (await res.json()) as { error: { details: { fields: { path: string }[] } } };
    expect(body.error.details.fields.map((f) => f.path).sort()).toEqual(['projectId', 'text']);
  });
});

describe('REST API v1', () => {
  it('creates with 201 and answers { ok: true, ...output }', async () => {
    const { app, token } = await signedInApp('api');
    const res = await apiCall(app, token, 'POST', '/api/v1/projects', { title: 'REST' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { ok: boolean; project: { id: string } };
    expect(body.ok).toBe(true);
    const task = await apiCall(app, token, 'POST', `/api/v1/projects/${body.project.id}/tasks`, {
      text: 'a',
    });
    expect(task.status).toBe(201);
    const list = await apiCall(
      app,
      token,
      'GET',
      `/api/v1/projects/${body.project.id}/tasks?status=open&limit=10`,
    );
    expect(list.status).toBe(200);
    expect(((await list.json()) as { tasks: unknown[] }).tasks).toHaveLength(1);
  });

  it('turns numeric query parameters into numbers and refuses non-numbers and repeats', async () => {
    const { app, token } = await signedInApp('api');
    expect((await apiCall(app, token, 'GET', '/api/v1/me/projects?limit=2')).status).toBe(200);
    const word = await apiCall(app, token, 'GET', '/api/v1/me/projects?limit=two');
    expect(word.status).toBe(400);
    expect(await errorCode(word)).toBe('validation_failed');
    const repeated = await apiCall(app, token, 'GET', '/api/v1/me/projects?limit=1&limit=2');
    expect(repeated.status).toBe(400);
    expect(await errorCode(repeated)).toBe('bad_request');
    const unknown = await apiCall(app, token, 'GET', '/api/v1/me/projects?sort=desc');
    expect(await errorCode(unknown)).toBe('validation_failed');
  });

  it('answers a method a route does not serve with 405 and its Allow list', async () => {
    const { app, token } = await signedInApp('api');
    const res = await apiCall(app, token, 'PUT', '/api/v1/projects/prj_x');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, PATCH, DELETE');
  });

  it('keeps path parameters authoritative over body fields', async () => {
    const { app, token } = await signedInApp('api');
    const a = (await (await apiCall(app, token, 'POST', '/api/v1/projects', { title: 'A' })).json()) as {
      project: { id: string };
    };
    const b = (await (await apiCall(app, token, 'POST', '/api/v1/projects', { title: 'B' })).json()) as {
      project: { id: string };
    };
    const res = await apiCall(app, token, 'POST', `/api/v1/projects/${a.project.id}/tasks`, {
      projectId: b.project.id,
      text: 't',
    });
    expect(((await res.json()) as { task: { projectId: string } }).task.projectId).toBe(a.project.id);
  });
});

describe('GET /api/v1/openapi.json', () => {
  it('is public OpenAPI 3.1 with one operation per REST route and per v2 action', async () => {
    const app = createTestApp();
    const res = await app.fetch('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths).flatMap((p) => Object.values(p));
    const ids = operations.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operations).toHaveLength(REST_V1_ROUTES.length + ACTIONS.length);
    for (const route of REST_V1_ROUTES) {
      const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
      expect(doc.paths[path]?.[route.method.toLowerCase()]?.operationId).toBe(route.action);
    }
    for (const action of ACTIONS) expect(doc.paths[`/api/v2/${action.name}`]?.post).toBeDefined();
  });

  it('has a readable reference page listing every action', async () => {
    const res = await createTestApp().fetch('/docs/api');
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const action of ACTIONS) expect(html).toContain(`id="${action.name}"`);
  });
});
