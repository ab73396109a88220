import { Hono } from 'hono';
import type { AppEnv } from '../http/context';
import { SCRIPT } from './assets/script';
import { STYLESHEET } from './assets/styles';

/** The one stylesheet and the one small script, served by the Worker itself (CSP stays 'self'). */
export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const cache = 'public, max-age=3600';
  app.get('/assets/app.css', (c) =>
    c.body(STYLESHEET, 200, { 'Cache-Control': cache, 'Content-Type': 'text/css; charset=utf-8' }),
  );
  app.get('/assets/app.js', (c) =>
    c.body(SCRIPT, 200, { 'Cache-Control': cache, 'Content-Type': 'text/javascript; charset=utf-8' }),
  );
  return app;
}
