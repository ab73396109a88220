/**
 * A tiny cookie-keeping HTTP client that behaves like a browser for server-rendered forms:
 * it stores Set-Cookie values (including `__Host-` ones on http://127.0.0.1, as browsers do for
 * loopback), never follows redirects by itself, and can read hidden form fields.
 */
export class BrowserLike {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  postForm(path: string, fields: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** GETs a page and returns its HTML and the value of its `csrf_token` field. */
  async page(path: string): Promise<{ status: number; html: string; csrf: string }> {
    const res = await this.get(path);
    const html = await res.text();
    return { status: res.status, html, csrf: hiddenField(html, 'csrf_token') ?? '' };
  }

  /**
   * Signs up through /signup, which never signs anyone in (its answer must not tell whether the
   * address had an account), then signs in through /login as the person would next.
   */
  async signUp(email: string, password: string): Promise<Response> {
    const signup = await this.page('/signup');
    const res = await this.postForm('/signup', { email, password, csrf_token: signup.csrf });
    const login = await this.page('/login');
    const signedIn = await this.postForm('/login', { email, password, csrf_token: login.csrf });
    if (signedIn.status !== 303) throw new Error(`sign-in after sign-up answered ${signedIn.status}`);
    return res;
  }

  /**
   * The dev outbox's messages to `to`, once there is at least one: account mail is sent after the
   * response (ctx.waitUntil), so it lands a moment after the page that caused it.
   */
  async mailTo(to: string): Promise<{ to: string; subject: string; links: string[] }[]> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const outbox = (await (await this.get('/dev/mail.json')).json()) as {
        to: string;
        subject: string;
        links: string[];
      }[];
      const mine = outbox.filter((m) => m.to === to);
      if (mine.length > 0) return mine;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no mail to ${to} in the dev outbox`);
  }
}

export function hiddenField(html: string, name: string): string | undefined {
  const re = new RegExp(`name="${name}"[^>]*value="([^"]*)"`);
  return re.exec(html)?.[1];
}
