import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnauthorizedError as AiSdkUnauthorizedError, auth as aiSdkAuth, createMCPClient } from '@ai-sdk/mcp';
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_DOCUMENT_FIXTURES, relocated } from '../oauth/client-metadata-documents';
import { type DevServer, startDevServer } from './helpers/dev-server';
import { RecordingProvider, spoiled } from './helpers/oauth-provider';
import { approveAuthorization, createPerson, type Person } from './helpers/person';

/**
 * The client matrix against one real `npm run dev`, for what today's server speaks (the 2025 era):
 * the v2 SDK client in legacy and auto negotiation, `@ai-sdk/mcp`, and the client ID metadata
 * documents of Claude, Claude Code, VS Code, Goose, opencode and ChatGPT replayed from a loopback
 * server (the dev server allows http loopback documents only with CIMD_ALLOW_HTTP_LOOPBACK). Every
 * OAuth client starts from the bare /mcp URL, is challenged, registers, and the person approves.
 * What needs the 2026-07-28 server lives in clients-modern.e2e.test.ts; mcp-remote and the v1 SDK
 * client have their own files (mcp-remote.e2e.test.ts, mcp.e2e.test.ts, oauth.e2e.test.ts).
 */
let server: DevServer;
let person: Person;
let documents: Server;
let documentsBase = '';
const served = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  documents = createServer((req, res) => {
    const document = served.get(req.url ?? '');
    if (!document) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
    res.end(JSON.stringify(document));
  });
  await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
  documentsBase = `http://127.0.0.1:${(documents.address() as AddressInfo).port}`;
  server = await startDevServer({ vars: { CIMD_ALLOW_HTTP_LOOPBACK: 'true' } });
  person = await createPerson(server.url, 'clients');
});

afterAll(async () => {
  await server?.stop();
  await new Promise<void>((resolve) => documents?.close(() => resolve()));
});

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Revokes the grant behind a refresh token as a public client would (RFC 7009). */
async function revoke(refreshToken: string, clientId: string) {
  const res = await fetch(
    `${server.url}/oauth2/revoke`,
    form({ token: refreshToken, token_type_hint: 'refresh_token', client_id: clientId }),
  );
  expect(res.status).toBe(200);
}

/** A tool result's content as text, whichever result shape the client library types it with. */
function text(result: object): string {
  return JSON.stringify('content' in result ? result.content : result);
}

describe('@modelcontextprotocol/client 2.4.0 against today’s server', () => {
  const modes: [string, VersionNegotiationMode, number][] = [
    ['legacy', 'legacy', 45920],
    ['auto', 'auto', 45921],
  ];
  for (const [label, mode, port] of modes) {
    it(`in ${label} negotiation: bare URL → OAuth → tools/call → refresh → revocation`, async () => {
      const mcpUrl = new URL(`${server.url}/mcp`);
      const provider = new RecordingProvider(
        `http://127.0.0.1:${port}/callback`,
        `Gatehouse e2e v2 ${label}`,
      );
      const transport = () => new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
      const newClient = () =>
        new Client({ name: `gatehouse-e2e-v2-${label}`, version: '1.0.0' }, { versionNegotiation: { mode } });

      await expect(newClient().connect(transport())).rejects.toBeInstanceOf(UnauthorizedError);
      const url = provider.pendingAuthorization!;
      expect(url.origin + url.pathname).toBe(`${server.url}/oauth2/authorize`);
      expect(url.searchParams.get('resource')).toBe(mcpUrl.href);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      const callback = await approveAuthorization(person, url.href);
      expect(callback.searchParams.get('iss')).toBe(server.url);
      await transport().finishAuth(callback.searchParams.get('code')!, callback.searchParams.get('iss')!);
      // It registered by DCR with the application type 2026-07-28 clients must send.
      expect(provider.client?.client_id).toEqual(expect.any(String));

      const client = newClient();
      await client.connect(transport());
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['whoAmI', 'createProject']));
        const created = await client.callTool({
          name: 'createProject',
          arguments: { title: `Made by the v2 client (${label})` },
        });
        expect(created.isError, text(created)).toBeFalsy();
        const who = await client.callTool({ name: 'whoAmI', arguments: {} });
        expect(text(who)).toContain(person.email);

        // The access token stops working: the client refreshes (rotation) and carries on.
        const before = provider.stored!;
        provider.stored = { ...before, access_token: spoiled(before.access_token) };
        expect(text(await client.callTool({ name: 'whoAmI', arguments: {} }))).toContain(person.email);
        expect(provider.refreshes).toBe(1);
        expect(provider.stored!.refresh_token).not.toBe(before.refresh_token);

        // Revoked: the next call is refused, and the client is sent back to authorization.
        provider.pendingAuthorization = undefined;
        await revoke(provider.stored!.refresh_token!, provider.client!.client_id);
        await expect(client.callTool({ name: 'whoAmI', arguments: {} })).rejects.toThrow();
        expect(provider.pendingAuthorization).toBeDefined();
      } finally {
        await client.close().catch(() => {});
      }
    });
  }
});

