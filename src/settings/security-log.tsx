import { Hono } from 'hono';
import type { AppEnv } from '../http/context';
import { nowSeconds } from '../http/context';
import { csrfToken } from '../http/csrf';
import { type AuditRow, SecurityLogPage } from '../ui/settings-pages';
import { requireSession, sessionOrRedirect } from './require-session';

/** Security events are kept 90 days (the scheduled purge deletes older rows). */
export const AUDIT_RETENTION_SECONDS = 90 * 86400;

export async function recentAuditEvents(
  db: D1Database,
  userId: string,
  now: number,
  limit = 200,
): Promise<AuditRow[]> {
  const { results } = await db
    .prepare(
      `SELECT kind, ip, user_agent, detail, created_at FROM audit_events
       WHERE user_id = ? AND created_at > ? ORDER BY created_at DESC, id DESC LIMIT ?`,
    )
    .bind(userId, now - AUDIT_RETENTION_SECONDS, limit)
    .all<{ kind: string; ip: string; user_agent: string; detail: string; created_at: number }>();
  return results.map((r) => ({
    kind: r.kind,
    ip: r.ip,
    userAgent: r.user_agent,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    createdAt: r.created_at,
  }));
}

export function securityLogRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/settings/security', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    c.header('Cache-Control', 'no-store');
    const events = await recentAuditEvents(c.env.DB, session.user.id, nowSeconds(c));
    return c.html(
      <SecurityLogPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={session.user}
        events={events}
      />,
    );
  });
  app.get('/api/v1/me/security-log', async (c) => {
    const session = await requireSession(c);
    const events = await recentAuditEvents(c.env.DB, session.user.id, nowSeconds(c));
    return c.json({
      ok: true,
      events: events.map((e) => ({
        kind: e.kind,
        ip: e.ip,
        user_agent: e.userAgent,
        detail: e.detail,
        created_at: new Date(e.createdAt * 1000).toISOString(),
      })),
    });
  });
  return app;
}
