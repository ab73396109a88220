import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app';
import type { Env } from '../../src/env';
import { isDependencyFailure } from '../../src/http/error-handler';
import { AppError } from '../../src/http/errors';
import { TestClock } from '../helpers/app';
import { D1_OUTAGE, KV_OUTAGE } from './faulty-bindings';

describe('isDependencyFailure', () => {
  const retryable = [
    D1_OUTAGE,
    'D1_ERROR: D1 DB is overloaded. Requests queued for too long.',
    'D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.',
    KV_OUTAGE,
    'KV PUT failed: 429 Too Many Requests',
  ];
  const bugs = [
    'D1_ERROR: no such table: nope: SQLITE_ERROR',
    'D1_ERROR: UNIQUE constraint failed: users.email_normalized: SQLITE_CONSTRAINT',
    'KV GET failed: 414 UTF-8 encoded length of 600 exceeds key length limit of 512.',
    "Cannot read properties of undefined (reading 'prepare')",
  ];
  for (const m of retryable)
    it(`treats ${JSON.stringify(m)} as an outage`, () => {
      expect(isDependencyFailure(new Error(m))).toBe(true);
    });
  for (const m of bugs)
    it(`treats ${JSON.stringify(m)} as a bug (500)`, () => {
      expect(isDependencyFailure(new Error(m))).toBe(false);
    });
  it('ignores values that are not errors', () => {
    expect(isDependencyFailure(D1_OUTAGE)).toBe(false);
  });
});

describe('AppError on the OAuth surface', () => {
  const app = createApp({ clock: new TestClock(), fetch: (i, init) => fetch(i, init) });
  app.get('/oauth2/limited', () => {
    throw new AppError('rate_limited', 'Too many attempts.', { headers: { 'Retry-After': '60' } });
  });
  app.get('/oauth2/too-big', () => {
    throw new AppError('payload_too_large', 'Too large.');
  });
  app.get('/oauth2/outage', () => {
    throw new Error(D1_OUTAGE);
  });
  const call = (path: string) =>
    app.fetch(
      new Request(`http://localhost${path}`),
      env as Env,
      {
        waitUntil() {},
        passThroughOnException() {},
        props: {},
      } as unknown as ExecutionContext,
    );

  it('renders rate_limited as 429 temporarily_unavailable with Retry-After', async () => {
    const res = await call('/oauth2/limited');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Too many attempts.',
    });
  });

  it('renders a transport problem as invalid_request with its status', async () => {
    const res = await call('/oauth2/too-big');
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('renders a D1 outage as 503 temporarily_unavailable', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const res = await call('/oauth2/outage');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
  });
});
