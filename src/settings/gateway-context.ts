import { loadCatalog } from '../gateway/catalog';
import type { OAuthClientEnv } from '../gateway/upstream-oauth';
import type { Upstream } from '../gateway/upstreams';
import { vaultFor } from '../gateway/vault';
import { type AppContext, nowSeconds, publicOrigin } from '../http/context';

/** The gateway's dependencies for one request, taken from the Hono context once, at the edge. */
export async function oauthClientEnv(c: AppContext): Promise<OAuthClientEnv> {
  const config = c.get('config');
  return {
    db: c.env.DB,
    vault: await vaultFor(config.vaultKeys),
    fetch: c.get('deps').fetch,
    now: nowSeconds(c),
    origin: publicOrigin(c),
    serviceName: config.serviceName,
    allowHttpLoopback: config.upstreamAllowHttpLoopback,
  };
}

/** The catalog (configured + admin-added upstreams) for this request. */
export async function catalogOf(c: AppContext): Promise<readonly Upstream[]> {
  const config = c.get('config');
  const vault = config.vaultKeys.length > 0 ? await vaultFor(config.vaultKeys) : undefined;
  return loadCatalog(c.env.DB, config, vault, c.get('deps').clock.now());
}
