import { Hono } from 'hono';
import { auditMetaOf, auditStatement } from '../accounts/audit';
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblem, verifyPassword } from '../accounts/passwords';
import {
  afterAllCredentialsEnded,
  afterSignOutEverywhere,
  endAllCredentialsStatements,
  signOutEverywhereStatements,
} from '../accounts/revoke-all';
import { endSession, type SessionState, startSession } from '../accounts/sessions';
import { setPasswordStatement } from '../accounts/users';
import { disconnectAll } from '../gateway/connections';
import { readForm } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { clientIp, nowSeconds, userAgent } from '../http/context';
import { csrfToken, requireCsrf } from '../http/csrf';
import { enforceRateLimit } from '../http/rate-limit';
import { AccountSettingsPage, DELETE_CONFIRMATION } from '../ui/account-settings-page';
import { catalogOf, oauthClientEnv } from './gateway-context';
import { sessionOrRedirect } from './require-session';

const FORM_LIMIT = 4 * 1024;

async function passwordMatches(c: AppContext, session: SessionState, password: string): Promise<boolean> {
  await enforceRateLimit(c.env.RL_SIGNIN, `account:${session.user.email}`);
  const row = await c.env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
    .bind(session.user.id)
    .first<{ password_hash: string }>();
  return verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), row?.password_hash);
}

/** Deletes everything a user owns; tables without a foreign key to users are listed here. */
export function deleteAccountStatements(db: D1Database, userId: string): D1PreparedStatement[] {
  return [
    db.prepare('DELETE FROM audit_events WHERE user_id = ?').bind(userId),
    db.prepare('DELETE FROM users WHERE id = ?').bind(userId),
  ];
}

/** `/settings/account`: change password, sign out everywhere, delete the account. */
export function accountSettingsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  async function render(
    c: AppContext,
    session: SessionState,
    extra: { error?: string; notice?: string } = {},
    status: 200 | 400 | 401 = 200,
  ) {
    c.header('Cache-Control', 'no-store');
    return c.html(
      <AccountSettingsPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={session.user}
        {...extra}
      />,
      status,
    );
  }

  app.get('/settings/account', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    return render(c, session, {
      notice:
        c.req.query('notice') === 'password_changed'
          ? 'Your password was changed. Other devices were signed out.'
          : undefined,
    });
  });

  app.post('/settings/account/password', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const current = form.get('current_password') ?? '';
    const next = form.get('password') ?? '';
    if (form.duplicated.length > 0)
      return render(c, session, { error: 'Each field may be sent only once.' }, 400);
    const problem = passwordProblem(next);
    if (problem) return render(c, session, { error: problem }, 400);
    if (!(await passwordMatches(c, session, current))) {
      return render(c, session, { error: 'The current password is incorrect.' }, 401);
    }
    const now = nowSeconds(c);
    const db = c.env.DB;
    await db.batch([
      setPasswordStatement(db, session.user.id, await hashPassword(next), now),
      ...endAllCredentialsStatements(db, session.user.id, now),
      auditStatement(db, session.user.id, 'password_changed', auditMetaOf(c), { via: 'settings' }),
    ]);
    await afterAllCredentialsEnded(c.env, session.user.id);
    // Every session ended with the batch; this browser gets a fresh one so the person stays signed in.
    await startSession(c, session.user.id, clientIp(c), userAgent(c));
    return c.redirect('/settings/account?notice=password_changed', 303);
  });

  app.post('/settings/account/delete', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    if ((form.get('confirm') ?? '').trim().toLowerCase() !== DELETE_CONFIRMATION) {
      return render(c, session, { error: `Type “${DELETE_CONFIRMATION}” to confirm.` }, 400);
    }
    if (!(await passwordMatches(c, session, form.get('password') ?? ''))) {
      return render(c, session, { error: 'The password is incorrect.' }, 401);
    }
    const now = nowSeconds(c);
    const db = c.env.DB;
    // Upstream connections are revoked at each upstream while their credentials can still be opened.
    await disconnectAll(await oauthClientEnv(c), await catalogOf(c), session.user.id);
    // Cached verifications are dropped first, while the token rows still name their hashes.
    await afterAllCredentialsEnded(c.env, session.user.id);
    await db.batch([
      ...endAllCredentialsStatements(db, session.user.id, now),
      ...deleteAccountStatements(db, session.user.id),
    ]);
    await endSession(c);
    return c.redirect('/login?notice=account_deleted', 303);
  });

  app.post('/settings/sign-out-everywhere', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const db = c.env.DB;
    await disconnectAll(await oauthClientEnv(c), await catalogOf(c), session.user.id);
    await db.batch([
      ...signOutEverywhereStatements(db, session.user.id, nowSeconds(c)),
      auditStatement(db, session.user.id, 'signed_out_everywhere', auditMetaOf(c)),
    ]);
    await afterSignOutEverywhere(c.env, session.user.id, c.var.config.accessTokenTtlSeconds);
    await endSession(c);
    return c.redirect('/login?notice=signed_out', 303);
  });

  return app;
}
