/**
 * The one error family. Handlers throw; `handleError` (error-handler.ts) turns what they throw into a
 * response whose shape depends on the surface: JSON `{ ok: false, error }` for APIs, an HTML page for
 * pages, RFC 6749 JSON for OAuth endpoints. Messages are fixed sentences chosen by us, never raw input.
 */

export type AppErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'forbidden'
  | 'csrf_failed'
  | 'email_not_verified'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'limit_reached'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'not_acceptable'
  | 'rate_limited'
  | 'temporarily_unavailable'
  | 'server_error';

const defaultStatus: Record<AppErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  forbidden: 403,
  csrf_failed: 403,
  email_not_verified: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  limit_reached: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_acceptable: 406,
  rate_limited: 429,
  temporarily_unavailable: 503,
  server_error: 500,
};

export interface AppErrorOptions {
  status?: number;
  headers?: Record<string, string>;
  /** Extra, safe, machine-readable details (e.g. which field failed) for API bodies. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** A failure caused by the request (or a retryable dependency failure), with a stable code. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: AppErrorCode, message: string, options: AppErrorOptions = {}) {
    // A refusal is expected control flow, answered and never logged with its own stack (a 5xx logs its
    // cause's): capturing one was a third of the CPU of a 401 on /mcp under the benchmark's profiler.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, { cause: options.cause });
    Error.stackTraceLimit = limit;
    this.code = code;
    this.status = options.status ?? defaultStatus[code];
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

/** @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 and RFC 7591 §3.2.2, RFC 8707 §2 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'server_error'
  | 'temporarily_unavailable';

/** An OAuth protocol error, rendered as `{ error, error_description }` with `Cache-Control: no-store`. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    code: OAuthErrorCode,
    description: string,
    status?: number,
    headers: Record<string, string> = {},
  ) {
    super(description);
    this.code = code;
    this.status =
      status ??
      (code === 'invalid_client'
        ? 401
        : code === 'server_error'
          ? 500
          : code === 'temporarily_unavailable'
            ? 503
            : 400);
    this.headers = headers;
  }
}

/** A dependency (D1, KV) failed in a way worth retrying; answered 503, never with partial effects. */
export function unavailable(cause: unknown): AppError {
  return new AppError('temporarily_unavailable', 'The service is briefly unavailable. Please retry.', {
    headers: { 'Retry-After': '5' },
    cause,
  });
}
