import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { auditMetaOf, auditStatement } from '../accounts/audit';
import { isTokenShaped } from '../accounts/email-tokens';
import { createMailer } from '../accounts/mailer';
import { sendVerification, signInChoices } from '../accounts/routes';
import { loadSession, startSession } from '../accounts/sessions';
import { markEmailVerifiedStatement, type User } from '../accounts/users';
import { readForm } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { clientIp, nowSeconds, publicOrigin, userAgent } from '../http/context';
import { csrfToken, requireCsrf } from '../http/csrf';
import { describeError, log } from '../http/log';
import { enforceRateLimit } from '../http/rate-limit';
import { safeReturnTo } from '../http/return-to';
import { sessionOrRedirect } from '../settings/require-session';
import { newSecret } from '../tokens/secrets';
import { LoginPage } from '../ui/account-pages';
import { ConfirmLinkPage, LinkMailedPage } from '../ui/identity-pages';
import { IdentityError } from './errors';
import { setFlowCookie, takeFlowCookie } from './flow-cookie';
import {
  consumeLinkRequest,
  createLinkRequest,
  insertIdentityStatement,
  LINK_REQUEST_TTL_SECONDS,
  peekLinkRequest,
  unlinkIdentity,
} from './identity-store';
import { resolveIdentity } from './linking';
import type { ProviderIo } from './oauth-support';
import { completeAuthorization, startAuthorization } from './provider-client';
import type { AuthProvider } from './provider-config';

const FORM_LIMIT = 4 * 1024;
/** Holds the random value a mailed link also needs, so the link works only in this browser. */
const LINK_BROWSER_COOKIE = '__Host-gh_link';

function providerById(c: AppContext, id: string): AuthProvider {
  const provider = c.var.config.identity.providers.find((p) => p.id === id);
  if (!provider) throw new IdentityError('unknown_provider');
  return provider;
}

/** The redirect URI to register at the provider: `<PUBLIC_URL>/auth/<id>/callback`. */
function redirectUriFor(c: AppContext, provider: AuthProvider): string {
  return `${publicOrigin(c)}/auth/${provider.id}/callback`;
}

function ioOf(c: AppContext): ProviderIo {
  return {
    fetch: c.var.deps.fetch,
    nowMs: c.var.deps.clock.now(),
    allowHttpLoopback: c.var.config.identity.allowHttpLoopback,
  };
}

/**
 * A refused provider sign-in: the sign-in page with the fixed sentence for its code, answered 400
 * whatever the cause — a provider that is down is not our server failing, and the person can
 * always choose another way in from the same page.
 */
async function refusal(
  c: AppContext,
  err: IdentityError,
  provider: AuthProvider | undefined,
  returnTo = '/',
) {
  log('warn', 'identity.refused', {
    requestId: c.var.requestId,
    code: err.code,
    provider: provider?.id,
    ...(err.cause ? describeError(err.cause) : {}),
  });
  c.header('Cache-Control', 'no-store');
  // The code, for tests and support; the page shows only the fixed sentence.
  c.header('X-Gatehouse-Error', err.code);
  return c.html(
    <LoginPage
      serviceName={c.var.config.serviceName}
      csrfToken={await csrfToken(c)}
      returnTo={returnTo}
      error={err.message}
      providers={signInChoices(c).providers}
    />,
    400,
  );
}

