import {
  type CallToolResult,
  Client,
  type ClientCapabilities,
  type GetPromptResult,
  type InputRequests,
  isInputRequiredResult,
  type PriorDiscovery,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplateType as ResourceTemplate,
  StreamableHTTPClientTransport,
  type Tool,
} from '@modelcontextprotocol/client';
import type { EraCache } from './era-cache';
import { classifyClientError } from './upstream-errors';
import { type UpstreamFailure, type UpstreamResult, upstreamFailure } from './upstream-failure';
import { createUpstreamFetch } from './upstream-fetch';
import type { Upstream } from './upstreams';

/**
 * Gatehouse as an MCP client of one upstream, on behalf of one person (`@modelcontextprotocol/client`
 * 2.x over streamable HTTP). Every operation connects, does one thing, and closes: the upstream's era
 * comes from the {@link EraCache} (probed once with the v2 client's `versionNegotiation: 'auto'`, then
 * `connect({ prior })`), the credential from the caller, the network only through
 * {@link createUpstreamFetch}. Nothing here throws for an upstream's misbehaviour: each operation
 * resolves to an {@link UpstreamResult}, whose failure is one of the closed {@link UpstreamFailure} kinds.
 *
 * What this module does not do: decide who may use an upstream, hold or refresh credentials (the
 * connection store), rename tools (the aggregation in /mcp), or fulfil `input_required` rounds — an
 * upstream's rounds are handed back with `requestState` untouched for the person's own client to answer.
 */
export interface UpstreamClientDeps {
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly eras: EraCache;
  readonly allowHttpLoopback: boolean;
}

export interface UpstreamCaller {
  readonly upstream: Upstream;
  /** The person the call is made for: keys the per-person discover results. */
  readonly userId: string;
  /** The person's credential for this upstream as request headers (`{}` for `auth: none`). */
  readonly credentialHeaders: () => Promise<Readonly<Record<string, string>>>;
  /** What the person's own MCP client can answer (elicitation, …); declared to the upstream as ours. */
  readonly clientCapabilities?: ClientCapabilities;
}

/** The answer to a call that may ask for input first (2026-07-28 multi-round-trip requests, SEP-2322). */
export type UpstreamOutcome<T> =
  | { readonly kind: 'complete'; readonly result: T }
  | {
      readonly kind: 'input_required';
      readonly inputRequests: InputRequests;
      readonly requestState?: string;
    };

export interface RoundOptions {
  /** The person's client's answers to the previous round, passed on as they came. */
  readonly inputResponses?: Readonly<Record<string, unknown>>;
  /** Echoed byte for byte; Gatehouse never reads or changes it. */
  readonly requestState?: string;
}

export interface CallToolOptions extends RoundOptions {
  readonly onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

export interface UpstreamClient {
  listTools(): Promise<UpstreamResult<Tool[]>>;
  listResources(): Promise<UpstreamResult<Resource[]>>;
  listResourceTemplates(): Promise<UpstreamResult<ResourceTemplate[]>>;
  listPrompts(): Promise<UpstreamResult<Prompt[]>>;
  callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    options?: CallToolOptions,
  ): Promise<UpstreamResult<UpstreamOutcome<CallToolResult>>>;
  readResource(
    uri: string,
    options?: RoundOptions,
  ): Promise<UpstreamResult<UpstreamOutcome<ReadResourceResult>>>;
  getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    options?: RoundOptions,
  ): Promise<UpstreamResult<UpstreamOutcome<GetPromptResult>>>;
}

/** A list that has not ended after this many pages is refused (`too_large`) rather than walked forever. */
export const MAX_LIST_PAGES = 16;
const CLIENT_INFO = { name: 'Gatehouse', version: '1.0.0' };

interface Leg {
  readonly client: Client;
  readonly signal: AbortSignal;
  readonly timeout: number;
}

function roundParams(options: RoundOptions | undefined): Record<string, unknown> {
  return {
    ...(options?.inputResponses !== undefined && { inputResponses: options.inputResponses }),
    ...(options?.requestState !== undefined && { requestState: options.requestState }),
  };
}

