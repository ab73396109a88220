import { Hono } from 'hono';
import { afterResponse } from '../http/after-response';
import { readForm } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { clientIp, nowSeconds, publicOrigin, userAgent } from '../http/context';
import { csrfToken, requireCsrf } from '../http/csrf';
import { AppError } from '../http/errors';
import { enforcePasswordGuessLimits, enforceRateLimit } from '../http/rate-limit';
import { safeReturnTo } from '../http/return-to';
import {
  ForgotPasswordPage,
  HomePage,
  LoginPage,
  LogoutPage,
  ResetPasswordPage,
  SignupPage,
  VerifyEmailPage,
} from '../ui/account-pages';
import { auditMetaOf, auditStatement } from './audit';
import { consumeEmailToken, issueEmailToken, isTokenShaped, peekEmailToken } from './email-tokens';
import { createMailer } from './mailer';
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblem, verifyPassword } from './passwords';
import {
  afterAllCredentialsEnded,
  afterOwnedAppsEnded,
  endAllCredentialsStatements,
  endOwnedAppsStatements,
  neverVerifiedGuard,
} from './revoke-all';
import { endSession, loadSession, startSession } from './sessions';
import {
  findUserByEmail,
  insertUser,
  markEmailVerifiedStatement,
  normalizeEmail,
  setPasswordStatement,
} from './users';

/** Form bodies on account pages are tiny; anything bigger is not a person typing. */
const FORM_LIMIT = 8 * 1024;

function noStore(c: AppContext) {
  c.header('Cache-Control', 'no-store');
}

export async function sendVerification(c: AppContext, userId: string, email: string): Promise<void> {
  const token = await issueEmailToken(c.env.DB, 'verify_email', userId, email, nowSeconds(c));
  const link = `${publicOrigin(c)}/verify-email?token=${token}`;
  const { config, deps } = c.var;
  await createMailer(config, c.env.DB, deps.fetch, () => deps.clock.now()).send({
    to: email,
    subject: `Confirm your email for ${config.serviceName}`,
    text: `Confirm your email address by opening this link within 24 hours:\n\n${link}\n\nIf you did not create an account, ignore this message.`,
    links: [link],
  });
}

/** The operator's sign-in providers for the sign-in and sign-up pages (none: the pages as before). */
export function signInChoices(c: AppContext) {
  const { providers, passwordSignup } = c.var.config.identity;
  return { providers: providers.map((p) => ({ id: p.id, name: p.name })), passwordSignup };
}

const homeNotices: Record<string, string | undefined> = {
  welcome: 'Welcome! Check your inbox to confirm your email.',
};

/** Tells the owner of an address that someone tried to sign up with it (instead of answering 409). */
async function sendAlreadyRegistered(c: AppContext, email: string): Promise<void> {
  const { config, deps } = c.var;
  const origin = publicOrigin(c);
  const links = [`${origin}/login`, `${origin}/forgot-password`];
  await createMailer(config, c.env.DB, deps.fetch, () => deps.clock.now()).send({
    to: email,
    subject: `Your ${config.serviceName} account`,
    text: `Someone tried to create a ${config.serviceName} account with this address, which already has one.\n\nIf it was you, sign in:\n${links[0]}\n\nor choose a new password:\n${links[1]}\n\nIf it was not you, ignore this message; nothing changed.`,
    links,
  });
}

