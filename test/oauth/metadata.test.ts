import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app';
import { ISSUER, MCP_URL } from './helpers';

const AS_PATHS = [
  '/.well-known/oauth-authorization-server',
  '/.well-known/oauth-authorization-server/mcp',
  '/.well-known/openid-configuration',
  '/.well-known/openid-configuration/mcp',
];

describe('GET /.well-known/oauth-authorization-server (RFC 8414 §3)', () => {
  it('serves the same body at every discovery address', async () => {
    const app = createTestApp();
    const bodies = await Promise.all(AS_PATHS.map(async (p) => (await app.fetch(p)).text()));
    for (const body of bodies) expect(body).toBe(bodies[0]);
  });

  it('advertises exactly what MCP clients need', async () => {
    const app = createTestApp();
    const res = await app.fetch('/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const m = (await res.json()) as Record<string, unknown>;
    expect(m).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth2/authorize`,
      token_endpoint: `${ISSUER}/oauth2/token`,
      registration_endpoint: `${ISSUER}/oauth2/register`,
      revocation_endpoint: `${ISSUER}/oauth2/revoke`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      scopes_supported: ['mcp', 'api'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
    expect(typeof m.service_documentation).toBe('string');
  });

  // Claude, Claude Code, opencode and Codex present a metadata document only when BOTH hold;
  // otherwise they register a new client by DCR on every fresh connection.
  it('offers client ID metadata documents with none at every discovery address', async () => {
    const app = createTestApp();
    for (const path of AS_PATHS) {
      const m = (await (await app.fetch(path)).json()) as Record<string, unknown>;
      expect(m.client_id_metadata_document_supported).toBe(true);
      expect(m.token_endpoint_auth_methods_supported).toContain('none');
    }
  });

  it('uses PUBLIC_URL as the one issuer when it is configured, whatever the request host', async () => {
    const app = createTestApp({ env: { PUBLIC_URL: 'https://gate.example.com' } });
    const as = (await (await app.fetch('/.well-known/oauth-authorization-server')).json()) as {
      issuer: string;
    };
    const prm = (await (await app.fetch('/.well-known/oauth-protected-resource/mcp')).json()) as {
      resource: string;
      authorization_servers: string[];
    };
    expect(as.issuer).toBe('https://gate.example.com');
    expect(prm.authorization_servers).toEqual([as.issuer]);
    expect(prm.resource).toBe('https://gate.example.com/mcp');
  });
});

describe('GET /.well-known/oauth-protected-resource (RFC 9728 §3)', () => {
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    it(`serves ${path} with the exact MCP URL and no offline_access`, async () => {
      const app = createTestApp();
      const res = await app.fetch(path);
      expect(res.status).toBe(200);
      const m = (await res.json()) as Record<string, unknown>;
      expect(m).toEqual({
        resource: MCP_URL,
        authorization_servers: [ISSUER],
        scopes_supported: ['mcp', 'api'],
        bearer_methods_supported: ['header'],
        resource_name: 'Gatehouse',
      });
    });
  }
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes public keys only', async () => {
    const app = createTestApp();
    const res = await app.fetch('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k.kid).toBeTruthy();
      expect(k).not.toHaveProperty('d');
    }
  });
});

describe('CORS on discovery, registration, token and revocation', () => {
  const paths = [
    '/.well-known/oauth-authorization-server',
    '/.well-known/oauth-protected-resource/mcp',
    '/.well-known/jwks.json',
    '/oauth2/register',
    '/oauth2/token',
    '/oauth2/revoke',
    '/register',
    '/token',
    '/revoke',
  ];
  for (const path of paths) {
    it(`answers a preflight on ${path} for any origin without credentials`, async () => {
      const app = createTestApp();
      const res = await app.fetch(path, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://inspector.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, mcp-protocol-version',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
        'mcp-protocol-version',
      );
    });
  }

  it('adds Access-Control-Allow-Origin to a discovery response', async () => {
    const app = createTestApp();
    const res = await app.fetch('/.well-known/oauth-authorization-server', {
      headers: { origin: 'https://chatgpt.com' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('does not open the authorization page to cross-origin reads', async () => {
    const app = createTestApp();
    const res = await app.fetch('/oauth2/authorize', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
