import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { Browser, createTestApp, createUser, sessionCookieFor } from '../helpers/app';
import { expectUnavailable, faultyDb, snapshot, sweepFaults } from './faulty-bindings';

/** PAT create and revoke on the JSON API with a D1 call failing at every step. */

function quietLogs() {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
}

async function apiSession(app: ReturnType<typeof createTestApp>) {
  const user = await createUser({ verified: true });
  const browser = new Browser(app);
  browser.setCookie(await sessionCookieFor(user.id));
  const res = await browser.get('/api/v1/me/session');
  const { csrf_token } = (await res.json()) as { csrf_token: string };
  return { user, browser, csrf: csrf_token };
}

const patTables = (userId: string) => {
  const where = { personal_access_tokens: `user_id = '${userId}'`, audit_events: `user_id = '${userId}'` };
  return snapshot(Object.keys(where) as (keyof typeof where)[], where);
};

describe('faults: POST /api/v1/me/tokens', () => {
  it('answers 503 temporarily_unavailable; a token is stored only if the request got that far', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const { res } = await sweepFaults(
      faulty,
      async (k) => {
        faulty.failAt(0);
        const s = await apiSession(app);
        const before = await patTables(s.user.id);
        faulty.failAt(k);
        const r = await s.browser.request('/api/v1/me/tokens', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf },
          body: JSON.stringify({ name: 'ci' }),
        });
        return Object.assign(r, { userId: s.user.id, before });
      },
      async ({ res }) => {
        await expectUnavailable(res, 'api');
        const { userId, before } = res as Response & { userId: string; before: unknown };
        // The insert and its log row are one guarded batch: nothing at all is half-written.
        expect(await patTables(userId)).toEqual(before);
      },
    );
    expect(res.status).toBe(201);
  });
});

describe('faults: DELETE /api/v1/me/tokens/:id', () => {
  it('answers 503 temporarily_unavailable; the token is either still active or revoked, and a retry settles it', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const { res } = await sweepFaults(
      faulty,
      async (k) => {
        faulty.failAt(0);
        const s = await apiSession(app);
        const created = await s.browser.request('/api/v1/me/tokens', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf },
          body: JSON.stringify({ name: 'ci' }),
        });
        const { record } = (await created.json()) as { record: { id: string } };
        faulty.failAt(k);
        const r = await s.browser.request(`/api/v1/me/tokens/${record.id}`, {
          method: 'DELETE',
          headers: { 'x-csrf-token': s.csrf },
        });
        return Object.assign(r, { id: record.id });
      },
      async ({ res }) => {
        await expectUnavailable(res, 'api');
        const { id } = res as Response & { id: string };
        const row = await env.DB.prepare('SELECT revoked_at FROM personal_access_tokens WHERE id = ?')
          .bind(id)
          .first<{ revoked_at: number | null }>();
        expect(row).not.toBeNull();
      },
    );
    expect(res.status).toBe(200);
  });
});
