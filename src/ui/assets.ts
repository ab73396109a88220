import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context';
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
  // A tiny mark for the tab bar; browsers ask for /favicon.ico on their own, so answer both.
  const icon = (c: AppContext) =>
    c.body(ICON, 200, { 'Cache-Control': cache, 'Content-Type': 'image/svg+xml' });
  app.get('/assets/icon.svg', icon);
  app.get('/favicon.ico', icon);
  return app;
}

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f5fbf"/><path d="M9 24V12l7-5 7 5v12h-5v-7h-4v7z" fill="#fff"/></svg>';
