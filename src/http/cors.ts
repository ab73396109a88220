import type { MiddlewareHandler } from 'hono';
import { type AppContext, type AppEnv, publicOrigin } from './context';
import { AppError } from './errors';

/**
 * `Origin` checks and CORS for the Bearer surfaces (/mcp, /api/*).
 *
 * A request without `Origin` (Claude's cloud, mcp-remote, curl, scripts) passes: it cannot be a
 * browser page riding on someone's network position. A request whose `Origin` is neither ours nor in
 * `ALLOWED_ORIGINS` is refused with 403 before authentication, which is the MCP transport's
 * DNS-rebinding protection. An allowed origin gets CORS headers, and its preflight a 204.
 *
 * CORS never relaxes authentication: every request still needs its Bearer token, and we never send
 * `Access-Control-Allow-Credentials`, so cookies are not involved.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#security-warning
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
export interface CorsOptions {
  /** Methods a preflight may ask for. */
  methods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
}

export const MCP_CORS: CorsOptions = {
  methods: ['POST', 'GET', 'DELETE', 'OPTIONS'],
  allowHeaders: [
    'Authorization',
    'Content-Type',
    'Accept',
    'Mcp-Session-Id',
    'MCP-Protocol-Version',
    'Last-Event-ID',
  ],
  exposeHeaders: ['WWW-Authenticate', 'Mcp-Session-Id', 'MCP-Protocol-Version'],
};

export const API_CORS: CorsOptions = {
  methods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type', 'Accept'],
  exposeHeaders: ['WWW-Authenticate', 'Retry-After'],
};

export function isAllowedOrigin(c: AppContext, origin: string): boolean {
  return origin === publicOrigin(c) || c.get('config').allowedOrigins.includes(origin);
}

export function originGuard(opts: CorsOptions): MiddlewareHandler<AppEnv> {
  const allowMethods = opts.methods.join(', ');
  const allowHeaders = opts.allowHeaders.join(', ');
  const exposeHeaders = opts.exposeHeaders.join(', ');
  if (opts.methods.length === 0) throw new TypeError('originGuard: no methods');

  return async function originGuard(c, next) {
    const origin = c.req.header('origin');
    if (origin === undefined) {
      if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allowMethods });
      await next();
      return;
    }
    if (!isAllowedOrigin(c, origin)) {
      throw new AppError('forbidden', 'Requests from this origin are not allowed.');
    }
    if (c.req.method === 'OPTIONS') {
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': allowMethods,
        'Access-Control-Allow-Headers': allowHeaders,
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      });
    }
    try {
      await next();
    } finally {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Expose-Headers', exposeHeaders);
      c.header('Vary', 'Origin', { append: true });
    }
  };
}
