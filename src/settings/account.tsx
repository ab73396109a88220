import { Hono } from 'hono';
import { auditMetaOf, auditStatement } from '../accounts/audit';
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblem, verifyPassword } from '../accounts/passwords';
import {
  afterAllCredentialsEnded,
  afterSignOutEverywhere,
  deleteAccount,
  endAllCredentialsStatements,
  signOutEverywhereStatements,
} from '../accounts/revoke-all';
import { endSession, type SessionState, startSession } from '../accounts/sessions';
import { setPasswordStatement, userHasPassword } from '../accounts/users';
import { disconnectAll } from '../gateway/connections';
import { readForm } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { clientIp, nowSeconds, userAgent } from '../http/context';
import { csrfToken, requireCsrf } from '../http/csrf';
import { enforcePasswordGuessLimits } from '../http/rate-limit';
import { listIdentities } from '../identity/identity-store';
import { AccountSettingsPage, DELETE_CONFIRMATION } from '../ui/account-settings-page';
import { catalogOf, oauthClientEnv } from './gateway-context';
import { sessionOrRedirect } from './require-session';

const FORM_LIMIT = 4 * 1024;

const accountNotices: Record<string, string | undefined> = {
  password_changed: 'Your password was changed. Other devices were signed out.',
  identity_linked: 'The sign-in provider is linked. You can sign in with it from now on.',
  identity_unlinked: 'The sign-in provider is unlinked.',
};

async function passwordMatches(c: AppContext, session: SessionState, password: string): Promise<boolean> {
  await enforcePasswordGuessLimits(c.env, clientIp(c), session.user.email);
  const row = await c.env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
    .bind(session.user.id)
    .first<{ password_hash: string }>();
  return verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), row?.password_hash);
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
    const providers = c.var.config.identity.providers;
    const identities = await listIdentities(c.env.DB, session.user.id);
    const nameOf = (id: string) => providers.find((p) => p.id === id)?.name ?? id;
    return c.html(
      <AccountSettingsPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={session.user}
        signInMethods={{
          hasPassword: await userHasPassword(c.env.DB, session.user.id),
          identities: identities.map((i) => ({ ...i, providerName: nameOf(i.providerId) })),
          linkable: providers
            .filter((p) => !identities.some((i) => i.providerId === p.id))
            .map((p) => ({ id: p.id, name: p.name })),
        }}
        {...extra}
      />,
      status,
    );
  }

  app.get('/settings/account', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const notice = c.req.query('notice') ?? '';
    return render(c, session, {
      notice: accountNotices[notice],
      error:
        notice === 'unlink_refused' ? 'That is your only way to sign in, so it stays linked.' : undefined,
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
    // Upstream connections are revoked at each upstream while their credentials can still be opened.
    await disconnectAll(await oauthClientEnv(c), await catalogOf(c), session.user.id);
    await deleteAccount(c.env, session.user.id, nowSeconds(c), c.var.config.accessTokenTtlSeconds);
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
