import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/tokens/secrets';
import { createTestApp } from '../helpers/app';
import { CLIENT_FIXTURES, HOSTILE_REDIRECT_URIS } from './client-payloads';
import { authorizePath, pkcePair, register, signedInBrowser } from './helpers';

interface ClientRow {
  id: string;
  secret_hash: string | null;
  registration_type: string;
  owner_user_id: string | null;
}

async function clientRow(id: string) {
  return env.DB.prepare('SELECT * FROM oauth_clients WHERE id = ?').bind(id).first<ClientRow>();
}

describe('POST /oauth2/register (RFC 7591)', () => {
  for (const fixture of CLIENT_FIXTURES) {
    it(`registers ${fixture.name} with its exact payload`, async () => {
      const app = createTestApp();
      const res = await register(app, fixture.registration);
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.client_id).toEqual(expect.any(String));
      expect(body.client_id_issued_at).toEqual(expect.any(Number));
      expect(body.redirect_uris).toEqual(fixture.registration.redirect_uris);
      expect(body.grant_types).toEqual(['authorization_code', 'refresh_token']);
      expect(body.response_types).toEqual(['code']);
      expect(body.token_endpoint_auth_method).toBe(fixture.registration.token_endpoint_auth_method);
      const row = await clientRow(body.client_id as string);
      expect(row?.registration_type).toBe('dcr');
      expect(row?.owner_user_id).toBeNull();
    });
  }

  it('issues no secret to a client that asks for token_endpoint_auth_method none', async () => {
    const app = createTestApp();
    const res = await register(app, {
      redirect_uris: ['https://a.example/cb'],
      token_endpoint_auth_method: 'none',
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('client_secret');
    expect((await clientRow(body.client_id as string))?.secret_hash).toBeNull();
  });

  for (const method of ['client_secret_basic', 'client_secret_post']) {
    it(`shows a ${method} secret once and stores only its SHA-256`, async () => {
      const app = createTestApp();
      const res = await register(app, {
        redirect_uris: ['https://a.example/cb'],
        token_endpoint_auth_method: method,
      });
      const body = (await res.json()) as {
        client_id: string;
        client_secret: string;
        client_secret_expires_at: number;
      };
      expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body.client_secret_expires_at).toBe(0);
      const row = await env.DB.prepare('SELECT * FROM oauth_clients WHERE id = ?')
        .bind(body.client_id)
        .first();
      expect(row?.secret_hash).toBe(await sha256Hex(body.client_secret));
      expect(JSON.stringify(row)).not.toContain(body.client_secret);
    });
  }

  it('defaults to client_secret_basic when no method is given (RFC 7591 §2)', async () => {
    const app = createTestApp();
    const body = (await (await register(app, { redirect_uris: ['https://a.example/cb'] })).json()) as Record<
      string,
      unknown
    >;
    expect(body.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(body.client_secret).toEqual(expect.any(String));
  });

  it('ignores metadata it does not understand', async () => {
    const app = createTestApp();
    const res = await register(app, {
      redirect_uris: ['https://a.example/cb'],
      token_endpoint_auth_method: 'none',
      contacts: ['ops@a.example'],
      application_type: 'native',
      some_vendor_extension: { nested: true },
      __proto__: { polluted: true },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('some_vendor_extension');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps only supported scopes from the registration', async () => {
    const app = createTestApp();
    const body = (await (
      await register(app, {
        redirect_uris: ['https://a.example/cb'],
        token_endpoint_auth_method: 'none',
        scope: 'openid mcp profile',
      })
    ).json()) as Record<string, unknown>;
    expect(body.scope).toBe('mcp');
  });

  describe('hostile redirect URIs → 400 invalid_redirect_uri', () => {
    for (const uri of HOSTILE_REDIRECT_URIS) {
      it(`refuses ${JSON.stringify(uri.slice(0, 60))}`, async () => {
        const app = createTestApp();
        const res = await register(app, {
          redirect_uris: ['https://good.example/cb', uri],
          token_endpoint_auth_method: 'none',
        });
        expect(res.status).toBe(400);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(await res.json()).toMatchObject({ error: 'invalid_redirect_uri' });
      });
    }
  });

  it('accepts loopback http on localhost, 127.0.0.1 and [::1] and private-use schemes', async () => {
    const app = createTestApp();
    const uris = [
      'http://localhost/cb',
      'http://localhost:1234/cb',
      'http://127.0.0.1:33418/',
      'http://[::1]:8080/cb',
      'vscode://vscode.github-authentication/did-authenticate',
      'com.example.app:/oauth2redirect',
    ];
    const res = await register(app, { redirect_uris: uris, token_endpoint_auth_method: 'none' });
    expect(res.status).toBe(201);
  });

  describe('missing or malformed redirect_uris → invalid_redirect_uri', () => {
    for (const value of [
      undefined,
      [],
      'https://a.example/cb',
      [42],
      [null],
      Array(21).fill('https://a.example/cb'),
    ]) {
      it(`refuses ${JSON.stringify(value)?.slice(0, 40)}`, async () => {
        const app = createTestApp();
        const res = await register(app, { redirect_uris: value, token_endpoint_auth_method: 'none' });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: 'invalid_redirect_uri' });
      });
    }
  });

  describe('bad metadata → invalid_client_metadata', () => {
    const bad: Record<string, unknown>[] = [
      { token_endpoint_auth_method: 'private_key_jwt' },
      { token_endpoint_auth_method: 42 },
      { client_name: 42 },
      { client_name: 'x'.repeat(201) },
      { client_name: 'Evil\u202eoc' },
      { client_name: 'line\nbreak' },
      { grant_types: ['client_credentials'] },
      { grant_types: 'authorization_code' },
      { response_types: ['token'] },
      { client_uri: 'javascript:alert(1)' },
      { logo_uri: 'not a url' },
      { scope: ['mcp'] },
      { software_id: { id: 1 } },
    ];
    for (const extra of bad) {
      it(`refuses ${JSON.stringify(extra).slice(0, 60)}`, async () => {
        const app = createTestApp();
        const res = await register(app, { redirect_uris: ['https://a.example/cb'], ...extra });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata' });
      });
    }
  });

  describe('leniency real clients need (issue 11), with redirect URIs kept strict', () => {
    it('accepts a grant type it does not offer and registers the ones it does (VS Code: device_code)', async () => {
      const app = createTestApp();
      const res = await register(app, {
        client_name: 'Visual Studio Code',
        redirect_uris: ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.grant_types).toEqual(['authorization_code', 'refresh_token']);
      const row = await env.DB.prepare('SELECT grant_types FROM oauth_clients WHERE id = ?')
        .bind(body.client_id)
        .first<{ grant_types: string }>();
      expect(JSON.parse(row!.grant_types)).toEqual(['authorization_code', 'refresh_token']);
    });

    for (const applicationType of ['native', 'web']) {
      it(`records application_type ${applicationType} and returns it (RFC 7591 §3.2.1)`, async () => {
        const app = createTestApp();
        const res = await register(app, {
          redirect_uris: ['http://localhost/callback'],
          token_endpoint_auth_method: 'none',
          application_type: applicationType,
        });
        expect(res.status).toBe(201);
        const body = (await res.json()) as Record<string, unknown>;
        expect(body.application_type).toBe(applicationType);
        const row = await env.DB.prepare('SELECT application_type FROM oauth_clients WHERE id = ?')
          .bind(body.client_id)
          .first<{ application_type: string }>();
        expect(row?.application_type).toBe(applicationType);
      });
    }

    it('records and returns web when application_type is absent (OpenID Connect Registration §2)', async () => {
      const app = createTestApp();
      const res = await register(app, {
        redirect_uris: ['http://localhost/callback'],
        token_endpoint_auth_method: 'none',
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as Record<string, unknown>).application_type).toBe('web');
    });

    for (const value of ['mobile', 'NATIVE', '', 42, null, ['native']]) {
      it(`refuses application_type ${JSON.stringify(value)} with invalid_client_metadata`, async () => {
        const app = createTestApp();
        const res = await register(app, {
          redirect_uris: ['http://localhost/callback'],
          token_endpoint_auth_method: 'none',
          application_type: value,
        });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata' });
      });
    }

    it('refuses grant types that leave nothing to register, even when one is known', async () => {
      const app = createTestApp();
      const res = await register(app, {
        redirect_uris: ['https://a.example/cb'],
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata' });
    });

    it('lets a portless http://localhost registration (Goose) come back on any port, and only there', async () => {
      const app = createTestApp();
      const reg = (await (
        await register(app, { redirect_uris: ['http://localhost'], token_endpoint_auth_method: 'none' })
      ).json()) as { client_id: string };
      const { browser } = await signedInBrowser(app);
      const { challenge } = await pkcePair();
      const at = (redirectUri: string) =>
        browser.get(
          authorizePath({
            response_type: 'code',
            client_id: reg.client_id,
            redirect_uri: redirectUri,
            state: 's',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          }),
        );
      for (const uri of ['http://localhost:54321', 'http://localhost:54321/', 'http://localhost:8/']) {
        expect((await at(uri)).status).toBe(200);
      }
      for (const uri of [
        'http://localhost:54321/oauth_callback',
        'http://127.0.0.1:54321/',
        'https://localhost:54321/',
        'http://localhost:54321/?next=evil',
      ]) {
        const res = await at(uri);
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
      }
    });
  });

  it('refuses a body that is not a JSON object with invalid_request', async () => {
    const app = createTestApp();
    for (const body of ['not json', '[]', '"string"', 'null']) {
      const res = await register(app, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('refuses an oversized body with 413 before parsing it', async () => {
    const app = createTestApp();
    const res = await register(app, {
      redirect_uris: ['https://a.example/cb'],
      client_uri: `https://a.example/${'x'.repeat(20_000)}`,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata' });
  });

  it('answers /register at the root the same way', async () => {
    const app = createTestApp();
    const res = await app.fetch('/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.77' },
      body: JSON.stringify({ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'none' }),
    });
    expect(res.status).toBe(201);
  });

  it('lets a busy host register 100 clients a minute from one address, then slows it with 429', async () => {
    const app = createTestApp();
    // The local limiter counts per wall-clock minute: a run that crosses a minute boundary starts a
    // fresh window, so it is repeated once from a new address rather than waiting.
    let statuses: number[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const ip = `203.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
      const minute = Math.floor(Date.now() / 60_000);
      statuses = [];
      for (let i = 0; i < 125; i++) {
        const res = await app.fetch('/oauth2/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
          body: JSON.stringify({
            redirect_uris: ['https://a.example/cb'],
            token_endpoint_auth_method: 'none',
          }),
        });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.headers.get('retry-after')).toBe('60');
          expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
          break;
        }
      }
      if (Math.floor(Date.now() / 60_000) === minute) break;
    }
    expect(statuses.slice(0, 100).every((s) => s === 201)).toBe(true);
    expect(statuses).toContain(429);
  });
});
