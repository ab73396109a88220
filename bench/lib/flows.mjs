// Obtains real tokens the way an MCP client does: DCR (public client), PKCE S256, authorize,
// code exchange. For Gatehouse the person signs up and approves consent through the real pages.
import { createHash, randomBytes } from 'node:crypto';

const REDIRECT_URI = 'http://127.0.0.1:33418/callback';

const b64url = (buf) => buf.toString('base64url');

export function pkce() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

async function json(res, what) {
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${what}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return body;
}

/** A cookie-keeping client for server-rendered forms; never follows redirects by itself. */
export class Browser {
  cookies = new Map();
  constructor(base) {
    this.base = base;
  }
  async request(path, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /max-age=0/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
  postForm(path, fields) {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
  async page(path) {
    const res = await this.request(path);
    return { status: res.status, html: await res.text() };
  }
}

export function hiddenFields(html) {
  const fields = {};
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const tag = m[0];
    if (!/type="hidden"/.test(tag)) continue;
    const name = /name="([^"]*)"/.exec(tag)?.[1];
    const value = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
    if (name)
      fields[name] = value
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'");
  }
  return fields;
}

/** RFC 7591 registration of a public client. */
export async function registerClient(base, path) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Gatehouse bench',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  return json(res, `POST ${path}`);
}

function authorizeUrl(base, path, { clientId, challenge, scope, resource, state }) {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope,
    state,
    resource,
  });
  return `${base}${path}?${q}`;
}

function codeFrom(location, state) {
  if (!location) throw new Error('authorize: no redirect');
  const url = new URL(location);
  if (`${url.origin}${url.pathname}` !== REDIRECT_URI)
    throw new Error(`authorize: redirected to ${location}`);
  if (url.searchParams.get('state') !== state) throw new Error('authorize: state mismatch');
  const code = url.searchParams.get('code');
  if (!code) throw new Error(`authorize: no code in ${location}`);
  return code;
}

async function exchangeCode(base, path, { clientId, code, verifier, resource }) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: clientId,
      code_verifier: verifier,
      resource,
    }).toString(),
  });
  const body = await json(res, `POST ${path} (authorization_code)`);
  if (!body.access_token || !body.refresh_token)
    throw new Error(`${path}: no token pair: ${JSON.stringify(body)}`);
  return body;
}

/** The reference: its authorize page approves at once for the bench user. */
export function referenceFlow(base) {
  const resource = `${base}/mcp`;
  return {
    resource,
    tokenPath: '/token',
    /** A grant for a newly registered client: the library revokes a user's earlier grants to the same client. */
    async grant(scope = 'mcp') {
      const client = await registerClient(base, '/register');
      const { verifier, challenge } = pkce();
      const state = b64url(randomBytes(12));
      const res = await fetch(
        authorizeUrl(base, '/authorize', { clientId: client.client_id, challenge, scope, resource, state }),
        {
          redirect: 'manual',
        },
      );
      await res.arrayBuffer();
      const code = codeFrom(res.headers.get('location'), state);
      const tokens = await exchangeCode(base, '/token', {
        clientId: client.client_id,
        code,
        verifier,
        resource,
      });
      return { ...tokens, clientId: client.client_id };
    },
  };
}

/** Gatehouse: sign up through the pages once, then DCR + consent + code exchange per grant. */
export function gatehouseFlow(base) {
  const resource = `${base}/mcp`;
  const browser = new Browser(base);
  const email = `bench-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@example.com`;
  const password = `bench-${randomBytes(12).toString('hex')}`;
  let signedUp = false;

  async function signUp() {
    if (signedUp) return;
    const form = await browser.page('/signup');
    const fields = hiddenFields(form.html);
    const res = await browser.postForm('/signup', { ...fields, email, password });
    await res.arrayBuffer();
    if (res.status !== 302 && res.status !== 303) throw new Error(`POST /signup: HTTP ${res.status}`);
    // Sign-up never signs in (its answer must not tell who has an account): sign in next, as a person.
    const login = await browser.page('/login');
    const signedIn = await browser.postForm('/login', { ...hiddenFields(login.html), email, password });
    await signedIn.arrayBuffer();
    if (signedIn.status !== 303) throw new Error(`POST /login: HTTP ${signedIn.status}`);
    signedUp = true;
  }

  return {
    resource,
    tokenPath: '/oauth2/token',
    browser,
    email,
    signUp,
    /** A grant for a newly registered client, as each of several MCP clients would hold. */
    async grant(scope = 'mcp') {
      if (!signedUp) await signUp();
      const client = await registerClient(base, '/oauth2/register');
      const { verifier, challenge } = pkce();
      const state = b64url(randomBytes(12));
      const url = authorizeUrl(base, '/oauth2/authorize', {
        clientId: client.client_id,
        challenge,
        scope,
        resource,
        state,
      });
      let res = await browser.request(url);
      let location = res.headers.get('location');
      if (res.status === 200) {
        const html = await res.text();
        const fields = hiddenFields(html);
        if (!fields.csrf_token) throw new Error(`consent page without csrf_token: ${html.slice(0, 300)}`);
        res = await browser.postForm('/oauth2/authorize', { ...fields, decision: 'approve' });
        await res.arrayBuffer();
        location = res.headers.get('location');
      } else {
        await res.arrayBuffer();
      }
      const code = codeFrom(location && new URL(location, base).href, state);
      const tokens = await exchangeCode(base, '/oauth2/token', {
        clientId: client.client_id,
        code,
        verifier,
        resource,
      });
      return { ...tokens, clientId: client.client_id };
    },
    /** Verifies the email through the development outbox (PATs need a verified address). */
    async verifyEmail() {
      // The mail is sent after the sign-up response (waitUntil), so it may land a moment later.
      let link;
      for (let attempt = 0; attempt < 100 && !link; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
        const mail = await json(await browser.request('/dev/mail.json'), 'GET /dev/mail.json');
        link = mail
          .filter((m) => m.to === email)
          .flatMap((m) => m.links)
          .find((l) => l.includes('/verify-email'));
      }
      if (!link) throw new Error('no verification mail in the development outbox');
      const u = new URL(link);
      const page = await browser.page(`${u.pathname}${u.search}`);
      const res = await browser.postForm('/verify-email', hiddenFields(page.html));
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`POST /verify-email: HTTP ${res.status}`);
    },
    /** Creates a personal access token through /settings/api, or returns undefined if the page is missing. */
    async pat() {
      const page = await browser.page('/settings/api');
      if (page.status === 404) return undefined;
      if (page.status !== 200) throw new Error(`GET /settings/api: HTTP ${page.status}`);
      const form = /<form\b[^>]*action="\/settings\/api\/tokens"[^>]*>[\s\S]*?<\/form>/i.exec(page.html)?.[0];
      if (!form) throw new Error('GET /settings/api: no token creation form (is the email verified?)');
      const res = await browser.postForm('/settings/api/tokens', {
        ...hiddenFields(form),
        name: 'bench',
        expires_in_days: 'never',
      });
      let html = await res.text();
      if (res.status === 302 || res.status === 303)
        html = (await browser.page(res.headers.get('location'))).html;
      const token = /tskdp_[A-Za-z0-9_-]+/.exec(html)?.[0];
      if (!token)
        throw new Error(`no personal access token shown after POST /settings/api/tokens: HTTP ${res.status}`);
      return token;
    },
  };
}

/** The refresh_token grant request body (used by the load loop, so it stays allocation-light). */
export function refreshBody(refreshToken, clientId, resource) {
  return new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
    resource,
  }).toString();
}
