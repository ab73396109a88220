import { describe, expect, it } from 'vitest';
import {
  CimdError,
  cacheSecondsFrom,
  checkMetadataDocumentUrl,
  parseMetadataDocument,
} from '../../src/oauth/client-metadata-document';
import { createTestApp } from '../helpers/app';
import {
  approve,
  authorizePath,
  env,
  pkcePair,
  signedInBrowser,
  type TokenSet,
  tokenRequest,
} from './helpers';

const DOC_URL = 'https://app.example/oauth/client.json';
const REDIRECT = 'https://app.example/callback';

function document(overrides: Record<string, unknown> = {}) {
  return {
    client_id: DOC_URL,
    client_name: 'Example App',
    redirect_uris: [REDIRECT, 'http://localhost/callback'],
    token_endpoint_auth_method: 'none',
    ...overrides,
  };
}

/** A fake outbound fetch: one canned response per URL, and a log of every call. */
function fakeFetch(respond: (url: string) => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    calls.push({ url, init });
    return respond(url);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

function json(body: unknown, headers: Record<string, string> = {}, status = 200): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

async function authorizeWith(
  app: ReturnType<typeof createTestApp>,
  clientId: string,
  redirectUri = REDIRECT,
) {
  const { browser } = await signedInBrowser(app);
  const { challenge, verifier } = await pkcePair();
  const path = authorizePath({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state: 's',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return { browser, path, challenge, verifier };
}

describe('client ID metadata documents at /oauth2/authorize', () => {
  it('fetches the document, warns on consent, and completes the flow as a public client', async () => {
    const { fetch, calls } = fakeFetch(() => json(document(), { 'cache-control': 'max-age=600' }));
    const app = createTestApp({ fetch });
    const { browser, path, challenge, verifier } = await authorizeWith(app, DOC_URL);
    const page = await browser.page(path);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Example App');
    expect(page.html).toContain('published at <strong>app.example</strong>');
    expect(calls[0]!.init?.redirect === 'manual' || calls[0]!.init?.redirect === 'error').toBe(true);
    expect(calls[0]!.init?.signal).toBeInstanceOf(AbortSignal);
    const location = await approve(browser, { clientId: DOC_URL, redirectUri: REDIRECT, challenge });
    const res = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: location.searchParams.get('code')!,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: DOC_URL,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as TokenSet).refresh_token).toBeTruthy();
    const row = await env.DB.prepare('SELECT registration_type, secret_hash FROM oauth_clients WHERE id = ?')
      .bind(DOC_URL)
      .first();
    expect(row).toEqual({ registration_type: 'cimd', secret_hash: null });
  });

  it('caches the document as its Cache-Control allows, and fetches again after it expires', async () => {
    const url = 'https://cache.example/client.json';
    const { fetch, calls } = fakeFetch(() =>
      json(document({ client_id: url }), { 'cache-control': 'public, max-age=120' }),
    );
    const app = createTestApp({ fetch });
    const { browser, path } = await authorizeWith(app, url);
    await browser.page(path);
    await browser.page(path);
    expect(calls).toHaveLength(1);
    app.clock.advance(121);
    await browser.page(path);
    expect(calls).toHaveLength(2);
  });

  it('does not cache a no-store document', async () => {
    const url = 'https://nostore.example/client.json';
    const { fetch, calls } = fakeFetch(() =>
      json(document({ client_id: url }), { 'cache-control': 'no-store' }),
    );
    const app = createTestApp({ fetch });
    const { browser, path } = await authorizeWith(app, url);
    await browser.page(path);
    await browser.page(path);
    expect(calls).toHaveLength(2);
  });

  it('refuses a redirect URI the document does not list, with a page', async () => {
    const url = 'https://strict.example/client.json';
    const { fetch } = fakeFetch(() => json(document({ client_id: url })));
    const app = createTestApp({ fetch });
    const { browser, path } = await authorizeWith(app, url, 'https://attacker.example/cb');
    const res = await browser.get(path);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  const failures: [string, (url: string) => Response | Promise<Response>, string][] = [
    [
      'a redirect',
      () => new Response(null, { status: 302, headers: { location: 'https://127.0.0.1/' } }),
      'redirects',
    ],
    ['a 404', () => json({}, {}, 404), 'answered with an error'],
    [
      'more than 5 KB',
      (u) => json(document({ client_id: u, client_name: 'x'.repeat(100), pad: 'y'.repeat(6000) })),
      'larger than 5 KB',
    ],
    ['not JSON', () => new Response('<html>hello</html>'), 'not valid JSON'],
    [
      'a different client_id',
      () => json(document({ client_id: 'https://other.example/client.json' })),
      'different client_id',
    ],
    [
      'no redirect_uris',
      (u) => json(document({ client_id: u, redirect_uris: undefined })),
      'missing required fields',
    ],
    [
      'a javascript: redirect URI',
      (u) => json(document({ client_id: u, redirect_uris: ['javascript:alert(1)'] })),
      'missing required fields',
    ],
    [
      'a client_secret',
      (u) => json(document({ client_id: u, client_secret: 'leaked' })),
      'missing required fields',
    ],
    ['a network failure', () => Promise.reject(new TypeError('connection refused')), 'could not be fetched'],
    ['a timeout', () => Promise.reject(new DOMException('timed out', 'TimeoutError')), 'took too long'],
  ];
  for (const [name, respond, message] of failures) {
    it(`shows a clear page, never a 500, for ${name}`, async () => {
      const url = `https://fail-${name.replace(/\W+/g, '-').toLowerCase()}.example/client.json`;
      const { fetch } = fakeFetch(respond);
      const app = createTestApp({ fetch });
      const { browser, path } = await authorizeWith(app, url);
      const res = await browser.get(path);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain(message);
    });
  }
});

describe('SSRF protection for metadata documents', () => {
  const blocked = [
    'http://app.example/client.json',
    'https://127.0.0.1/client.json',
    'https://127.1.2.3/client.json',
    'https://2130706433/client.json',
    'https://0x7f.0.0.1/client.json',
    'https://0177.0.0.1/client.json',
    'https://10.0.0.8/client.json',
    'https://172.16.5.4/client.json',
    'https://192.168.1.1/client.json',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/client.json',
    'https://0.0.0.0/client.json',
    'https://[::1]/client.json',
    'https://[::]/client.json',
    'https://[fe80::1]/client.json',
    'https://[fc00::1]/client.json',
    'https://[::ffff:127.0.0.1]/client.json',
    'https://[::ffff:a9fe:a9fe]/client.json',
    'https://localhost/client.json',
    'https://LOCALHOST/client.json',
    'https://api.localhost/client.json',
    'https://printer.local/client.json',
    'https://metadata.google.internal/client.json',
    'https://intranet/client.json',
    'https://user:pw@app.example/client.json',
    'https://app.example/',
    'https://app.example',
    'https://app.example/client.json#x',
    'file:///etc/passwd',
    'https://app.example/ client.json',
  ];
  for (const url of blocked) {
    it(`never fetches ${url}`, async () => {
      const { fetch, calls } = fakeFetch(() => json(document({ client_id: url })));
      const app = createTestApp({ fetch });
      const { browser, path } = await authorizeWith(app, url);
      const res = await browser.get(path);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(calls).toHaveLength(0);
    });
  }

  it('allows http on 127.0.0.1 only with the test-only CIMD_ALLOW_HTTP_LOOPBACK switch', async () => {
    const url = 'http://127.0.0.1:4321/client.json';
    const doc = document({ client_id: url });
    const off = fakeFetch(() => json(doc));
    const appOff = createTestApp({ fetch: off.fetch });
    const a = await authorizeWith(appOff, url);
    expect((await a.browser.get(a.path)).status).toBe(400);
    expect(off.calls).toHaveLength(0);
    const on = fakeFetch(() => json(doc));
    const appOn = createTestApp({ fetch: on.fetch, env: { CIMD_ALLOW_HTTP_LOOPBACK: 'true' } });
    const b = await authorizeWith(appOn, url);
    expect((await b.browser.get(b.path)).status).toBe(200);
    expect(on.calls).toHaveLength(1);
  });
});

describe('pure helpers', () => {
  it('reads Cache-Control into a bounded TTL', () => {
    expect(cacheSecondsFrom(null)).toBe(300);
    expect(cacheSecondsFrom('no-store')).toBe(0);
    expect(cacheSecondsFrom('max-age=0')).toBe(0);
    expect(cacheSecondsFrom('public, max-age=10')).toBe(60);
    expect(cacheSecondsFrom('max-age=3600')).toBe(3600);
    expect(cacheSecondsFrom('max-age=99999999')).toBe(86400);
    expect(cacheSecondsFrom('private, max-age=600')).toBe(0);
  });

  it('accepts a public https document URL with a path', () => {
    expect(checkMetadataDocumentUrl('https://claude.ai/oauth/claude-code-client-metadata', false).host).toBe(
      'claude.ai',
    );
    expect(checkMetadataDocumentUrl('https://8.8.8.8/client.json', false).host).toBe('8.8.8.8');
  });

  it('reads application_type, and takes a wrong one for the default web instead of refusing the client', () => {
    const read = (value: unknown) =>
      parseMetadataDocument(DOC_URL, JSON.stringify(document({ application_type: value }))).applicationType;
    expect(read('native')).toBe('native');
    expect(read('web')).toBe('web');
    expect(read(undefined)).toBe('web');
    for (const wrong of ['mobile', 'NATIVE', 42, null, ['native']]) expect(read(wrong)).toBe('web');
  });

  it('rejects a document whose client_id differs by a single byte', () => {
    expect(() =>
      parseMetadataDocument(DOC_URL, JSON.stringify(document({ client_id: `${DOC_URL}/` }))),
    ).toThrow(CimdError);
  });
});
