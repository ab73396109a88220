import type { MiddlewareHandler } from 'hono';
import { type AppContext, type AppEnv, nowSeconds, publicOrigin } from '../http/context';
import { AppError } from '../http/errors';
import { describeError, log } from '../http/log';
import { bearerChallenge } from '../http/www-authenticate';
import type { Scope } from '../oauth/scopes';
import { isScope } from '../oauth/scopes';
import { resourceMetadataUrl, resourceUrl } from './resource';
import { InvalidTokenError, type TokenVerifier } from './token-verifier';
import { BEARER_VERIFIERS } from './verifiers';

export interface BearerOptions {
  /** The scope every request must carry (`mcp` on /mcp, `api` on /api/*). */
  requiredScope: Scope;
  /** Which token kinds are accepted; defaults to every kind Gatehouse issues. */
  verifiers?: readonly TokenVerifier[];
}

// RFC 6750 §2.1: `Bearer` (any case), one space, a b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Hands a verifier's bookkeeping to `waitUntil`, so it runs after the response; a failure is logged. */
function deferWork(c: AppContext, work: Promise<unknown>): void {
  const settled = work.catch((err: unknown) =>
    log('warn', 'bearer.deferred_failed', { requestId: c.get('requestId'), ...describeError(err) }),
  );
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // No execution context (some in-process callers): the promise still runs to completion.
  }
}

/**
 * Resolves `Authorization: Bearer <token>` to a {@link Principal} in `c.get('principal')`, for every
 * method alike.
 *
 * - no `Authorization: Bearer` header → 401 with a challenge carrying no `error` (RFC 6750 §3.1)
 * - a token that is malformed, badly signed, expired, for another audience or revoked → 401
 *   `invalid_token`
 * - a valid token without the required scope → 403 `insufficient_scope`
 *
 * Every challenge names the protected-resource metadata and the scope, so MCP clients can start
 * OAuth from the bare URL. Tokens in the query string or the body (RFC 6750 §2.2, §2.3) are never
 * read: such a request is simply unauthenticated.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
export function requireBearer(opts: BearerOptions): MiddlewareHandler<AppEnv> {
  const { requiredScope } = opts;
  const verifiers = opts.verifiers ?? BEARER_VERIFIERS;
  if (!isScope(requiredScope)) throw new TypeError(`requireBearer: unknown scope ${String(requiredScope)}`);
  if (verifiers.length === 0) throw new TypeError('requireBearer: no token verifiers');

  function fail(c: AppContext, code: 'unauthorized' | 'invalid_token' | 'insufficient_scope'): AppError {
    const header = bearerChallenge({
      error: code === 'unauthorized' ? undefined : code,
      resourceMetadata: resourceMetadataUrl(c),
      scope: requiredScope,
    });
    const message =
      code === 'unauthorized'
        ? 'Send an access token in the Authorization header: Bearer <token>.'
        : code === 'invalid_token'
          ? 'The access token is invalid, expired or revoked.'
          : `The access token does not grant the "${requiredScope}" scope.`;
    return new AppError(code, message, { headers: { 'WWW-Authenticate': header } });
  }

  return async function requireBearer(c, next) {
    const authorization = c.req.header('authorization');
    if (!authorization || !/^bearer(\s|$)/i.test(authorization)) throw fail(c, 'unauthorized');
    const token = BEARER.exec(authorization)?.[1];
    const verifier = token ? verifiers.find((v) => v.accepts(token)) : undefined;
    if (!token || !verifier) throw fail(c, 'invalid_token');
    let principal: Awaited<ReturnType<TokenVerifier['verify']>>;
    try {
      principal = await verifier.verify(token, {
        config: c.get('config'),
        env: c.env,
        now: nowSeconds(c),
        issuer: publicOrigin(c),
        audience: resourceUrl(c),
        defer: (work) => deferWork(c, work),
      });
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err;
      log('info', 'bearer.rejected', {
        requestId: c.get('requestId'),
        kind: verifier.kind,
        reason: err.reason,
      });
      throw fail(c, 'invalid_token');
    }
    if (!principal.scopes.includes(requiredScope)) throw fail(c, 'insufficient_scope');
    c.set('principal', principal);
    await next();
  };
}
