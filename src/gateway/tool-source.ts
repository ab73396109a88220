import {
  type CallToolResult,
  type ClientCapabilities,
  type GetPromptResult,
  type InputRequests,
  type InputRequiredResult,
  inputRequired,
  isInputRequiredResult,
  type Prompt,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplateType,
  type Tool,
  UrlElicitationRequiredError,
} from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal';
import { log } from '../http/log';
import { type RequestStateCodec, RequestStateError } from '../tokens/request-state';
import {
  type CredentialFailure,
  credentialRefused,
  needsConnection,
  noteUse,
  upstreamAccess,
} from './connections';
import type { EraCache } from './era-cache';
import { cachedToolList, storeToolList } from './tool-list-cache';
import {
  createUpstreamClient,
  type RoundOptions,
  type UpstreamClient,
  type UpstreamOutcome,
} from './upstream-client';
import type { UpstreamFailure, UpstreamResult } from './upstream-failure';
import type { OAuthClientEnv } from './upstream-oauth';
import { exposedName, routeName, TOOL_SEPARATOR, type Upstream } from './upstreams';
import type { Vault } from './vault';

/**
 * The upstreams as one tool source inside `/mcp`: their tools, resources and prompts listed beside the
 * workspace's, under `<prefix>__<name>` (resource URIs under `gatehouse-upstream://<prefix>/…`), and
 * each call routed back to its upstream with the person's own credential. The client's Gatehouse token
 * never leaves this process; the upstream's answer comes back as it was, except for names and URIs.
 *
 * Failures never become a 5xx: an upstream that is down, slow, not MCP, too large or refusing our
 * credential is a tool error (or, in a list, a skipped upstream named in `_meta`). A person who has
 * not connected an upstream sees one `<prefix>__connect` tool for it, and any call that needs the
 * connection asks them to connect in the browser — as the client's protocol revision allows.
 */

/** The `_meta` key of a list result that names the upstreams left out of it, and why. */
export const SKIPPED_META_KEY = 'io.gatehouse/skipped';
/** Resource URIs of prefixed upstreams: `gatehouse-upstream://<prefix>/<the upstream's own URI>`. */
export const UPSTREAM_URI_SCHEME = 'gatehouse-upstream://';
/** A list waits at most this long for one upstream; the others are never held up by it. */
export const LIST_DEADLINE_MS = 10_000;
const CONNECT_SUFFIX = 'connect';
const CONNECT_KEY = 'connect';

export interface GatewaySession {
  readonly principal: Principal;
  readonly catalog: readonly Upstream[];
  /** The credential side: D1, the vault, refresh (see connections.ts). */
  readonly access: OAuthClientEnv;
  readonly fetch: typeof fetch;
  readonly nowMs: () => number;
  readonly eras: EraCache;
  readonly kv: KVNamespace;
  readonly vault: Vault;
  readonly allowHttpLoopback: boolean;
  /** Gatehouse's origin: connect links point at its settings pages. */
  readonly origin: string;
  /** The person's client: its era, revision and declared capabilities decide how we may ask. */
  readonly era: 'modern' | 'legacy';
  readonly protocolVersion: string;
  readonly clientCapabilities: ClientCapabilities | undefined;
  /** Names the workspace already uses; an unprefixed upstream may not shadow them. */
  readonly ownToolNames: ReadonlySet<string>;
  readonly requestStates: RequestStateCodec;
  readonly principalKey: string;
  readonly requestId: string;
  /** Work to finish after the response (`waitUntil`). */
  readonly defer: (work: Promise<unknown>) => void;
}

export interface Skipped {
  readonly upstream: string;
  readonly reason: string;
}

export interface Listed<T> {
  readonly items: T[];
  readonly skipped: Skipped[];
}

export function connectToolName(upstream: Upstream): string {
  return `${upstream.prefix || upstream.id}${TOOL_SEPARATOR}${CONNECT_SUFFIX}`;
}

export function connectUrl(session: GatewaySession, upstream: Upstream): string {
  return `${session.origin}/settings/connections/${upstream.id}`;
}

