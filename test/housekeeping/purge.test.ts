import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { purgeExpired } from '../../src/housekeeping/purge';
import worker from '../../src/index';
import { createUser } from '../helpers/app';

const DAY = 86400;

async function count(sql: string, ...args: unknown[]): Promise<number> {
  return (
    (
      await env.DB.prepare(sql)
        .bind(...args)
        .first<{ n: number }>()
    )?.n ?? -1
  );
}

describe('purgeExpired', () => {
  it('deletes expired sessions, links, revoked tokens and old log rows, and keeps live ones', async () => {
    const user = await createUser();
    const now = 2_000_000_000;
    const db = env.DB;
    await db.batch([
      db
        .prepare('INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
        .bind(`old-${user.id}`, user.id, now - 100, now - 1),
      db
        .prepare('INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
        .bind(`live-${user.id}`, user.id, now - 100, now + 100),
      db
        .prepare(
          "INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at) VALUES (?, ?, 'verify_email', ?, ?, ?)",
        )
        .bind(`old-${user.id}`, user.id, user.email, now - 3 * DAY, now - 2 * DAY),
      db
        .prepare(
          "INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at) VALUES (?, ?, 'verify_email', ?, ?, ?)",
        )
        .bind(`live-${user.id}`, user.id, user.email, now, now + DAY),
      db
        .prepare(
          'INSERT INTO personal_access_tokens (id, user_id, name, token_hash, hint, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .bind(
          `pat-old-${user.id}`,
          user.id,
          'old',
          `h-old-${user.id}`,
          'x',
          now - 200 * DAY,
          now - 100 * DAY,
        ),
      db
        .prepare(
          'INSERT INTO personal_access_tokens (id, user_id, name, token_hash, hint, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .bind(
          `pat-recent-${user.id}`,
          user.id,
          'recent',
          `h-recent-${user.id}`,
          'x',
          now - 20 * DAY,
          now - 10 * DAY,
        ),
      db
        .prepare("INSERT INTO audit_events (user_id, kind, created_at) VALUES (?, 'signin', ?)")
        .bind(user.id, now - 91 * DAY),
      db
        .prepare("INSERT INTO audit_events (user_id, kind, created_at) VALUES (?, 'signin', ?)")
        .bind(user.id, now - 89 * DAY),
    ]);
    const report = await purgeExpired(db, now);
    expect(report.sessions).toBeGreaterThanOrEqual(1);
    expect(await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', user.id)).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM email_tokens WHERE user_id = ?', user.id)).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM personal_access_tokens WHERE user_id = ?', user.id)).toBe(
      1,
    );
    expect(await count('SELECT COUNT(*) AS n FROM audit_events WHERE user_id = ?', user.id)).toBe(1);
  });

  it('works through more rows than one batch', async () => {
    const user = await createUser();
    const now = 2_100_000_000;
    const db = env.DB;
    const inserts = Array.from({ length: 1200 }, (_, i) =>
      db
        .prepare('INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
        .bind(`bulk-${user.id}-${i}`, user.id, now - 10, now - 5),
    );
    await db.batch(inserts);
    await purgeExpired(db, now);
    expect(await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', user.id)).toBe(0);
  });

  it('runs from the cron trigger', async () => {
    const user = await createUser();
    await env.DB.prepare(
      'INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
    )
      .bind(`cron-${user.id}`, user.id, 1, 2)
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled!(
      createScheduledController({ scheduledTime: Date.now(), cron: '17 * * * *' }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', user.id)).toBe(0);
  });
});

describe('purgeExpired: gateway sign-ins in flight', () => {
  it('deletes lapsed upstream authorizations and keeps live ones', async () => {
    const user = await createUser();
    const now = 2_000_000_000;
    const insert = (id: string, expiresAt: number) =>
      env.DB.prepare(
        "INSERT INTO upstream_authorizations (state_hash, user_id, session_hash, upstream_id, flow, created_at, expires_at) VALUES (?, ?, 's', 'u', 'f', ?, ?)",
      ).bind(`${id}-${user.id}`, user.id, expiresAt - 600, expiresAt);
    await env.DB.batch([insert('lapsed', now - 1), insert('live', now + 300)]);
    const report = await purgeExpired(env.DB, now);
    expect(report.upstream_authorizations).toBeGreaterThanOrEqual(1);
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM upstream_authorizations WHERE state_hash = ?',
        `lapsed-${user.id}`,
      ),
    ).toBe(0);
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM upstream_authorizations WHERE state_hash = ?',
        `live-${user.id}`,
      ),
    ).toBe(1);
  });
});
