import { env } from 'cloudflare:test';
import { Browser, outboxFor, TEST_PASSWORD, type TestApp } from '../helpers/app';

let ipCounter = 0;
/**
 * A client address no other test uses. Sign-in and sign-up are rate-limited per IP, and the
 * rate-limit state outlives a test file, so every browser gets its own address.
 */
export function uniqueIp(): string {
  ipCounter += 1;
  const rand = Math.floor(Math.random() * 0xffff).toString(16);
  return `2001:db8:${rand}:${Date.now().toString(16).slice(-4)}::${ipCounter.toString(16)}`;
}

/** The in-process browser, coming from its own IP address. */
export class IpBrowser extends Browser {
  constructor(
    app: TestApp,
    override readonly ip: string = uniqueIp(),
  ) {
    super(app);
  }

  override request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('cf-connecting-ip', this.ip);
    return super.request(path, { ...init, headers });
  }

  /** Posts the real /signup form; it never signs anyone in (the answer must not tell who has an account). */
  async submitSignUp(email: string, password = TEST_PASSWORD): Promise<Response> {
    const { csrf } = await this.page('/signup');
    return this.postForm('/signup', { email, password, csrf_token: csrf });
  }

  /** Creates an account through the real /signup form, then signs in through /login as a person would. */
  async signUp(email: string, password = TEST_PASSWORD): Promise<Response> {
    const res = await this.submitSignUp(email, password);
    await this.signIn(email, password);
    return res;
  }

  /** Signs out through the real /logout form. */
  async signOut(): Promise<Response> {
    const { csrf } = await this.page('/logout');
    return this.postForm('/logout', { csrf_token: csrf });
  }

  /** Asks for a password reset link through the real /forgot-password form. */
  async forgotPassword(email: string): Promise<Response> {
    const { csrf } = await this.page('/forgot-password');
    return this.postForm('/forgot-password', { email, csrf_token: csrf });
  }
}

/** The token of the newest link in `email`'s outbox whose path is `path`. */
export async function latestToken(email: string, path: '/verify-email' | '/reset-password'): Promise<string> {
  for (const message of await outboxFor(email)) {
    for (const link of message.links) {
      const url = new URL(link);
      const token = url.searchParams.get('token');
      if (url.pathname === path && token) return token;
    }
  }
  throw new Error(`no ${path} link in the outbox of ${email}`);
}

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  email_verified_at: number | null;
  password_changed_at: number;
}

export async function userRow(email: string): Promise<UserRow | null> {
  return env.DB.prepare(
    'SELECT id, email, password_hash, email_verified_at, password_changed_at FROM users WHERE email_normalized = ?',
  )
    .bind(email.toLowerCase())
    .first<UserRow>();
}

export async function sessionCount(userId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?')
    .bind(userId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The session cookie's value as this browser holds it. */
export function sessionCookie(browser: Browser): string | undefined {
  return browser.cookies.get('__Host-gh_session');
}
