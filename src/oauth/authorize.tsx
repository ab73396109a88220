import { Hono } from 'hono';
import { auditStatement } from '../accounts/audit';
import { loadSession, type SessionState } from '../accounts/sessions';
import { readForm } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { clientIp, nowSeconds, userAgent } from '../http/context';
import { csrfToken, requireCsrf } from '../http/csrf';
import { AppError } from '../http/errors';
import { enforceRateLimit } from '../http/rate-limit';
import { ConsentPage } from '../ui/consent-page';
import { appOwnerEmail } from './apps';
import {
  AuthorizationRedirectError,
  type AuthorizationRequest,
  resolveTarget,
  type TrustedTarget,
  validateAuthorizationParams,
} from './authorize-request';
import { createGrantWithCode, hasRememberedConsent } from './grant-store';
import { redirectDestination } from './redirect-uri';
import { SCOPES } from './scopes';
import { issuerOf } from './urls';

/** The consent form carries the original request (≤ 8 KB) and a token. */
const CONSENT_FORM_LIMIT = 16 * 1024;

/** Sends the browser back to the client (RFC 6749 §4.1.2) with `iss` (RFC 9207 §2). */
function redirectToClient(
  c: AppContext,
  target: TrustedTarget,
  params: Record<string, string | undefined>,
): Response {
  const url = new URL(target.redirectUri);
  for (const [k, v] of Object.entries({ ...params, state: target.state, iss: issuerOf(c) })) {
    if (v !== undefined) url.searchParams.append(k, v);
  }
  c.header('Cache-Control', 'no-store');
  return c.redirect(url.href, 302);
}

function redirectError(c: AppContext, err: AuthorizationRedirectError): Response {
  return redirectToClient(c, err.target, { error: err.code, error_description: err.message });
}

/** Validates both phases; phase-2 failures become a redirect to the client. */
async function validate(c: AppContext, params: URLSearchParams): Promise<AuthorizationRequest | Response> {
  const target = await resolveTarget(c, params);
  try {
    return validateAuthorizationParams(c, target, params);
  } catch (err) {
    if (err instanceof AuthorizationRedirectError) return redirectError(c, err);
    throw err;
  }
}

async function issueCode(
  c: AppContext,
  session: SessionState,
  req: AuthorizationRequest,
  how: 'approved' | 'remembered',
): Promise<Response> {
  const db = c.env.DB;
  const now = nowSeconds(c);
  const { code } = await createGrantWithCode(
    db,
    {
      userId: session.user.id,
      clientId: req.client.clientId,
      redirectUri: req.redirectUri,
      scope: req.scope,
      resource: req.resource,
      codeChallenge: req.codeChallenge,
      now,
    },
    (grantId) => [
      auditStatement(
        db,
        session.user.id,
        'app_connected',
        { ip: clientIp(c), userAgent: userAgent(c), now },
        {
          client_id: req.client.clientId,
          client_name: req.client.clientName,
          grant_id: grantId,
          consent: how,
        },
      ),
    ],
  );
  return redirectToClient(c, req, { code });
}

function loginRedirect(c: AppContext, params: URLSearchParams): Response {
  c.header('Cache-Control', 'no-store');
  return c.redirect(`/login?return_to=${encodeURIComponent(`/oauth2/authorize?${params}`)}`, 303);
}

function documentHost(clientId: string): string {
  try {
    return new URL(clientId).host;
  } catch {
    return clientId;
  }
}

/**
 * `GET /oauth2/authorize` (and `/authorize`): validates, sends a signed-out person to sign in and back,
 * skips consent that was already given for the same client, redirect URI and scopes, and otherwise
 * shows the consent page. `POST /oauth2/authorize` receives the decision.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export function authorizeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const show = async (c: AppContext) => {
    // Errors before the redirect URI is trusted are pages, not JSON, whatever the path prefix.
    c.set('surface', 'page');
    c.header('Cache-Control', 'no-store');
    await enforceRateLimit(c.env.RL_AUTHORIZE, `ip:${clientIp(c)}`);
    const params = new URL(c.req.url).searchParams;
    const req = await validate(c, params);
    if (req instanceof Response) return req;
    const session = await loadSession(c);
    if (!session) return loginRedirect(c, params);
    const remembered = await hasRememberedConsent(c.env.DB, {
      userId: session.user.id,
      clientId: req.client.clientId,
      redirectUri: req.redirectUri,
      scope: req.scope,
    });
    if (remembered) return issueCode(c, session, req, 'remembered');
    const token = await csrfToken(c);
    return c.html(
      <ConsentPage
        serviceName={c.var.config.serviceName}
        csrfToken={token}
        signedInAs={session.user.email}
        clientName={req.client.clientName}
        registrationType={req.client.registrationType}
        ownerEmail={await appOwnerEmail(c.env.DB, req.client)}
        documentHost={req.client.registrationType === 'cimd' ? documentHost(req.client.clientId) : undefined}
        destination={redirectDestination(req.redirectUri)}
        scopes={req.scopes.map((s) => ({ name: s, description: SCOPES[s] }))}
        request={params.toString()}
      />,
    );
  };

  app.get('/oauth2/authorize', show);
  app.get('/authorize', show);

  app.post('/oauth2/authorize', async (c) => {
    c.set('surface', 'page');
    c.header('Cache-Control', 'no-store');
    const form = await readForm(c.req.raw, CONSENT_FORM_LIMIT);
    await requireCsrf(c, form);
    const session = await loadSession(c);
    const decision = form.get('decision');
    if (form.duplicated.length > 0 || (decision !== 'approve' && decision !== 'deny')) {
      throw new AppError('bad_request', 'Choose Allow or Deny.');
    }
    const params = new URLSearchParams(form.get('request') ?? '');
    const req = await validate(c, params);
    if (req instanceof Response) return req;
    if (!session) return loginRedirect(c, params);
    if (decision === 'deny') {
      return redirectToClient(c, req, {
        error: 'access_denied',
        error_description: 'The person denied the request.',
      });
    }
    return issueCode(c, session, req, 'approved');
  });

  return app;
}