function outcome<T>(value: unknown, isComplete: (v: unknown) => v is T): UpstreamOutcome<T> {
  if (isInputRequiredResult(value)) {
    return {
      kind: 'input_required',
      inputRequests: value.inputRequests ?? {},
      ...(value.requestState !== undefined && { requestState: value.requestState }),
    };
  }
  if (!isComplete(value)) throw new TypeError('the MCP client returned an unexpected result');
  return { kind: 'complete', result: value };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isCallToolResult = (v: unknown): v is CallToolResult => isObject(v);
const isReadResourceResult = (v: unknown): v is ReadResourceResult =>
  isObject(v) && Array.isArray(v.contents);
const isGetPromptResult = (v: unknown): v is GetPromptResult => isObject(v) && Array.isArray(v.messages);

export function createUpstreamClient(deps: UpstreamClientDeps, caller: UpstreamCaller): UpstreamClient {
  const { upstream } = caller;

  async function run<T>(operation: (leg: Leg) => Promise<T>): Promise<UpstreamResult<T>> {
    const failures: { first: UpstreamFailure | undefined } = { first: undefined };
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      failures.first ??= upstreamFailure(upstream, 'timeout');
      deadline.abort();
    }, upstream.timeoutMs);
    const transport = new StreamableHTTPClientTransport(new URL(upstream.url), {
      fetch: createUpstreamFetch({
        upstream,
        fetch: deps.fetch,
        allowHttpLoopback: deps.allowHttpLoopback,
        now: deps.now,
        credentialHeaders: caller.credentialHeaders,
        signal: deadline.signal,
        failures,
      }),
    });
    const client = new Client(CLIENT_INFO, {
      capabilities: caller.clientCapabilities ?? {},
      versionNegotiation: { mode: 'auto' },
      // Rounds go back to the person's client; Gatehouse has no one to ask.
      inputRequired: { autoFulfill: false },
      listMaxPages: MAX_LIST_PAGES,
    });
    const leg = { client, signal: deadline.signal, timeout: upstream.timeoutMs };
    let prior: PriorDiscovery | undefined;
    try {
      const era = await deps.eras.era(upstream);
      const discover = era === 'modern' ? deps.eras.discover(caller.userId, upstream) : undefined;
      prior = era === 'legacy' ? { kind: 'legacy' } : discover ? { kind: 'modern', discover } : undefined;
      await client.connect(transport, { prior, signal: leg.signal, timeout: leg.timeout });
      const negotiated = client.getProtocolEra();
      if (!prior && negotiated) {
        await deps.eras.record(caller.userId, upstream, {
          era: negotiated,
          discover: client.getDiscoverResult(),
        });
      }
      return { ok: true, value: await operation(leg) };
    } catch (error) {
      const failure = failures.first ?? classifyClientError(upstream, error, deadline.signal.aborted);
      // A remembered era that no longer holds shows up as "not MCP" or an unsupported version:
      // forget it, so the next call probes again.
      if (prior && (failure.kind === 'not_mcp' || failure.rpc?.code === -32022)) {
        await deps.eras.forget(caller.userId, upstream);
      }
      return { ok: false, failure };
    } finally {
      // A 2025 server keeps a session per connect; end it (DELETE) instead of leaving it to expire.
      // The deadline still bounds it: the timer is cleared only once everything is closed.
      if (transport.sessionId && !deadline.signal.aborted) await transport.terminateSession().catch(() => {});
      await client.close().catch(() => {});
      clearTimeout(timer);
    }
  }

  return {
    listTools: () =>
      run(
        async ({ client, signal, timeout }) => (await client.listTools(undefined, { signal, timeout })).tools,
      ),
    listResources: () =>
      run(
        async ({ client, signal, timeout }) =>
          (await client.listResources(undefined, { signal, timeout })).resources,
      ),
    listResourceTemplates: () =>
      run(
        async ({ client, signal, timeout }) =>
          (await client.listResourceTemplates(undefined, { signal, timeout })).resourceTemplates,
      ),
    listPrompts: () =>
      run(
        async ({ client, signal, timeout }) =>
          (await client.listPrompts(undefined, { signal, timeout })).prompts,
      ),
    callTool: (name, args, options) =>
      run(async ({ client, signal, timeout }) => {
        const value: unknown = await client.request(
          { method: 'tools/call', params: { name, arguments: args ?? {}, ...roundParams(options) } },
          {
            signal,
            timeout,
            allowInputRequired: true,
            ...(options?.onProgress && { onprogress: options.onProgress }),
          },
        );
        return outcome(value, isCallToolResult);
      }),
    readResource: (uri, options) =>
      run(async ({ client, signal, timeout }) => {
        const value: unknown = await client.request(
          { method: 'resources/read', params: { uri, ...roundParams(options) } },
          { signal, timeout, allowInputRequired: true },
        );
        return outcome(value, isReadResourceResult);
      }),
    getPrompt: (name, args, options) =>
      run(async ({ client, signal, timeout }) => {
        const value: unknown = await client.request(
          { method: 'prompts/get', params: { name, arguments: args ?? {}, ...roundParams(options) } },
          { signal, timeout, allowInputRequired: true },
        );
        return outcome(value, isGetPromptResult);
      }),
  };
}
