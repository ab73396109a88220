import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ErrorPage } from '../ui/error-page';
import type { AppContext, Surface } from './context';
import { AppError, OAuthError, type OAuthErrorCode, unavailable } from './errors';
import { describeError, log } from './log';

const pageTitles: Record<number, string> = {
  400: 'Something is wrong with that request',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Page not found',
  405: 'Not allowed',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported request',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Briefly unavailable',
};

/** Which family of routes a path belongs to, so errors are rendered in that family's shape. */
export function surfaceFor(path: string): Surface {
  if (path === '/mcp' || path.startsWith('/mcp/')) return 'mcp';
  if (path.startsWith('/api/')) return 'api';
  if (
    path.startsWith('/oauth2/') ||
    path.startsWith('/.well-known/') ||
    path === '/token' ||
    path === '/register' ||
    path === '/revoke'
  ) {
    return 'oauth';
  }
  return 'page';
}

function surfaceOf(c: AppContext): Surface {
  return c.get('surface') ?? surfaceFor(new URL(c.req.url).pathname);
}

function oauthResponse(c: AppContext, err: OAuthError): Response {
  return c.json({ error: err.code, error_description: err.message }, err.status as ContentfulStatusCode, {
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    ...err.headers,
  });
}

/**
 * Whether a thrown value is a D1 or KV failure worth retrying (workerd's messages: `D1_ERROR: Network
 * connection lost.`, `D1_ERROR: D1 DB is overloaded…`, `KV PUT failed: 503 …`). SQL errors
 * (`…: SQLITE_CONSTRAINT`, `SQLITE_ERROR`) and KV 4xx answers are our bugs, not outages: they stay 500.
 */
export function isDependencyFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const m = err.message;
  if (m.startsWith('D1_ERROR') || m.startsWith('D1_EXEC_ERROR')) return !/\bSQLITE_/.test(m);
  return /^KV [A-Z_]+ failed: (429|5\d\d)\b/.test(m);
}

/** RFC 6749 §5.2 has no code for most transport problems; they are all `invalid_request`. */
function oauthCodeFor(err: AppError): OAuthErrorCode {
  if (err.code === 'rate_limited' || err.code === 'temporarily_unavailable') return 'temporarily_unavailable';
  if (err.status >= 500) return 'server_error';
  return 'invalid_request';
}

function appResponse(c: AppContext, err: AppError, requestId?: string): Response | Promise<Response> {
  const status = err.status as ContentfulStatusCode;
  if (surfaceOf(c) === 'oauth') {
    return oauthResponse(c, new OAuthError(oauthCodeFor(err), err.message, err.status, err.headers));
  }
  if (surfaceOf(c) === 'page') {
    c.header('Cache-Control', 'no-store');
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    const config = c.get('config');
    return c.html(
      <ErrorPage
        serviceName={config?.serviceName ?? 'Gatehouse'}
        status={err.status}
        title={pageTitles[err.status] ?? 'Something is wrong'}
        message={err.message}
        requestId={requestId}
      />,
      status,
    );
  }
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.details) error.details = err.details;
  if (requestId) error.request_id = requestId;
  return c.json({ ok: false, error }, status, { 'Cache-Control': 'no-store', ...err.headers });
}

/** The one error handler: every thrown value becomes a response here. */
export function handleError(err: unknown, c: AppContext): Response | Promise<Response> {
  if (err instanceof OAuthError) return oauthResponse(c, err);
  if (err instanceof AppError) {
    if (err.status >= 500) {
      log('warn', 'request.unavailable', {
        requestId: c.get('requestId'),
        code: err.code,
        ...describeError(err.cause),
      });
    }
    return appResponse(c, err);
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = err.status === 413 ? 'payload_too_large' : err.status === 404 ? 'not_found' : 'bad_request';
    return appResponse(c, new AppError(code, 'The request could not be processed.', { status: err.status }));
  }
  if (isDependencyFailure(err)) {
    // A D1/KV outage is answered 503 with Retry-After; multi-statement writes are D1 batches, so
    // nothing is left half-done (test/faults).
    return handleError(unavailable(err), c);
  }
  const requestId = c.get('requestId');
  log('error', 'request.failed', {
    requestId,
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    ...describeError(err),
  });
  if (surfaceOf(c) === 'oauth') {
    return oauthResponse(c, new OAuthError('server_error', 'The server could not complete the request.'));
  }
  return appResponse(
    c,
    new AppError('server_error', 'Something went wrong on our side. Please try again.'),
    requestId,
  );
}

export function handleNotFound(c: AppContext): Response | Promise<Response> {
  if (surfaceOf(c) === 'oauth')
    return oauthResponse(c, new OAuthError('invalid_request', 'Unknown endpoint.', 404));
  return appResponse(c, new AppError('not_found', 'There is nothing here.'));
}
