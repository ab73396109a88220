import { Hono } from 'hono';
import { devMailRoutes } from './accounts/dev-mail';
import { accountRoutes } from './accounts/routes';
import { adminUpstreamRoutes } from './admin/upstreams';
import { getConfig } from './config';
import type { AppEnv, Deps } from './http/context';
import { handleError, handleNotFound, surfaceFor } from './http/error-handler';
import { securityHeaders } from './http/security-headers';
import { identityRoutes } from './identity/routes';
import { oauthRoutes } from './oauth/router';
import { accountSettingsRoutes } from './settings/account';
import { apiTokenRoutes } from './settings/api-tokens';
import { appsRoutes } from './settings/apps';
import { connectionRoutes } from './settings/connections';
import { securityLogRoutes } from './settings/security-log';
import { actionApiV2Routes } from './surfaces/action-api-v2/routes';
import { mcpRoutes } from './surfaces/mcp/routes';
import { referencePageRoutes } from './surfaces/rest-v1/reference-page';
import { restV1Routes } from './surfaces/rest-v1/routes';
import { assetRoutes } from './ui/assets';

export const defaultDeps: Deps = {
  clock: { now: () => Date.now() },
  fetch: (input, init) => fetch(input, init),
};

/**
 * Builds the whole application. `deps` lets tests inject a clock and an outbound fetch; everything
 * else comes from the env bindings.
 */
export function createApp(deps: Deps = defaultDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async function context(c, next) {
    c.set('config', getConfig(c.env));
    c.set('deps', deps);
    c.set('requestId', c.req.header('cf-ray') ?? crypto.randomUUID());
    c.set('surface', surfaceFor(c.req.path));
    c.set('session', undefined);
    await next();
  });
  app.use('*', securityHeaders());

  app.route('/', assetRoutes());
  app.route('/', devMailRoutes());
  app.route('/', accountRoutes());
  app.route('/', identityRoutes());
  app.route('/', mcpRoutes());
  app.route('/', oauthRoutes());
  // Session-based settings (including /api/v1/me/tokens) come before the Bearer-protected API routes.
  app.route('/', apiTokenRoutes());
  app.route('/', securityLogRoutes());
  app.route('/', accountSettingsRoutes());
  app.route('/', appsRoutes());
  app.route('/', connectionRoutes());
  app.route('/', adminUpstreamRoutes());
  app.route('/', restV1Routes());
  app.route('/', actionApiV2Routes());
  app.route('/', referencePageRoutes());

  app.notFound(handleNotFound);
  app.onError(handleError);
  return app;
}
