import type { ClientCapabilities, ProtocolEra } from '@modelcontextprotocol/server';
import { createEraCache, type EraCache } from '../../gateway/era-cache';
import type { GatewaySession } from '../../gateway/tool-source';
import type { AppContext } from '../../http/context';
import { catalogOf, oauthClientEnv } from '../../settings/gateway-context';
import type { RequestStateCodec } from '../../tokens/request-state';
import { principalKey } from './confirm';
import { mcpTools } from './tools';

const eraCaches = new WeakMap<KVNamespace, EraCache>();

/** One era cache per isolate (per KV namespace): what each upstream speaks is probed once. */
function erasFor(c: AppContext): EraCache {
  let eras = eraCaches.get(c.env.CACHE);
  if (!eras) {
    const clock = c.get('deps').clock;
    eras = createEraCache(c.env.CACHE, () => clock.now());
    eraCaches.set(c.env.CACHE, eras);
  }
  return eras;
}

/**
 * The gateway's part of one /mcp request: undefined when the catalog is empty (the workspace alone),
 * else a factory that completes the session with what the client declared on the request.
 */
export async function gatewayFor(
  c: AppContext,
  era: ProtocolEra,
  protocolVersion: string,
  requestStates: RequestStateCodec,
): Promise<((capabilities: ClientCapabilities | undefined) => GatewaySession) | undefined> {
  const catalog = await catalogOf(c);
  if (catalog.length === 0) return undefined;
  const access = await oauthClientEnv(c);
  const config = c.get('config');
  const principal = c.get('principal');
  const clock = c.get('deps').clock;
  const base = {
    principal,
    catalog,
    access,
    fetch: c.get('deps').fetch,
    nowMs: () => clock.now(),
    eras: erasFor(c),
    kv: c.env.CACHE,
    vault: access.vault,
    allowHttpLoopback: config.upstreamAllowHttpLoopback,
    origin: access.origin,
    era,
    protocolVersion,
    ownToolNames: new Set(mcpTools().byName.keys()),
    requestStates,
    principalKey: principalKey(principal),
    requestId: c.get('requestId'),
    defer: (work: Promise<unknown>) => c.executionCtx.waitUntil(work),
  } as const;
  return (clientCapabilities) => ({ ...base, clientCapabilities });
}
