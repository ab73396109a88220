import { describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/tokens/secrets';
import { unavailableKv } from '../faults/faulty-bindings';
import { createTestApp, createUser, ORIGIN, type TestApp } from '../helpers/app';
import {
  ACCEPT_BOTH,
  MCP_URL,
  mintAccessToken,
  RESOURCE_METADATA,
  revokeGrant,
  rpc,
} from '../surfaces/support';

/**
 * The 401/403 matrix of RFC 6750 §3 on every Bearer surface: each kind of bad credential, on each
 * method, gets the same challenge (resource_metadata + scope, so an MCP client can start OAuth from
 * the bare URL), and a valid token without the surface's scope gets 403 insufficient_scope.
 */
interface Probe {
  label: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

const initialize = JSON.stringify(
  rpc('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  }),
);
const mcpHeaders = { accept: ACCEPT_BOTH, 'content-type': 'application/json' };

const SURFACES: { scope: 'mcp' | 'api'; probes: Probe[] }[] = [
  {
    scope: 'mcp',
    probes: [
      { label: 'POST /mcp', method: 'POST', path: '/mcp', body: initialize, headers: mcpHeaders },
      { label: 'POST /mcp/', method: 'POST', path: '/mcp/', body: initialize, headers: mcpHeaders },
      { label: 'GET /mcp', method: 'GET', path: '/mcp', headers: { accept: 'text/event-stream' } },
      { label: 'DELETE /mcp', method: 'DELETE', path: '/mcp' },
    ],
  },
  {
    scope: 'api',
    probes: [
      { label: 'GET /api/v1/me', method: 'GET', path: '/api/v1/me' },
      {
        label: 'POST /api/v1/projects',
        method: 'POST',
        path: '/api/v1/projects',
        body: '{"title":"x"}',
        headers: { 'content-type': 'application/json' },
      },
      { label: 'DELETE /api/v1/projects/{id}', method: 'DELETE', path: '/api/v1/projects/prj_x' },
      {
        label: 'POST /api/v2/whoAmI',
        method: 'POST',
        path: '/api/v2/whoAmI',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      },
      { label: 'GET /api/v2/whoAmI', method: 'GET', path: '/api/v2/whoAmI' },
    ],
  },
];

function send(app: TestApp, probe: Probe, authorization?: string, query = ''): Promise<Response> {
  return app.fetch(probe.path + query, {
    method: probe.method,
    headers: { ...probe.headers, ...(authorization ? { authorization } : {}) },
    ...(probe.body ? { body: probe.body } : {}),
  });
}

async function expectChallenge(
  res: Response,
  status: 401 | 403,
  scope: string,
  error: 'invalid_token' | 'insufficient_scope' | undefined,
) {
  expect(res.status).toBe(status);
  const params = `resource_metadata="${RESOURCE_METADATA}", scope="${scope}"`;
  expect(res.headers.get('www-authenticate')).toBe(
    error ? `Bearer error="${error}", ${params}` : `Bearer ${params}`,
  );
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = (await res.json()) as { ok: boolean; error: { code: string } };
  expect(body.ok).toBe(false);
  expect(body.error.code).toBe(error ?? 'unauthorized');
}

async function setup() {
  const app = createTestApp();
  const user = await createUser({ verified: true });
  const grantId = newId('grt_');
  const mint = (opts: Partial<Parameters<typeof mintAccessToken>[1]> = {}) =>
    mintAccessToken(app, { userId: user.id, grantId, scope: 'mcp api', ...opts });
  return { app, user, grantId, mint };
}

function tamper(token: string): string {
  const [h, p, s] = token.split('.');
  const flipped = (s![0] === 'A' ? 'B' : 'A') + s!.slice(1);
  return `${h}.${p}.${flipped}`;
}

for (const surface of SURFACES) {
  const other = surface.scope === 'mcp' ? 'api' : 'mcp';
  for (const probe of surface.probes) {
    describe(`requireBearer on ${probe.label} (scope ${surface.scope})`, () => {
      it('answers 401 with resource_metadata and scope, and no error code, without a token', async () => {
        const { app } = await setup();
        await expectChallenge(await send(app, probe), 401, surface.scope, undefined);
      });

      it('treats another scheme (Basic) as no token', async () => {
        const { app } = await setup();
        await expectChallenge(await send(app, probe, 'Basic dXNlcjpwYXNz'), 401, surface.scope, undefined);
      });

      it('never reads a token from the query string', async () => {
        const { app, mint } = await setup();
        const token = await mint();
        const query = `?access_token=${encodeURIComponent(token)}`;
        await expectChallenge(await send(app, probe, undefined, query), 401, surface.scope, undefined);
      });

      it('answers 401 invalid_token for every kind of bad token', async () => {
        const { app, mint, user } = await setup();
        const bad: Record<string, string> = {
          empty: 'Bearer ',
          garbage: 'Bearer not-a-token',
          'three dots of junk': 'Bearer a.b.c',
          'tampered signature': `Bearer ${tamper(await mint())}`,
          'wrong audience': `Bearer ${await mint({ audience: `${ORIGIN}/other` })}`,
          'audience of another host': `Bearer ${await mint({ audience: 'https://evil.example/mcp' })}`,
          'wrong issuer': `Bearer ${await mint({ issuer: 'https://evil.example' })}`,
          'issued in the future … and expired': `Bearer ${await mint({ now: 1_000_000, ttlSeconds: 60 })}`,
          'malformed personal access token': `Bearer tskdp_${'a'.repeat(40)}`,
          'two tokens': `Bearer ${await mint()} ${await mint()}`,
          'a user id, not a token': `Bearer ${user.id}`,
        };
        for (const [label, authorization] of Object.entries(bad)) {
          const res = await send(app, probe, authorization);
          expect(res.status, label).toBe(401);
          await expectChallenge(res, 401, surface.scope, 'invalid_token');
        }
      });

      it('expires a token exactly at exp, by the app clock', async () => {
        const { app, mint } = await setup();
        const token = await mint({ ttlSeconds: 600 });
        app.clock.advance(599);
        const before = await send(app, probe, `Bearer ${token}`);
        expect(before.status).not.toBe(401);
        app.clock.advance(1);
        await expectChallenge(await send(app, probe, `Bearer ${token}`), 401, surface.scope, 'invalid_token');
      });

      it('answers 401 invalid_token as soon as the grant is revoked', async () => {
        const { app, mint, grantId } = await setup();
        const token = await mint();
        expect((await send(app, probe, `Bearer ${token}`)).status).not.toBe(401);
        await revokeGrant(app, grantId);
        await expectChallenge(await send(app, probe, `Bearer ${token}`), 401, surface.scope, 'invalid_token');
      });

      it(`answers 403 insufficient_scope to a token with only "${other}"`, async () => {
        const { app, mint } = await setup();
        const token = await mint({ scope: other });
        await expectChallenge(
          await send(app, probe, `Bearer ${token}`),
          403,
          surface.scope,
          'insufficient_scope',
        );
      });

      it('accepts the scheme name in any case', async () => {
        const { app, mint } = await setup();
        const token = await mint({ scope: surface.scope });
        const res = await send(app, probe, `bEaReR ${token}`);
        expect([401, 403]).not.toContain(res.status);
      });

      it('fails closed with 503 when the revocation store cannot be read', async () => {
        vi.spyOn(console, 'warn').mockImplementation(() => {});
        const user = await createUser({ verified: true });
        const app = createTestApp({ env: { CACHE: unavailableKv() } });
        const token = await mintAccessToken(app, { userId: user.id, scope: 'mcp api' });
        const res = await send(app, probe, `Bearer ${token}`);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        const body = (await res.json()) as { error: { code: string } };
        expect(body.error.code).toBe('temporarily_unavailable');
      });
    });
  }
}

describe('requireBearer and the MCP resource', () => {
  it('accepts the token the token endpoint mints: audience is the pasted MCP URL', async () => {
    const { app, mint } = await setup();
    const res = await app.fetch('/api/v1/me', { headers: { authorization: `Bearer ${await mint()}` } });
    expect(res.status).toBe(200);
    expect(MCP_URL).toBe(`${ORIGIN}/mcp`);
  });
});