describe('@ai-sdk/mcp 2.0.99 against today’s server', () => {
  it('bare URL → OAuth → tools/call → refresh → revocation', async () => {
    const url = `${server.url}/mcp`;
    const provider = new RecordingProvider('http://127.0.0.1:45922/callback', 'Gatehouse e2e AI SDK');
    const connect = () => createMCPClient({ transport: { type: 'http', url, authProvider: provider } });

    await expect(connect()).rejects.toBeInstanceOf(AiSdkUnauthorizedError);
    const authorization = provider.pendingAuthorization!;
    expect(authorization.searchParams.get('resource')).toBe(url);
    const callback = await approveAuthorization(person, authorization.href);
    expect(
      await aiSdkAuth(provider, {
        serverUrl: url,
        authorizationCode: callback.searchParams.get('code')!,
        callbackIssuer: callback.searchParams.get('iss')!,
      }),
    ).toBe('AUTHORIZED');

    const client = await connect();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['whoAmI', 'listMyProjects']));
      const created = await client.callTool({
        name: 'createProject',
        arguments: { title: 'Made by the AI SDK' },
      });
      expect(created.isError, text(created)).toBeFalsy();
      expect(text(await client.callTool({ name: 'whoAmI', arguments: {} }))).toContain(person.email);

      const before = provider.stored!;
      provider.stored = { ...before, access_token: spoiled(before.access_token) };
      expect(text(await client.callTool({ name: 'whoAmI', arguments: {} }))).toContain(person.email);
      expect(provider.refreshes).toBe(1);

      provider.pendingAuthorization = undefined;
      await revoke(provider.stored!.refresh_token!, provider.client!.client_id);
      await expect(client.callTool({ name: 'whoAmI', arguments: {} })).rejects.toThrow();
    } finally {
      await client.close().catch(() => {});
    }
  });
});

describe('client ID metadata documents of real clients, replayed from loopback', () => {
  for (const [index, fixture] of METADATA_DOCUMENT_FIXTURES.entries()) {
    it(`${fixture.name}: registers from its document, as a public client with our grant types`, async () => {
      const path = `/clients/${index}/client-metadata.json`;
      const clientId = `${documentsBase}${path}`;
      served.set(path, relocated(fixture, clientId));
      const resource = `${server.url}/mcp`;

      for (const redirectUri of fixture.authorizeRedirectUris) {
        const verifier = `${'v'.repeat(40)}${index}${redirectUri.length}`;
        const challenge = Buffer.from(
          await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)),
        ).toString('base64url');
        const authorize = new URL(`${server.url}/oauth2/authorize`);
        for (const [k, v] of Object.entries({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: redirectUri,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: 'replay',
          resource,
        })) {
          authorize.searchParams.set(k, v);
        }
        const callback = await approveAuthorization(person, authorize.href);
        expect(`${callback.origin}${callback.pathname}`).toBe(new URL(redirectUri).href);
        expect(callback.searchParams.get('iss')).toBe(server.url);
        const code = callback.searchParams.get('code')!;

        // Auth method `none`: a secret is refused, the bare client_id with PKCE is accepted.
        const exchange = {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
          client_id: clientId,
          resource,
        };
        const withSecret = await fetch(
          `${server.url}/oauth2/token`,
          form({ ...exchange, client_secret: 'x' }),
        );
        expect(withSecret.status).toBe(401);
        expect(((await withSecret.json()) as { error: string }).error).toBe('invalid_client');
        const token = await fetch(`${server.url}/oauth2/token`, form(exchange));
        expect(token.status).toBe(200);
        const tokens = (await token.json()) as { refresh_token: string; scope: string };
        expect(tokens.scope).toBe('mcp');

        // Grant types intersected: refresh works, the extra grants the document lists do not exist here.
        const refreshed = await fetch(
          `${server.url}/oauth2/token`,
          form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId }),
        );
        expect(refreshed.status).toBe(200);
        for (const grant of (fixture.document.grant_types as string[]).filter((g) => g.startsWith('urn:'))) {
          const extra = await fetch(
            `${server.url}/oauth2/token`,
            form({ grant_type: grant, client_id: clientId }),
          );
          expect(extra.status).toBe(400);
          expect(((await extra.json()) as { error: string }).error).toBe('unsupported_grant_type');
        }
      }

      // Redirect URIs stay strict: near misses get a page, never a redirect.
      for (const redirectUri of fixture.refusedRedirectUris) {
        const authorize = new URL(`${server.url}/oauth2/authorize`);
        authorize.search = new URLSearchParams({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: redirectUri,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
          state: 'replay',
        }).toString();
        const refused = await person.browser.get(authorize.href);
        expect(refused.status, redirectUri).toBe(400);
        expect(refused.headers.get('location')).toBeNull();
      }
    });
  }
});
