import { env } from 'cloudflare:test';
import { hashPassword } from '../../src/accounts/passwords';
import { insertUser } from '../../src/accounts/users';
import { createApp } from '../../src/app';
import type { Env } from '../../src/env';
import type { Clock, Deps } from '../../src/http/context';
import { sha256Hex } from '../../src/tokens/secrets';

export const ORIGIN = 'http://localhost';

/** A clock tests move by hand; starts at the real time so KV TTLs stay meaningful. */
export class TestClock implements Clock {
  #now = Date.now();
  now(): number {
    return this.#now;
  }
  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }
}

export interface TestApp {
  clock: TestClock;
  env: Env;
  /**
   * Calls the app in-process (same isolate, real local D1/KV). What the request handed to
   * `waitUntil` has settled when this resolves, so tests see its effects (mail, cache writes)
   * without waiting on a clock.
   */
  fetch(input: string | Request, init?: RequestInit): Promise<Response>;
}

/** The app with an injectable clock and outbound fetch, and optional env overrides. */
export function createTestApp(
  options: { env?: Partial<Env>; fetch?: typeof fetch; clock?: TestClock } = {},
): TestApp {
  const clock = options.clock ?? new TestClock();
  const deps: Deps = { clock, fetch: options.fetch ?? ((i, init) => fetch(i, init)) };
  const app = createApp(deps);
  const testEnv = { ...env, ...options.env } as Env;
  return {
    clock,
    env: testEnv,
    async fetch(input, init) {
      const request = typeof input === 'string' ? new Request(new URL(input, ORIGIN), init) : input;
      const deferred: Promise<unknown>[] = [];
      const res = await app.fetch(request, testEnv, {
        waitUntil(work: Promise<unknown>) {
          deferred.push(work);
        },
        passThroughOnException() {},
        props: {},
      } as unknown as ExecutionContext);
      await Promise.allSettled(deferred);
      return res;
    },
  };
}

let counter = 0;
/** A unique email per call, so tests never collide on shared storage. */
export function uniqueEmail(tag = 'user'): string {
  counter += 1;
  return `${tag}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export const TEST_PASSWORD = 'correct horse battery';

/** Inserts a user straight into D1 (optionally verified). */
export async function createUser(options: { email?: string; password?: string; verified?: boolean } = {}) {
  const email = options.email ?? uniqueEmail();
  const now = Math.floor(Date.now() / 1000);
  const user = await insertUser(env.DB, email, await hashPassword(options.password ?? TEST_PASSWORD), now);
  if (!user) throw new Error('createUser: email taken');
  if (options.verified) {
    await env.DB.prepare('UPDATE users SET email_verified_at = ? WHERE id = ?').bind(now, user.id).run();
  }
  return { ...user, emailVerified: Boolean(options.verified), password: options.password ?? TEST_PASSWORD };
}

/** Creates a session row directly and returns the Cookie header value that carries it. */
export async function sessionCookieFor(userId: string, ttlSeconds = 3600): Promise<string> {
  const token = crypto.randomUUID() + crypto.randomUUID();
  const now = Math.floor(Date.now() / 1000);
  await env.DB.prepare('INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
    .bind(await sha256Hex(token), userId, now, now + ttlSeconds)
    .run();
  return `__Host-gh_session=${token}`;
}

/** In-process browser: keeps cookies between calls, never follows redirects. */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** Each browser gets its own client address, so per-IP rate limits don't couple unrelated tests. */
  readonly ip = `198.51.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`;
  constructor(readonly app: TestApp) {}

  setCookie(header: string): void {
    const [name, value] = header.split('=');
    this.cookies.set(name!, value!);
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', this.ip);
    const res = await this.app.fetch(path, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /max-age=0/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  postForm(path: string, fields: Record<string, string> | URLSearchParams): Promise<Response> {
    const body = fields instanceof URLSearchParams ? fields : new URLSearchParams(fields);
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  }

  /** GETs a page; returns its HTML and its csrf_token field. */
  async page(path: string): Promise<{ res: Response; html: string; csrf: string }> {
    const res = await this.get(path);
    const html = await res.text();
    return { res, html, csrf: hiddenField(html, 'csrf_token') ?? '' };
  }

  /** Signs in through the real /login form. */
  async signIn(email: string, password = TEST_PASSWORD): Promise<Response> {
    const { csrf } = await this.page('/login');
    return this.postForm('/login', { email, password, csrf_token: csrf });
  }
}

export function hiddenField(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];
}

/** Messages in the development outbox for an address, newest first. */
export async function outboxFor(
  email: string,
): Promise<{ subject: string; text: string; links: string[] }[]> {
  const { results } = await env.DB.prepare(
    'SELECT subject, body_text, links FROM dev_outbox WHERE to_addr = ? ORDER BY id DESC',
  )
    .bind(email)
    .all<{ subject: string; body_text: string; links: string }>();
  return results.map((r) => ({
    subject: r.subject,
    text: r.body_text,
    links: JSON.parse(r.links) as string[],
  }));
}
