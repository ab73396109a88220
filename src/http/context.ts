import type { Context } from 'hono';
import type { SessionState } from '../accounts/sessions';
import type { Principal } from '../auth/principal';
import type { Config } from '../config';
import type { Env } from '../env';

/** Time source in milliseconds since the epoch; injectable so tests never sleep. */
export interface Clock {
  now(): number;
}

/** What varies between production and tests; passed to `createApp`. */
export interface Deps {
  readonly clock: Clock;
  /** Outbound fetch (client ID metadata documents, mail API). */
  readonly fetch: typeof fetch;
}

/** Which family of routes answered; the error handler renders errors to suit it. */
export type Surface = 'page' | 'api' | 'oauth' | 'mcp';

export interface AppVariables {
  config: Config;
  deps: Deps;
  requestId: string;
  surface: Surface;
  /** Loaded lazily by `loadSession`; null once looked up and absent. */
  session: SessionState | null | undefined;
  principal: Principal;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
export type AppContext = Context<AppEnv>;

export function nowSeconds(c: AppContext): number {
  return Math.floor(c.get('deps').clock.now() / 1000);
}

const requestOrigins = new WeakMap<Request, string>();

/** The issuer / public origin: PUBLIC_URL, or (outside production only) the request's origin. */
export function publicOrigin(c: AppContext): string {
  const configured = c.get('config').publicUrl;
  if (configured) return configured;
  // Development fallback: the request's origin, parsed once per request.
  let origin = requestOrigins.get(c.req.raw);
  if (origin === undefined) {
    origin = new URL(c.req.url).origin;
    requestOrigins.set(c.req.raw, origin);
  }
  return origin;
}

export function clientIp(c: AppContext): string {
  return c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? '127.0.0.1';
}

export function userAgent(c: AppContext): string {
  return (c.req.header('user-agent') ?? '').slice(0, 256);
}
