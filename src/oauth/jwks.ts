import { Hono } from 'hono';
import type { AppEnv } from '../http/context';
import { getKeySet } from '../tokens/keys';

/** The public halves of the signing keys (RFC 7517), for anyone verifying our access tokens. */
export function jwksRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/.well-known/jwks.json', async (c) => {
    const keys = await getKeySet(c.var.config);
    return c.json(keys.jwks, 200, { 'Cache-Control': 'public, max-age=300' });
  });
  return app;
}