function connectTool(upstream: Upstream, failure: CredentialFailure): Tool {
  const again = failure === 'needs_reconnect';
  return {
    name: connectToolName(upstream),
    title: `${again ? 'Reconnect' : 'Connect'} ${upstream.name}`,
    description:
      `${upstream.name}'s tools appear here once you connect your own ${upstream.name} account. ` +
      'Call this tool to get the link; connecting happens in the browser.',
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true, openWorldHint: false, title: `Connect ${upstream.name}` },
  };
}

function clientFor(
  session: GatewaySession,
  upstream: Upstream,
  headers: Record<string, string>,
): UpstreamClient {
  return createUpstreamClient(
    {
      fetch: session.fetch,
      now: session.nowMs,
      eras: session.eras,
      allowHttpLoopback: session.allowHttpLoopback,
    },
    {
      upstream,
      userId: session.principal.userId,
      credentialHeaders: async () => headers,
      ...(session.clientCapabilities && { clientCapabilities: session.clientCapabilities }),
    },
  );
}

/** Runs `work` for each upstream at once; one that does not finish by the deadline is skipped, not awaited. */
async function eachUpstream<T>(
  session: GatewaySession,
  work: (upstream: Upstream) => Promise<{ items: T[]; skipped?: Skipped }>,
): Promise<Listed<T>> {
  const results = await Promise.all(
    session.catalog.map(async (upstream) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<{ items: T[]; skipped: Skipped }>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              items: [],
              skipped: { upstream: upstream.id, reason: `${upstream.name} did not answer in time.` },
            }),
          Math.min(LIST_DEADLINE_MS, upstream.timeoutMs),
        );
      });
      try {
        return await Promise.race([work(upstream), deadline]);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const items = results.flatMap((r) => r.items);
  const skipped = results.flatMap((r) => (r.skipped ? [r.skipped] : []));
  if (skipped.length > 0) log('warn', 'gateway.list_skipped', { requestId: session.requestId, skipped });
  return { items, skipped };
}

/** What the list step does with a person's access: headers to list with, a connect tool, or a skip. */
async function accessForList(
  session: GatewaySession,
  upstream: Upstream,
): Promise<{ headers: Record<string, string> } | { failure: CredentialFailure }> {
  const access = await upstreamAccess(session.access, upstream, session.principal.userId);
  return access.ok ? { headers: access.headers } : { failure: access.failure };
}

function skip(upstream: Upstream, failure: UpstreamFailure): { items: never[]; skipped: Skipped } {
  return { items: [], skipped: { upstream: upstream.id, reason: failure.message } };
}

/** An unprefixed upstream keeps its names, except those that would shadow a workspace or routed name. */
function shadows(session: GatewaySession, upstream: Upstream, name: string): boolean {
  if (upstream.prefix !== '') return false;
  if (session.ownToolNames.has(name)) return true;
  const at = name.indexOf(TOOL_SEPARATOR);
  if (at > 0) {
    const head = name.slice(0, at);
    if (session.catalog.some((u) => u !== upstream && u.prefix !== '' && u.prefix === head)) {
      return true;
    }
  }
  return session.catalog.some((u) => connectToolName(u) === name);
}

function exposeTool(session: GatewaySession, upstream: Upstream, tool: Tool): Tool | undefined {
  if (shadows(session, upstream, tool.name)) {
    log('warn', 'gateway.name_collision', { upstream: upstream.id, tool: tool.name.slice(0, 128) });
    return undefined;
  }
  const label = tool.title ?? tool.annotations?.title ?? tool.name;
  return { ...tool, name: exposedName(upstream, tool.name), title: `${upstream.name}: ${label}` };
}

