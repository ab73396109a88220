// A Gatehouse access token obtained the way any client gets one, for scripts that drive /mcp with a
// tool that cannot do OAuth itself (the conformance suite): a new account signs up through the real
// pages, a public client registers (RFC 7591), the person approves on the consent page, and the code
// is exchanged with PKCE (S256) at the token endpoint. Nothing test-only exists in the server for this.
import { createHash, randomBytes } from 'node:crypto';

/** A cookie-keeping fetch that never follows redirects, like a browser posting our forms. */
export class Browser {
  cookies = new Map();
  constructor(base) {
    this.base = base;
  }
  async request(path, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(path.startsWith('http') ? path : this.base + path, {
      ...init,
      headers,
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
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
}

export const field = (html, name) =>
  new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, '&');

export function check(condition, message) {
  if (!condition) throw new Error(`OAuth flow: ${message}`);
}

/**
 * Sign-up → DCR → authorize → consent → token against the Gatehouse at `base`; returns the access
 * token for `${base}/mcp` with scope `mcp`.
 * @param {string} base e.g. http://127.0.0.1:8787
 * @param {string} label the account's email starts with it
 */
export async function obtainAccessToken(base, label) {
  const browser = new Browser(base);
  const signup = await (await browser.request('/signup')).text();
  const email = `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `${label} ${randomBytes(8).toString('hex')}`;
  const created = await browser.postForm('/signup', {
    email,
    password,
    csrf_token: field(signup, 'csrf_token') ?? '',
  });
  check(created.status === 303, `sign-up answered ${created.status}`);
  // Sign-up never signs in (its answer must not tell who has an account): sign in next, allowing
  // for the account's work that runs after the sign-up response.
  let signedIn;
  for (let attempt = 0; attempt < 10; attempt++) {
    const login = await (await browser.request('/login')).text();
    signedIn = await browser.postForm('/login', {
      email,
      password,
      csrf_token: field(login, 'csrf_token') ?? '',
    });
    if (signedIn.status === 303) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  check(signedIn?.status === 303, `sign-in answered ${signedIn?.status}`);

  const redirectUri = 'http://127.0.0.1:9/callback';
  const registration = await fetch(`${base}/oauth2/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: `Gatehouse ${label} runner`,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  check(registration.status === 201, `registration answered ${registration.status}`);
  const { client_id: clientId } = await registration.json();

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL('/oauth2/authorize', base);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    scope: 'mcp',
    resource: `${base}/mcp`,
  })) {
    authorize.searchParams.set(k, v);
  }
  const consent = await browser.request(authorize.href);
  check(
    consent.status === 200,
    `authorize answered ${consent.status} ${consent.headers.get('location') ?? ''}`,
  );
  const html = await consent.text();
  const decision = await browser.postForm('/oauth2/authorize', {
    request: field(html, 'request') ?? '',
    csrf_token: field(html, 'csrf_token') ?? '',
    decision: 'approve',
  });
  check(decision.status === 302, `consent answered ${decision.status}`);
  const code = new URL(decision.headers.get('location')).searchParams.get('code');
  check(code, 'no code in the redirect');

  const token = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
      resource: `${base}/mcp`,
    }).toString(),
  });
  check(token.status === 200, `token endpoint answered ${token.status}`);
  const body = await token.json();
  check(typeof body.access_token === 'string', 'no access_token');
  return body.access_token;
}