/** `/auth/<provider>/…`: sign-in, sign-up and linking through the operator's providers. */
export function identityRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/auth/:provider/start', async (c) => {
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const returnTo = safeReturnTo(form.get('return_to'));
    let provider: AuthProvider | undefined;
    try {
      provider = providerById(c, c.req.param('provider'));
      const intent = form.get('intent') === 'link' ? 'link' : 'signin';
      const session = intent === 'link' ? await loadSession(c) : null;
      if (intent === 'link' && !session) return c.redirect('/login?return_to=%2Fsettings%2Faccount', 303);
      const started = await startAuthorization(provider, redirectUriFor(c, provider), ioOf(c));
      await setFlowCookie(c, {
        providerId: provider.id,
        state: started.state,
        nonce: started.nonce,
        codeVerifier: started.codeVerifier,
        intent,
        userId: session?.user.id,
        returnTo,
      });
      c.header('Cache-Control', 'no-store');
      return c.redirect(started.url, 303);
    } catch (err) {
      if (err instanceof IdentityError) return refusal(c, err, provider, returnTo);
      throw err;
    }
  });

  app.get('/auth/:provider/callback', async (c) => {
    c.header('Cache-Control', 'no-store');
    let provider: AuthProvider | undefined;
    let returnTo = '/';
    try {
      provider = providerById(c, c.req.param('provider'));
      // Each callback costs a token request (and maybe a JWKS fetch) at the provider.
      await enforceRateLimit(c.env.RL_AUTHORIZE, `idp:${clientIp(c)}`);
      const flow = await takeFlowCookie(c);
      if (!flow) throw new IdentityError('flow_expired');
      returnTo = flow.returnTo;
      const callback = new URL(c.req.url);
      // The state is compared before anything is sent to the provider: a callback this browser did
      // not start (login CSRF, a code injected from elsewhere) never reaches the token endpoint.
      if (flow.providerId !== provider.id || callback.searchParams.get('state') !== flow.state) {
        throw new IdentityError('state_mismatch');
      }
      const identity = await completeAuthorization(
        provider,
        redirectUriFor(c, provider),
        callback,
        flow,
        ioOf(c),
      );
      let sessionUser: User | null = null;
      if (flow.intent === 'link') {
        // Linking needs the very account that started it to be signed in still.
        const session = await loadSession(c);
        if (!session || session.user.id !== flow.userId) throw new IdentityError('flow_expired');
        sessionUser = session.user;
      }
      const meta = auditMetaOf(c);
      const outcome = await resolveIdentity(
        c.env.DB,
        { provider, identity, intent: flow.intent, sessionUser },
        meta,
      );
      switch (outcome.kind) {
        case 'linked':
          return c.redirect('/settings/account?notice=identity_linked', 303);
        case 'needs_proof':
          return mailLinkProof(c, provider, identity.subject, outcome.userId, outcome.email);
        case 'signed_in':
        case 'signed_up': {
          await auditStatement(c.env.DB, outcome.userId, 'signin', meta, { provider: provider.name }).run();
          await startSession(c, outcome.userId, clientIp(c), userAgent(c));
          if (outcome.kind === 'signed_up' && !outcome.emailVerified) {
            await sendVerification(c, outcome.userId, outcome.email).catch((err: unknown) =>
              log('error', 'mail.verification_failed', { requestId: c.var.requestId, ...describeError(err) }),
            );
          }
          return c.redirect(returnTo, 303);
        }
      }
    } catch (err) {
      if (err instanceof IdentityError) return refusal(c, err, provider, returnTo);
      throw err;
    }
  });

  async function mailLinkProof(
    c: AppContext,
    provider: AuthProvider,
    subject: string,
    userId: string,
    email: string,
  ) {
    await enforceRateLimit(c.env.RL_EMAIL, `link:${userId}`);
    const browserSecret = newSecret();
    const now = nowSeconds(c);
    const token = await createLinkRequest(
      c.env.DB,
      { userId, providerId: provider.id, subject, email },
      browserSecret,
      now,
    );
    setCookie(c, LINK_BROWSER_COOKIE, browserSecret, {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
      maxAge: LINK_REQUEST_TTL_SECONDS,
    });
    await auditStatement(c.env.DB, userId, 'identity_link_requested', auditMetaOf(c), {
      provider: provider.name,
    }).run();
    const link = `${publicOrigin(c)}/auth/link?token=${token}`;
    const { config, deps } = c.var;
    await createMailer(config, c.env.DB, deps.fetch, () => deps.clock.now()).send({
      to: email,
      subject: `Link ${provider.name} to your ${config.serviceName} account`,
      text: `Someone signed in with ${provider.name} as ${email}. To link that ${provider.name} identity to your account, open this link within one hour, in the same browser:\n\n${link}\n\nIf it was not you, ignore this message; nothing changes.`,
      links: [link],
    });
    return c.html(
      <LinkMailedPage
        serviceName={config.serviceName}
        csrfToken={await csrfToken(c)}
        providerName={provider.name}
        email={email}
      />,
    );
  }

  app.get('/auth/link', async (c) => {
    c.header('Cache-Control', 'no-store');
    const token = c.req.query('token');
    const pending = isTokenShaped(token) ? await peekLinkRequest(c.env.DB, token, nowSeconds(c)) : null;
    const provider = c.var.config.identity.providers.find((p) => p.id === pending?.providerId);
    const valid = pending !== null && provider !== undefined;
    return c.html(
      <ConfirmLinkPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        token={valid ? token! : ''}
        valid={valid}
        providerName={provider?.name}
      />,
      valid ? 200 : 400,
    );
  });

  // Consumed on POST only (mail scanners prefetch GETs), and only with the starting browser's cookie.
  app.post('/auth/link', async (c) => {
    c.header('Cache-Control', 'no-store');
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const token = form.get('token');
    const browserSecret = getCookie(c, LINK_BROWSER_COOKIE) ?? '';
    const invalid = async () =>
      c.html(
        <ConfirmLinkPage
          serviceName={c.var.config.serviceName}
          csrfToken={await csrfToken(c)}
          token=""
          valid={false}
        />,
        400,
      );
    if (!isTokenShaped(token) || form.duplicated.length > 0 || browserSecret.length !== 43) return invalid();
    const db = c.env.DB;
    const meta = auditMetaOf(c);
    const providers = c.var.config.identity.providers;
    let providerName = '';
    let linked: Awaited<ReturnType<typeof consumeLinkRequest>>;
    try {
      linked = await consumeLinkRequest(db, token, browserSecret, meta.now, (link, guard) => {
        providerName = providers.find((p) => p.id === link.providerId)?.name ?? link.providerId;
        return [
          insertIdentityStatement(db, link, meta.now, guard),
          // Opening the mailed link proved the mailbox.
          markEmailVerifiedStatement(db, link.userId, link.email, meta.now, guard),
          auditStatement(
            db,
            link.userId,
            'identity_linked',
            meta,
            { provider: providerName, via: 'mail' },
            guard,
          ),
          auditStatement(db, link.userId, 'signin', meta, { provider: providerName }, guard),
        ];
      });
    } catch (err) {
      // The identity got linked elsewhere, or the account already has one at this provider.
      if (err instanceof Error && /SQLITE_CONSTRAINT/.test(err.message)) return invalid();
      throw err;
    }
    if (!linked) return invalid();
    deleteCookie(c, LINK_BROWSER_COOKIE, { path: '/', secure: true });
    await startSession(c, linked.userId, clientIp(c), userAgent(c));
    return c.redirect('/settings/account?notice=identity_linked', 303);
  });

  app.post('/settings/identities/:provider/unlink', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const providerId = c.req.param('provider');
    const removed = await unlinkIdentity(c.env.DB, session.user.id, providerId);
    if (!removed) return c.redirect('/settings/account?notice=unlink_refused', 303);
    const name = c.var.config.identity.providers.find((p) => p.id === providerId)?.name ?? providerId;
    await auditStatement(c.env.DB, session.user.id, 'identity_unlinked', auditMetaOf(c), {
      provider: name,
    }).run();
    return c.redirect('/settings/account?notice=identity_unlinked', 303);
  });

  return app;
}