/** Every upstream tool this person can use now, or a connect tool in its place. */
export function listGatewayTools(session: GatewaySession): Promise<Listed<Tool>> {
  return eachUpstream(session, async (upstream) => {
    const access = await accessForList(session, upstream);
    if ('failure' in access) {
      if (access.failure === 'refresh_failed') {
        return {
          items: [],
          skipped: {
            upstream: upstream.id,
            reason: `${upstream.name}'s sign-in could not be renewed just now.`,
          },
        };
      }
      return { items: [connectTool(upstream, access.failure)] };
    }
    const userId = session.principal.userId;
    // Lists are cached sealed; without vault keys (no upstream needs them) they are simply not cached.
    const cacheable = session.vault.keys.length > 0;
    let tools = cacheable ? await cachedToolList(session.kv, session.vault, userId, upstream) : undefined;
    if (!tools) {
      const listed = await clientFor(session, upstream, access.headers).listTools();
      if (!listed.ok) {
        if (listed.failure.kind === 'unauthorized' && needsConnection(upstream)) {
          await credentialRefused(session.access, upstream, userId);
          return { items: [connectTool(upstream, 'needs_reconnect')] };
        }
        return skip(upstream, listed.failure);
      }
      tools = listed.value;
      if (cacheable) await storeToolList(session.kv, session.vault, userId, upstream, tools);
    }
    return { items: tools.flatMap((t) => exposeTool(session, upstream, t) ?? []) };
  });
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

/**
 * Asks the person to connect `upstream` in the browser, in the way their client's revision allows:
 * 2026-07-28 clients that declared URL elicitation get `input_required` (the retry carries our
 * `requestState` back); 2025-11-25 clients that declared it get the URL-elicitation-required error;
 * every other client gets a tool result with the link.
 * @see https://modelcontextprotocol.io/specification/2026-07-28/client/elicitation
 */
async function askToConnect(
  session: GatewaySession,
  upstream: Upstream,
  failure: CredentialFailure,
  binding: { method: string; name: string; params: unknown },
): Promise<CallToolResult | InputRequiredResult> {
  const url = connectUrl(session, upstream);
  const verb = failure === 'needs_reconnect' ? 'reconnect' : 'connect';
  const message = `To use ${upstream.name}, ${verb} your ${upstream.name} account to ${session.access.serviceName}.`;
  const urlMode = session.clientCapabilities?.elicitation?.url !== undefined;
  if (session.era === 'modern' && urlMode) {
    return inputRequired({
      inputRequests: { [CONNECT_KEY]: inputRequired.elicitUrl({ message, url }) },
      requestState: await session.requestStates.mint(
        { gateway: 'connect', upstream: upstream.id },
        { principal: session.principalKey, ...binding },
        Math.floor(session.nowMs() / 1000),
      ),
    });
  }
  // A stateless 2025-era request carries no capabilities (they were sent once, with `initialize`), so
  // 2025-11-25 clients get the error that revision defined for this, with the link in its message too:
  // a client that cannot open it still shows the person where to go.
  if (session.era === 'legacy' && session.protocolVersion === '2025-11-25') {
    throw new UrlElicitationRequiredError(
      [{ mode: 'url', elicitationId: crypto.randomUUID(), url, message }],
      `${message} Open ${url} in your browser, then try again.`,
    );
  }
  return toolError(`${message} Open ${url} in your browser, then try again.`);
}

/**
 * Whether a retry carries the state of our own connect question (then the person says they have
 * connected, and the call goes ahead if they have); any other state belongs to the upstream.
 */
async function isOurConnectState(
  session: GatewaySession,
  state: string | undefined,
  binding: { method: string; name: string; params: unknown },
): Promise<boolean> {
  if (state === undefined) return false;
  try {
    const payload = await session.requestStates.open(
      state,
      { principal: session.principalKey, ...binding },
      Math.floor(session.nowMs() / 1000),
    );
    return payload.gateway === 'connect';
  } catch (err) {
    if (err instanceof RequestStateError) return false;
    throw err;
  }
}

type Routed = { upstream: Upstream; name: string };

function routeTool(session: GatewaySession, name: string): Routed | { connect: Upstream } | undefined {
  const connect = session.catalog.find((u) => connectToolName(u) === name);
  if (connect) return { connect };
  return routeName(session.catalog, name);
}

/** Whether `name` is the gateway's to answer (a routed upstream tool or a connect tool). */
export function isGatewayTool(session: GatewaySession, name: string): boolean {
  return routeTool(session, name) !== undefined;
}

/** What an upstream failure becomes for the person's client. */
function failureResult(failure: UpstreamFailure): CallToolResult {
  // An unknown tool or bad arguments is the upstream's protocol answer, and stays one (-32602).
  if (failure.kind === 'protocol_error' && failure.rpc?.code === ProtocolErrorCode.InvalidParams) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, failure.rpc.message);
  }
  return toolError(failure.message);
}

