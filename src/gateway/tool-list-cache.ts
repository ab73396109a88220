import type { Tool } from '@modelcontextprotocol/server';
import { sha256Hex } from '../tokens/secrets';
import type { Upstream } from './upstreams';
import { open, seal, type Vault } from './vault';

/**
 * Each person's tool list per upstream, kept in KV for {@link TOOL_LIST_TTL_SECONDS} so a warm
 * `tools/list` costs no upstream round trip and no D1 query. Lists can say things about a person (an
 * upstream may tailor them), so they are sealed by the vault under the same person + upstream
 * binding as credentials, and the key carries only a digest of the person's id. A connection change
 * in this isolate drops the entry; elsewhere it lapses within the TTL (KV's minimum).
 */
export const TOOL_LIST_TTL_SECONDS = 60;

async function keyFor(userId: string, upstream: Upstream): Promise<string> {
  return `gw:tools:v1:${(await sha256Hex(`${userId}\n${upstream.id}\n${upstream.url}`)).slice(0, 40)}`;
}

export async function cachedToolList(
  kv: KVNamespace,
  vault: Vault,
  userId: string,
  upstream: Upstream,
): Promise<Tool[] | undefined> {
  const sealed = await kv.get(await keyFor(userId, upstream)).catch(() => null);
  if (!sealed) return undefined;
  try {
    const tools: unknown = JSON.parse(await open(vault, { userId, upstreamId: upstream.id }, sealed));
    return Array.isArray(tools) ? (tools as Tool[]) : undefined;
  } catch {
    return undefined;
  }
}

export async function storeToolList(
  kv: KVNamespace,
  vault: Vault,
  userId: string,
  upstream: Upstream,
  tools: Tool[],
): Promise<void> {
  const sealed = await seal(vault, { userId, upstreamId: upstream.id }, JSON.stringify(tools));
  await kv
    .put(await keyFor(userId, upstream), sealed, { expirationTtl: TOOL_LIST_TTL_SECONDS })
    .catch(() => {});
}

export async function forgetToolList(kv: KVNamespace, userId: string, upstream: Upstream): Promise<void> {
  await kv.delete(await keyFor(userId, upstream)).catch(() => {});
}
