import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppContext } from '../http/context';
import { nowSeconds } from '../http/context';
import { newSecret, sha256Hex } from '../tokens/secrets';
import { andGuard, type BatchGuard } from './batch-guard';
import type { User } from './users';

/** `__Host-` pins the cookie to this origin, https (or localhost), Path=/ and no Domain. */
export const SESSION_COOKIE = '__Host-gh_session';
export const SESSION_TTL_SECONDS = 30 * 24 * 3600;

export interface SessionState {
  /** SHA-256 of the cookie value; the value itself is never stored. */
  idHash: string;
  user: User;
  expiresAt: number;
}

interface SessionRow {
  id_hash: string;
  expires_at: number;
  user_id: string;
  email: string;
  email_verified_at: number | null;
  created_at: number;
  password_changed_at: number;
}

/** Creates a session for `userId` and sets its cookie. A fresh id every sign-in (no fixation). */
export async function startSession(
  c: AppContext,
  userId: string,
  ip: string,
  userAgent: string,
): Promise<void> {
  const token = newSecret();
  const now = nowSeconds(c);
  await c.env.DB.prepare(
    'INSERT INTO sessions (id_hash, user_id, created_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?)',
  )
    .bind(await sha256Hex(token), userId, now, now + SESSION_TTL_SECONDS, ip, userAgent)
    .run();
  setCookie(c, SESSION_COOKIE, token, {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: SESSION_TTL_SECONDS,
  });
  c.set('session', undefined);
}

/** The signed-in session, looked up once per request; null when absent, unknown or expired. */
export async function loadSession(c: AppContext): Promise<SessionState | null> {
  const cached = c.get('session');
  if (cached !== undefined) return cached;
  const token = getCookie(c, SESSION_COOKIE);
  let state: SessionState | null = null;
  if (token && token.length <= 128) {
    const row = await c.env.DB.prepare(
      `SELECT s.id_hash, s.expires_at, u.id AS user_id, u.email, u.email_verified_at, u.created_at, u.password_changed_at
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id_hash = ? AND s.expires_at > ?`,
    )
      .bind(await sha256Hex(token), nowSeconds(c))
      .first<SessionRow>();
    if (row) {
      state = {
        idHash: row.id_hash,
        expiresAt: row.expires_at,
        user: {
          id: row.user_id,
          email: row.email,
          emailVerified: row.email_verified_at !== null,
          createdAt: row.created_at,
          passwordChangedAt: row.password_changed_at,
        },
      };
    }
  }
  c.set('session', state);
  return state;
}

/** Ends the current session (row and cookie). */
export async function endSession(c: AppContext): Promise<void> {
  const session = await loadSession(c);
  if (session) await c.env.DB.prepare('DELETE FROM sessions WHERE id_hash = ?').bind(session.idHash).run();
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
  c.set('session', null);
}

/** Ends every session of a person; with a `guard`, only if the guard holds when its batch runs. */
export function deleteAllSessionsStatement(
  db: D1Database,
  userId: string,
  guard?: BatchGuard,
): D1PreparedStatement {
  const g = andGuard(guard);
  return db.prepare(`DELETE FROM sessions WHERE user_id = ?${g.sql}`).bind(userId, ...g.args);
}
