import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../http/context';
import { authorizeRoutes } from './authorize';
import { jwksRoutes } from './jwks';
import { metadataRoutes } from './metadata';
import { protectedResourceRoutes } from './protected-resource';
import { registerRoutes } from './register';
import { revokeRoutes } from './revoke';
import { tokenRoutes } from './token';

/**
 * Browser-based clients (MCP Inspector, ChatGPT's web app) call discovery, registration, token and
 * revocation cross-origin. These endpoints authenticate with parameters, never cookies, so any origin
 * may call them and credentials are never allowed. `/oauth2/authorize` is a page, not an API: no CORS.
 */
const CORS_PATHS = [
  '/.well-known/*',
  '/oauth2/register',
  '/oauth2/token',
  '/oauth2/revoke',
  '/register',
  '/token',
  '/revoke',
];

const oauthCors = cors({
  origin: '*',
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type', 'MCP-Protocol-Version'],
  exposeHeaders: ['WWW-Authenticate', 'Retry-After'],
  maxAge: 86400,
  credentials: false,
});

/** The authorization server: discovery, registration, authorization, token and revocation. */
export function oauthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const path of CORS_PATHS) app.use(path, oauthCors);
  app.route('/', metadataRoutes());
  app.route('/', protectedResourceRoutes());
  app.route('/', jwksRoutes());
  app.route('/', registerRoutes());
  app.route('/', authorizeRoutes());
  app.route('/', tokenRoutes());
  app.route('/', revokeRoutes());
  return app;
}
