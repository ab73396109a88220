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
}

export function hiddenField(html: string, name: string): string | undefined {
  const re = new RegExp(`name="${name}"[^>]*value="([^"]*)"`);
  return re.exec(html)?.[1];
}