interface CallRound extends RoundOptions {
  readonly onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/**
 * Routes a `tools/call` to its upstream. Returns undefined when no upstream answers to `name`.
 * Throws only protocol errors the client must see as such (-32602 from the upstream, -32042).
 */
export async function callGatewayTool(
  session: GatewaySession,
  name: string,
  args: Record<string, unknown>,
  round: CallRound,
): Promise<CallToolResult | InputRequiredResult | undefined> {
  const route = routeTool(session, name);
  if (!route) return undefined;
  const binding = { method: 'tools/call', name, params: args };
  const userId = session.principal.userId;
  if ('connect' in route) {
    const access = await upstreamAccess(session.access, route.connect, userId, { fresh: true });
    if (access.ok) {
      return {
        content: [
          {
            type: 'text',
            text: `${route.connect.name} is connected. List the tools again to see its tools.`,
          },
        ],
      };
    }
    return askToConnect(session, route.connect, access.failure, binding);
  }
  const { upstream } = route;
  const ours = await isOurConnectState(session, round.requestState, binding);
  const access = await upstreamAccess(session.access, upstream, userId, { fresh: ours });
  if (!access.ok) {
    if (access.failure === 'refresh_failed')
      return toolError(`${upstream.name}'s sign-in could not be renewed just now. Try again shortly.`);
    return askToConnect(session, upstream, access.failure, binding);
  }
  const result = await clientFor(session, upstream, access.headers).callTool(route.name, args, {
    ...(!ours && round.inputResponses !== undefined && { inputResponses: round.inputResponses }),
    ...(!ours && round.requestState !== undefined && { requestState: round.requestState }),
    ...(round.onProgress && { onProgress: round.onProgress }),
  });
  if (!result.ok) {
    if (result.failure.kind === 'unauthorized' && needsConnection(upstream)) {
      await credentialRefused(session.access, upstream, userId);
      return askToConnect(session, upstream, 'needs_reconnect', binding);
    }
    return failureResult(result.failure);
  }
  noteUse(session.access, upstream, userId, session.defer);
  const outcome = result.value;
  if (outcome.kind === 'complete') return outcome.result;
  if (session.era !== 'modern') {
    return toolError(`${upstream.name} needs more input from you, which this MCP client cannot provide.`);
  }
  return passOn(outcome);
}

/** An upstream's own `input_required` round, handed to the person's client with its state untouched. */
function passOn(outcome: { inputRequests: InputRequests; requestState?: string }): InputRequiredResult {
  return inputRequired({
    inputRequests: outcome.inputRequests,
    ...(outcome.requestState !== undefined && { requestState: outcome.requestState }),
  });
}

function exposedUri(upstream: Upstream, uri: string): string {
  return upstream.prefix === '' ? uri : `${UPSTREAM_URI_SCHEME}${upstream.prefix}/${uri}`;
}

/** The upstream and its own URI for an exposed resource URI; undefined when no upstream owns it. */
export function routeUri(
  catalog: readonly Upstream[],
  uri: string,
): { upstream: Upstream; uri: string } | undefined {
  if (uri.startsWith(UPSTREAM_URI_SCHEME)) {
    const rest = uri.slice(UPSTREAM_URI_SCHEME.length);
    const slash = rest.indexOf('/');
    const upstream =
      slash > 0 ? catalog.find((u) => u.prefix !== '' && u.prefix === rest.slice(0, slash)) : undefined;
    return upstream ? { upstream, uri: rest.slice(slash + 1) } : undefined;
  }
  const transparent = catalog.find((u) => u.prefix === '');
  return transparent ? { upstream: transparent, uri } : undefined;
}

/**
 * Lists one kind of primitive from every connected upstream (connecting is offered through the tools),
 * each item renamed by `expose` (undefined: withheld).
 */
function listEach<T, U>(
  session: GatewaySession,
  fetchList: (client: UpstreamClient) => Promise<UpstreamResult<T[]>>,
  expose: (upstream: Upstream, item: T) => U | undefined,
): Promise<Listed<U>> {
  return eachUpstream(session, async (upstream) => {
    const access = await accessForList(session, upstream);
    if ('failure' in access) return { items: [] };
    const listed = await fetchList(clientFor(session, upstream, access.headers));
    if (!listed.ok) return skip(upstream, listed.failure);
    return { items: listed.value.flatMap((item) => expose(upstream, item) ?? []) };
  });
}

export function listGatewayResources(session: GatewaySession): Promise<Listed<Resource>> {
  return listEach(
    session,
    (client) => client.listResources(),
    (upstream, r) => ({
      ...r,
      uri: exposedUri(upstream, r.uri),
      title: `${upstream.name}: ${r.title ?? r.name}`,
    }),
  );
}

export function listGatewayResourceTemplates(session: GatewaySession): Promise<Listed<ResourceTemplateType>> {
  return listEach(
    session,
    (client) => client.listResourceTemplates(),
    (upstream, t) => ({
      ...t,
      uriTemplate: exposedUri(upstream, t.uriTemplate),
      title: `${upstream.name}: ${t.title ?? t.name}`,
    }),
  );
}

export function listGatewayPrompts(session: GatewaySession): Promise<Listed<Prompt>> {
  return listEach(
    session,
    (client) => client.listPrompts(),
    (upstream, p) =>
      shadows(session, upstream, p.name)
        ? undefined
        : { ...p, name: exposedName(upstream, p.name), title: `${upstream.name}: ${p.title ?? p.name}` },
  );
}

/**
 * The person's client for `upstream`, for reads and prompts. Outside tools there is no tool result to
 * carry a failure, so a missing connection is a JSON-RPC error with the link.
 */
async function connectedClient(
  session: GatewaySession,
  upstream: Upstream,
  data?: Record<string, unknown>,
): Promise<UpstreamClient> {
  const access = await upstreamAccess(session.access, upstream, session.principal.userId);
  if (!access.ok) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Connect ${upstream.name} first: ${connectUrl(session, upstream)}`,
      data,
    );
  }
  return clientFor(session, upstream, access.headers);
}

/** A read's or prompt's outcome: the upstream's own JSON-RPC error stays one; other failures are ours. */
function unwrap<T>(
  result: UpstreamResult<UpstreamOutcome<T>>,
  data?: Record<string, unknown>,
): T | InputRequiredResult {
  if (!result.ok) {
    const rpc = result.failure.kind === 'protocol_error' ? result.failure.rpc : undefined;
    if (rpc) throw new ProtocolError(rpc.code, rpc.message, data);
    throw new ProtocolError(ProtocolErrorCode.InternalError, result.failure.message);
  }
  return result.value.kind === 'input_required' ? passOn(result.value) : result.value.result;
}

/** Reads an upstream resource; undefined when no upstream owns the URI. */
export async function readGatewayResource(
  session: GatewaySession,
  uri: string,
  round: RoundOptions,
): Promise<ReadResourceResult | InputRequiredResult | undefined> {
  const route = routeUri(session.catalog, uri);
  if (!route) return undefined;
  const client = await connectedClient(session, route.upstream, { uri });
  const read = unwrap(await client.readResource(route.uri, round), { uri });
  if (isInputRequiredResult(read)) return read;
  return { ...read, contents: read.contents.map((c) => ({ ...c, uri: exposedUri(route.upstream, c.uri) })) };
}

/** Gets an upstream prompt; undefined when no upstream answers to `name`. */
export async function getGatewayPrompt(
  session: GatewaySession,
  name: string,
  args: Record<string, string> | undefined,
  round: RoundOptions,
): Promise<GetPromptResult | InputRequiredResult | undefined> {
  const route = routeName(session.catalog, name);
  if (!route) return undefined;
  const client = await connectedClient(session, route.upstream);
  return unwrap(await client.getPrompt(route.name, args, round));
}