/** Sign-up, sign-in, sign-out, email confirmation and password reset pages. */
export function accountRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/', async (c) => {
    noStore(c);
    const session = await loadSession(c);
    const notice = c.req.query('notice');
    return c.html(
      <HomePage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={session?.user ?? null}
        mcpUrl={`${publicOrigin(c)}/mcp`}
        notice={homeNotices[notice ?? '']}
      />,
    );
  });

  app.get('/signup', async (c) => {
    noStore(c);
    if (await loadSession(c)) return c.redirect('/', 303);
    return c.html(
      <SignupPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        {...signInChoices(c)}
      />,
    );
  });

  app.post('/signup', async (c) => {
    noStore(c);
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    if (!c.var.config.identity.passwordSignup) {
      throw new AppError('forbidden', 'Accounts are created by signing in with a provider here.');
    }
    await enforceRateLimit(c.env.RL_SIGNUP, `ip:${clientIp(c)}`);
    const rawEmail = form.get('email') ?? '';
    const password = form.get('password') ?? '';
    const render = async (error: string, status: 400) =>
      c.html(
        <SignupPage
          serviceName={c.var.config.serviceName}
          csrfToken={await csrfToken(c)}
          email={rawEmail.slice(0, 254)}
          error={error}
          {...signInChoices(c)}
        />,
        status,
      );
    if (form.duplicated.length > 0) return render('Each field may be sent only once.', 400);
    const email = normalizeEmail(rawEmail);
    if (!email) return render('Enter a valid email address.', 400);
    const problem = passwordProblem(password);
    if (problem) return render(problem, 400);
    await enforceRateLimit(c.env.RL_EMAIL, `signup:${email}`);
    // The answer is the same whether the address already has an account or not (no 409, no session):
    // a new account gets its confirmation link, an existing owner a note, both after the response.
    const user = await insertUser(c.env.DB, email, await hashPassword(password), nowSeconds(c));
    const meta = auditMetaOf(c);
    afterResponse(c, 'mail.signup_failed', async () => {
      if (!user) return sendAlreadyRegistered(c, email);
      await auditStatement(c.env.DB, user.id, 'signup', meta).run();
      await sendVerification(c, user.id, email);
    });
    return c.redirect('/login?notice=check_inbox', 303);
  });

  app.get('/login', async (c) => {
    noStore(c);
    const returnTo = safeReturnTo(c.req.query('return_to'));
    if (await loadSession(c)) return c.redirect(returnTo, 303);
    const notice = c.req.query('notice');
    return c.html(
      <LoginPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        returnTo={returnTo}
        providers={signInChoices(c).providers}
        notice={
          notice === 'password_reset'
            ? 'Your password was changed. Sign in with the new one.'
            : notice === 'signed_out'
              ? 'You are signed out.'
              : notice === 'check_inbox'
                ? 'Check your inbox: we sent a link to confirm your address. Then sign in.'
                : undefined
        }
      />,
    );
  });

  app.post('/login', async (c) => {
    noStore(c);
    const returnTo = safeReturnTo(c.req.query('return_to'));
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const rawEmail = form.get('email') ?? '';
    const password = form.get('password') ?? '';
    const email = normalizeEmail(rawEmail);
    await enforcePasswordGuessLimits(c.env, clientIp(c), email ?? rawEmail.slice(0, 254).toLowerCase());
    const user = email && form.duplicated.length === 0 ? await findUserByEmail(c.env.DB, email) : null;
    const ok = await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), user?.passwordHash);
    if (!user || !ok) {
      await auditStatement(c.env.DB, user?.id ?? null, 'signin_failed', auditMetaOf(c)).run();
      return c.html(
        <LoginPage
          serviceName={c.var.config.serviceName}
          csrfToken={await csrfToken(c)}
          returnTo={returnTo}
          email={rawEmail.slice(0, 254)}
          error="The email or password is incorrect."
          providers={signInChoices(c).providers}
        />,
        401,
      );
    }
    await auditStatement(c.env.DB, user.id, 'signin', auditMetaOf(c)).run();
    await startSession(c, user.id, clientIp(c), userAgent(c));
    return c.redirect(returnTo, 303);
  });

  app.get('/logout', async (c) => {
    noStore(c);
    const session = await loadSession(c);
    if (!session) return c.redirect('/login', 303);
    return c.html(
      <LogoutPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        email={session.user.email}
      />,
    );
  });

  app.post('/logout', async (c) => {
    noStore(c);
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const session = await loadSession(c);
    if (session) await auditStatement(c.env.DB, session.user.id, 'signout', auditMetaOf(c)).run();
    await endSession(c);
    return c.redirect('/login?notice=signed_out', 303);
  });

  app.get('/verify-email', async (c) => {
    noStore(c);
    const token = c.req.query('token');
    const valid =
      isTokenShaped(token) && (await peekEmailToken(c.env.DB, 'verify_email', token, nowSeconds(c))) !== null;
    const session = await loadSession(c);
    return c.html(
      <VerifyEmailPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        token={valid ? token! : ''}
        valid={valid}
        signedInAs={session?.user.email}
      />,
      valid ? 200 : 400,
    );
  });

  // Consumed on POST, not on GET: mail scanners prefetch links and would burn a GET-consumed token.
  app.post('/verify-email', async (c) => {
    noStore(c);
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const token = form.get('token');
    const session = await loadSession(c);
    const page = async (valid: boolean, done: boolean, status: 200 | 400) =>
      c.html(
        <VerifyEmailPage
          serviceName={c.var.config.serviceName}
          csrfToken={await csrfToken(c)}
          token=""
          valid={valid}
          done={done}
          signedInAs={session?.user.email}
        />,
        status,
      );
    if (!isTokenShaped(token) || form.duplicated.length > 0) return page(false, false, 400);
    const now = nowSeconds(c);
    const db = c.env.DB;
    const consumed = await consumeEmailToken(db, 'verify_email', token, now, (t, guard) => [
      markEmailVerifiedStatement(db, t.userId, t.email, now, guard),
      auditStatement(db, t.userId, 'email_verified', auditMetaOf(c), {}, guard),
    ]);
    if (!consumed) return page(false, false, 400);
    c.set('session', undefined);
    return page(false, true, 200);
  });

  app.post('/verify-email/resend', async (c) => {
    noStore(c);
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const session = await loadSession(c);
    if (!session) return c.redirect('/login', 303);
    if (session.user.emailVerified) return c.redirect('/', 303);
    await enforceRateLimit(c.env.RL_EMAIL, `verify:${session.user.id}`);
    await sendVerification(c, session.user.id, session.user.email);
    return c.redirect('/?notice=welcome', 303);
  });

  app.get('/forgot-password', async (c) => {
    noStore(c);
    return c.html(
      <ForgotPasswordPage serviceName={c.var.config.serviceName} csrfToken={await csrfToken(c)} />,
    );
  });

  app.post('/forgot-password', async (c) => {
    noStore(c);
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const email = normalizeEmail(form.get('email') ?? '');
    if (!email || form.duplicated.length > 0) {
      return c.html(
        <ForgotPasswordPage
          serviceName={c.var.config.serviceName}
          csrfToken={await csrfToken(c)}
          error="Enter a valid email address."
        />,
        400,
      );
    }
    await enforceRateLimit(c.env.RL_EMAIL, `ip:${clientIp(c)}`);
    await enforceRateLimit(c.env.RL_EMAIL, `reset:${email}`);
    // Everything that depends on whether the account exists runs after the response, so the answer
    // takes the same path and the same time either way.
    const meta = auditMetaOf(c);
    afterResponse(c, 'mail.reset_failed', async () => {
      const user = await findUserByEmail(c.env.DB, email);
      if (!user) return;
      const now = nowSeconds(c);
      const token = await issueEmailToken(c.env.DB, 'reset_password', user.id, email, now);
      const link = `${publicOrigin(c)}/reset-password?token=${token}`;
      await auditStatement(c.env.DB, user.id, 'password_reset_requested', meta).run();
      const { config, deps } = c.var;
      await createMailer(config, c.env.DB, deps.fetch, () => deps.clock.now()).send({
        to: user.email,
        subject: `Reset your ${config.serviceName} password`,
        text: `Someone asked to reset the password for this account. To choose a new password, open this link within one hour:\n\n${link}\n\nIf it was not you, ignore this message; your password stays the same.`,
        links: [link],
      });
    });
    // Same answer whether or not the account exists: the page must not reveal who has an account.
    return c.html(
      <ForgotPasswordPage serviceName={c.var.config.serviceName} csrfToken={await csrfToken(c)} sent />,
    );
  });

  app.get('/reset-password', async (c) => {
    noStore(c);
    const token = c.req.query('token');
    const valid =
      isTokenShaped(token) &&
      (await peekEmailToken(c.env.DB, 'reset_password', token, nowSeconds(c))) !== null;
    return c.html(
      <ResetPasswordPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        token={valid ? token! : ''}
        valid={valid}
      />,
      valid ? 200 : 400,
    );
  });

  app.post('/reset-password', async (c) => {
    noStore(c);
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const token = form.get('token');
    const password = form.get('password') ?? '';
    const csrf = await csrfToken(c);
    if (!isTokenShaped(token) || form.duplicated.length > 0) {
      return c.html(
        <ResetPasswordPage serviceName={c.var.config.serviceName} csrfToken={csrf} token="" valid={false} />,
        400,
      );
    }
    const problem = passwordProblem(password);
    if (problem) {
      const now = nowSeconds(c);
      const valid = (await peekEmailToken(c.env.DB, 'reset_password', token, now)) !== null;
      return c.html(
        <ResetPasswordPage
          serviceName={c.var.config.serviceName}
          csrfToken={csrf}
          token={valid ? token : ''}
          valid={valid}
          error={problem}
        />,
        400,
      );
    }
    const passwordHash = await hashPassword(password);
    const now = nowSeconds(c);
    const db = c.env.DB;
    // Following the link proves the address too. An account that was never verified may have been
    // created by someone else with this address (pre-account-hijacking): its apps go, with every
    // connection to them, before the address is marked verified in the same batch.
    const consumed = await consumeEmailToken(db, 'reset_password', token, now, (t, guard) => [
      ...endOwnedAppsStatements(db, t.userId, now, neverVerifiedGuard(t.userId, guard)),
      setPasswordStatement(db, t.userId, passwordHash, now, guard),
      markEmailVerifiedStatement(db, t.userId, t.email, now, guard),
      ...endAllCredentialsStatements(db, t.userId, now, guard),
      auditStatement(db, t.userId, 'password_changed', auditMetaOf(c), { via: 'reset_link' }, guard),
    ]);
    if (!consumed) {
      return c.html(
        <ResetPasswordPage serviceName={c.var.config.serviceName} csrfToken={csrf} token="" valid={false} />,
        400,
      );
    }
    await afterOwnedAppsEnded(c.env.CACHE, consumed.effects[0], c.var.config.accessTokenTtlSeconds);
    await afterAllCredentialsEnded(c.env, consumed.userId);
    c.set('session', null);
    return c.redirect('/login?notice=password_reset', 303);
  });

  return app;
}
