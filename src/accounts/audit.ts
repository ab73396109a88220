import { type AppContext, clientIp, nowSeconds, userAgent } from '../http/context';
import type { BatchGuard } from './batch-guard';

/** Security-log kinds; the detail never holds a secret (only names, hints and ids). */
export type AuditKind =
  | 'signup'
  | 'signin'
  | 'signin_failed'
  | 'signout'
  | 'email_verified'
  | 'password_reset_requested'
  | 'password_changed'
  | 'token_created'
  | 'token_revoked'
  | 'app_created'
  | 'app_updated'
  | 'app_deleted'
  | 'app_secret_rotated'
  | 'app_connected'
  | 'app_revoked'
  | 'signed_out_everywhere'
  | 'account_deleted'
  | 'upstream_connected'
  | 'upstream_disconnected'
  | 'upstream_added'
  | 'upstream_removed'
  | 'identity_linked'
  | 'identity_link_requested'
  | 'identity_unlinked';

export interface AuditMeta {
  ip: string;
  userAgent: string;
  now: number;
}

/** Who did it, from where, and when: the request's IP, user agent and clock. */
export function auditMetaOf(c: AppContext): AuditMeta {
  return { ip: clientIp(c), userAgent: userAgent(c), now: nowSeconds(c) };
}

/** Records a security event; with a `guard`, only if the guard holds when its batch runs. */
export function auditStatement(
  db: D1Database,
  userId: string | null,
  kind: AuditKind,
  meta: AuditMeta,
  detail: Record<string, string | number | boolean> = {},
  guard?: BatchGuard,
): D1PreparedStatement {
  const values = [userId, kind, meta.ip, meta.userAgent, JSON.stringify(detail), meta.now];
  if (!guard) {
    return db
      .prepare(
        'INSERT INTO audit_events (user_id, kind, ip, user_agent, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .bind(...values);
  }
  return db
    .prepare(
      `INSERT INTO audit_events (user_id, kind, ip, user_agent, detail, created_at)
       SELECT ?, ?, ?, ?, ?, ? WHERE ${guard.sql}`,
    )
    .bind(...values, ...guard.args);
}
