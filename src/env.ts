/** The Worker's bindings, as declared in wrangler.toml plus the secrets in `.dev.vars` / `wrangler secret`. */
export interface Env {
  DB: D1Database;
  CACHE: KVNamespace;
  RL_SIGNIN: RateLimit;
  RL_SIGNIN_ACCOUNT: RateLimit;
  RL_SIGNUP: RateLimit;
  RL_EMAIL: RateLimit;
  RL_REGISTER: RateLimit;
  RL_TOKEN: RateLimit;
  RL_AUTHORIZE: RateLimit;
  ENVIRONMENT?: string;
  PUBLIC_URL?: string;
  SERVICE_NAME?: string;
  MAIL_FROM?: string;
  MAIL_API_URL?: string;
  MAIL_API_KEY?: string;
  SESSION_SECRET?: string;
  REQUEST_STATE_SECRET?: string;
  SIGNING_KEYS?: string;
  ALLOWED_ORIGINS?: string;
  REFRESH_GRACE_SECONDS?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  CIMD_ALLOW_HTTP_LOOPBACK?: string;
  GATEHOUSE_UPSTREAMS?: string;
  UPSTREAM_ALLOW_HTTP_LOOPBACK?: string;
  VAULT_KEYS?: string;
  ADMIN_EMAILS?: string;
  /** JSON array of sign-in providers (README "Sign in with other providers"). */
  AUTH_PROVIDERS?: string;
  AUTH_PROVIDER_ALLOW_HTTP_LOOPBACK?: string;
  PASSWORD_SIGNUP?: string;
  /** Each provider's client secret. */
  [secret: `AUTH_PROVIDER_${string}_SECRET`]: string | undefined;
}
