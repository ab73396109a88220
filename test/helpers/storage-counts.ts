import { env } from 'cloudflare:test';
import { createApp } from '../../src/app';
import type { Env } from '../../src/env';
import type { Clock } from '../../src/http/context';
import { ORIGIN } from './app';

/**
 * The real app over counting D1 and KV bindings (docs/benchmarks.md, "Hot path"): every D1
 * statement and KV call a request makes is recorded, so a test can state a request's storage cost.
 * Only the bindings are wrapped; the storage behind them is the real local D1/KV.
 */
export interface StorageCounts {
  /** Each D1 statement's SQL (or the method, for batch/exec). */
  d1: string[];
  /** `<method> <key>` for each KV read. */
  kvReads: string[];
  kvWrites: string[];
}

const KV_READS = new Set(['get', 'getWithMetadata', 'list']);

function counting<T extends object>(target: T, onCall: (method: string, args: unknown[]) => void): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        onCall(String(prop), args);
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

export interface InstrumentedApp {
  readonly counts: StorageCounts;
  readonly env: Env;
  fetch(path: string, init: RequestInit): Promise<Response>;
  /** Awaits what handlers deferred with waitUntil. */
  settle(): Promise<void>;
  reset(): void;
}

export function instrumentedApp(
  options: { env?: Partial<Env>; fetch?: typeof fetch; clock?: Clock } = {},
): InstrumentedApp {
  const counts: StorageCounts = { d1: [], kvReads: [], kvWrites: [] };
  const DB = counting(env.DB, (m, args) => counts.d1.push(m === 'prepare' ? String(args[0]) : m));
  const CACHE = counting(env.CACHE, (m, args) =>
    (KV_READS.has(m) ? counts.kvReads : counts.kvWrites).push(`${m} ${String(args[0])}`),
  );
  const testEnv = { ...env, ...options.env, DB, CACHE } as Env;
  const app = createApp({
    clock: options.clock ?? { now: () => Date.now() },
    fetch: options.fetch ?? ((i, init) => fetch(i, init)),
  });
  const deferred: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => deferred.push(p),
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext;
  return {
    counts,
    env: testEnv,
    fetch: async (path, init) => app.fetch(new Request(new URL(path, ORIGIN), init), testEnv, ctx),
    async settle() {
      while (deferred.length > 0) await Promise.allSettled(deferred.splice(0));
    },
    reset() {
      counts.d1.length = 0;
      counts.kvReads.length = 0;
      counts.kvWrites.length = 0;
    },
  };
}
