import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app';
import type { Env } from '../../src/env';
import { AppError, OAuthError } from '../../src/http/errors';
import { TestClock } from '../helpers/app';

const SECRET_DETAIL = 'database password is hunter2';

/** The real app with a few extra routes that throw, the way a bug in a handler would. */
function appWithFaults() {
  const app = createApp({ clock: new TestClock(), fetch: (i, init) => fetch(i, init) });
  const boom = () => {
    throw new Error(SECRET_DETAIL);
  };
  app.get('/boom', boom);
  app.get('/api/v1/boom', boom);
  app.get('/oauth2/boom', boom);
  app.get('/api/v1/teapot', () => {
    throw new AppError('conflict', 'Already there.', { details: { field: 'name' } });
  });
  app.get('/oauth2/bad', () => {
    throw new OAuthError('invalid_request', 'The request is missing a parameter.');
  });
  return {
    fetch: (path: string, headers: Record<string, string> = {}) =>
      app.fetch(
        new Request(`http://localhost${path}`, { headers }),
        env as Env,
        {
          waitUntil() {},
          passThroughOnException() {},
          props: {},
        } as unknown as ExecutionContext,
      ),
  };
}

describe('handleError', () => {
  it('answers an unexpected error on a page with a 500 HTML page carrying the request id, no internals', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appWithFaults().fetch('/boom', { 'cf-ray': 'ray-123' });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('ray-123');
    expect(html).not.toContain(SECRET_DETAIL);
    expect(html).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const logged = spy.mock.calls.map((c) => String(c[0])).find((l) => l.includes('request.failed'));
    expect(JSON.parse(logged!)).toMatchObject({
      level: 'error',
      requestId: 'ray-123',
      errorMessage: SECRET_DETAIL,
    });
  });

  it('answers an unexpected error on an API with 500 JSON server_error and the request id', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appWithFaults().fetch('/api/v1/boom');
    expect(res.status).toBe(500);
    const body = (await res.json()) as { ok: boolean; error: { code: string; request_id: string } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('server_error');
    expect(body.error.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(body)).not.toContain(SECRET_DETAIL);
    expect(JSON.stringify(body)).not.toContain('stack');
  });

  it('answers an unexpected error on an OAuth endpoint with RFC 6749 server_error', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appWithFaults().fetch('/oauth2/boom');
    expect(res.status).toBe(500);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toBe('server_error');
    expect(JSON.stringify(body)).not.toContain(SECRET_DETAIL);
  });

  it('renders an AppError on an API as { ok: false, error: { code, message, details } }', async () => {
    const res = await appWithFaults().fetch('/api/v1/teapot');
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'Already there.', details: { field: 'name' } },
    });
  });

  it('renders an OAuthError as { error, error_description } with no-store', async () => {
    const res = await appWithFaults().fetch('/oauth2/bad');
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'The request is missing a parameter.',
    });
  });

  it('answers an unknown path with 404 in the shape of its surface', async () => {
    const app = appWithFaults();
    const page = await app.fetch('/nowhere');
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const api = await app.fetch('/api/v1/nowhere');
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const oauth = await app.fetch('/oauth2/nowhere');
    expect(oauth.status).toBe(404);
    expect(((await oauth.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers a failing database as 500 with a reference and no internals', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const app = createApp({ clock: new TestClock(), fetch: (i, init) => fetch(i, init) });
    const brokenEnv = { ...env, DB: undefined } as unknown as Env;
    const res = await app.fetch(
      new Request('http://localhost/', { headers: { cookie: `__Host-gh_session=${'A'.repeat(43)}` } }),
      brokenEnv,
      { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
    );
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain('Reference:');
    expect(html).not.toMatch(/TypeError|prepare|undefined/);
  });
});
