import { env } from 'cloudflare:test';
import { expect } from 'vitest';

/**
 * Fault injection seams. Production code is untouched: a test builds the app with
 * `createTestApp({ env: { DB: faulty.db } })`, and the wrapper forwards every call to the real local
 * D1 until the k-th *execution* (`first`, `run`, `all`, `raw`, `batch`, `exec`), which throws the error
 * workerd raises when D1 drops a connection. `prepare` and `bind` never count: they do no I/O.
 */

/** The message workerd gives a D1 call that lost its connection (a retryable outage). */
export const D1_OUTAGE = 'D1_ERROR: Network connection lost.';
/** The message workerd gives a KV read the service could not answer. */
export const KV_OUTAGE = 'KV GET failed: 503 Service Unavailable';

export interface FaultyDb {
  db: D1Database;
  /** Executions so far (including the one that failed). */
  readonly calls: number;
  /** Whether the planned fault has fired. */
  readonly fired: boolean;
  /** Fail the k-th execution from now (1-based); 0 = never. Resets the counter. */
  failAt(k: number): void;
  /** Fail the first execution (a batch: any of its statements) whose SQL matches; resets the counter. */
  failWhen(sql: RegExp): void;
}

const EXECUTING = new Set(['first', 'run', 'all', 'raw']);

export function faultyDb(real: D1Database = env.DB): FaultyDb {
  let calls = 0;
  let failAt = 0;
  let failSql: RegExp | undefined;
  let fired = false;
  const unwrap = new WeakMap<object, D1PreparedStatement>();
  const sqlOf = new WeakMap<object, string>();

  const tick = (sql: string[]) => {
    calls += 1;
    const hit = failSql ? sql.some((q) => failSql!.test(q)) : failAt > 0 && calls === failAt;
    if (hit && !fired) {
      fired = true;
      throw new Error(D1_OUTAGE);
    }
  };

  const wrapStatement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (prop === 'bind') return (...args: unknown[]) => wrapStatement(value.apply(target, args), sql);
        if (typeof prop === 'string' && EXECUTING.has(prop)) {
          return async (...args: unknown[]) => {
            tick([sql]);
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    unwrap.set(proxy, stmt);
    sqlOf.set(proxy, sql);
    return proxy;
  };

  const db = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'prepare') return (sql: string) => wrapStatement(value.call(target, sql), sql);
      if (prop === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          tick(statements.map((s) => sqlOf.get(s) ?? ''));
          return value.call(
            target,
            statements.map((s) => unwrap.get(s) ?? s),
          );
        };
      }
      if (prop === 'exec') {
        return async (sql: string) => {
          tick([sql]);
          return value.call(target, sql);
        };
      }
      return value.bind(target);
    },
  });

  return {
    db,
    get calls() {
      return calls;
    },
    get fired() {
      return fired;
    },
    failAt(k) {
      calls = 0;
      fired = false;
      failSql = undefined;
      failAt = k;
    },
    failWhen(sql) {
      calls = 0;
      fired = false;
      failAt = 0;
      failSql = sql;
    },
  };
}

/** A KV namespace whose reads (or every call) throw like an unavailable KV service. */
export function unavailableKv(real: KVNamespace = env.CACHE, what: 'reads' | 'all' = 'reads'): KVNamespace {
  return new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'get' || prop === 'getWithMetadata' || (what === 'all' && prop !== 'constructor')) {
        return async () => {
          throw new Error(KV_OUTAGE);
        };
      }
      return value.bind(target);
    },
  });
}

/** Every row of `tables`, as JSON, for before/after comparisons (ordered, so equal data compares equal). */
export type Row = Record<string, unknown>;

export async function snapshot<T extends string>(
  tables: readonly T[],
  where: Partial<Record<T, string>> = {},
): Promise<Record<T, Row[]>> {
  const out = {} as Record<T, Row[]>;
  for (const table of tables) {
    const filter = where[table];
    const { results } = await env.DB.prepare(
      `SELECT * FROM ${table}${filter ? ` WHERE ${filter}` : ''} ORDER BY rowid`,
    ).all<Row>();
    out[table] = results;
  }
  return out;
}

export interface SweepStep {
  /** 1-based index of the D1 execution that failed. */
  k: number;
  res: Response;
}

/**
 * Runs an operation once per D1 execution it makes, failing the 1st, then the 2nd, … execution, and
 * finally once without a fault. `run(k)` prepares fresh state, arms `faulty.failAt(k)` and performs
 * the request; `onFault` checks each failed run; the fault-free run's response is returned.
 */
export async function sweepFaults(
  faulty: FaultyDb,
  run: (k: number) => Promise<Response>,
  onFault: (step: SweepStep) => Promise<void>,
  maxCalls = 40,
): Promise<{ calls: number; res: Response }> {
  for (let k = 1; k <= maxCalls; k++) {
    const res = await run(k);
    if (!faulty.fired) return { calls: k - 1, res };
    await onFault({ k, res });
  }
  throw new Error(`the operation made more than ${maxCalls} D1 calls`);
}

/** The retryable answer every surface gives a D1 outage: 503 with Retry-After, never a 500. */
export async function expectUnavailable(res: Response, surface: 'page' | 'api' | 'oauth'): Promise<void> {
  expect(res.status, `status for ${surface}`).toBe(503);
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  const text = await res.text();
  expect(text).not.toContain('D1_ERROR');
  expect(text).not.toContain('Network connection lost');
  if (surface === 'page') {
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    return;
  }
  const body = JSON.parse(text) as Record<string, unknown>;
  if (surface === 'oauth') {
    expect(body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(typeof body.error_description).toBe('string');
  } else {
    expect(body).toMatchObject({ ok: false, error: { code: 'temporarily_unavailable' } });
  }
}
