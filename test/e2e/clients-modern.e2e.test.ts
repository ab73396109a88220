import { UnauthorizedError as AiSdkUnauthorizedError, auth as aiSdkAuth, createMCPClient } from '@ai-sdk/mcp';
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './helpers/dev-server';
import { RecordingProvider, spoiled } from './helpers/oauth-provider';
import { approveAuthorization, createPerson, type Person } from './helpers/person';

/**
 * The clients that need /mcp to speak MCP 2026-07-28 (issue 11's server side: `server/discover`,
 * per-request `_meta`): the v2 SDK client pinned to 2026-07-28, the same client in auto negotiation
 * landing in the modern era, and `@ai-sdk/mcp` staying in it. Against a server that speaks only the
 * 2025 era these fail — the pinned client cannot connect at all, which is the bug the issue reports.
 * Everything that works against either era is in clients.e2e.test.ts.
 */
const MODERN = '2026-07-28';
let server: DevServer;
let person: Person;

beforeAll(async () => {
  server = await startDevServer();
  person = await createPerson(server.url, 'modern-clients');
});

afterAll(async () => {
  await server?.stop();
});

function text(result: object): string {
  return JSON.stringify('content' in result ? result.content : result);
}

describe(`@modelcontextprotocol/client 2.4.0 in the ${MODERN} era`, () => {
  const modes: [string, VersionNegotiationMode, number][] = [
    [`pinned to ${MODERN}`, { pin: MODERN }, 45930],
    ['auto', 'auto', 45931],
  ];
  for (const [label, mode, port] of modes) {
    it(`${label}: bare URL → OAuth → server/discover → tools/call → refresh, all modern`, async () => {
      const mcpUrl = new URL(`${server.url}/mcp`);
      const provider = new RecordingProvider(
        `http://127.0.0.1:${port}/callback`,
        `Gatehouse e2e v2 ${label}`,
      );
      const transport = () => new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
      const newClient = () =>
        new Client({ name: 'gatehouse-e2e-modern', version: '1.0.0' }, { versionNegotiation: { mode } });

      // A 401 during the discover probe is not era evidence: the client authorizes first.
      await expect(newClient().connect(transport())).rejects.toBeInstanceOf(UnauthorizedError);
      const callback = await approveAuthorization(person, provider.pendingAuthorization!.href);
      await transport().finishAuth(callback.searchParams.get('code')!, callback.searchParams.get('iss')!);

      const client = newClient();
      await client.connect(transport());
      try {
        expect(client.getProtocolEra()).toBe('modern');
        expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
        expect(client.getDiscoverResult()?.supportedVersions).toContain(MODERN);
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['whoAmI', 'createProject']));
        const created = await client.callTool({
          name: 'createProject',
          arguments: { title: `Made in the modern era (${label})` },
        });
        expect(created.isError, text(created)).toBeFalsy();

        const before = provider.stored!;
        provider.stored = { ...before, access_token: spoiled(before.access_token) };
        expect(text(await client.callTool({ name: 'whoAmI', arguments: {} }))).toContain(person.email);
        expect(provider.refreshes).toBe(1);
      } finally {
        await client.close().catch(() => {});
      }
    });
  }
});

describe(`@ai-sdk/mcp 2.0.99 in the ${MODERN} era`, () => {
  it('probes server/discover and then sends every request at 2026-07-28', async () => {
    const url = `${server.url}/mcp`;
    const provider = new RecordingProvider('http://127.0.0.1:45932/callback', 'Gatehouse e2e AI SDK modern');
    const sent: { method: string; version: string | null }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { method?: string }) : {};
      if (body.method) {
        sent.push({ method: body.method, version: new Headers(init?.headers).get('mcp-protocol-version') });
      }
      return fetch(input, init);
    };
    const connect = () =>
      createMCPClient({ transport: { type: 'http', url, authProvider: provider, fetch: recordingFetch } });

    await expect(connect()).rejects.toBeInstanceOf(AiSdkUnauthorizedError);
    const callback = await approveAuthorization(person, provider.pendingAuthorization!.href);
    await aiSdkAuth(provider, {
      serverUrl: url,
      authorizationCode: callback.searchParams.get('code')!,
      callbackIssuer: callback.searchParams.get('iss')!,
    });
    sent.length = 0;
    const client = await connect();
    try {
      expect(text(await client.callTool({ name: 'whoAmI', arguments: {} }))).toContain(person.email);
      expect(sent.map((s) => s.method)).not.toContain('initialize');
      expect(sent.find((s) => s.method === 'tools/call')?.version).toBe(MODERN);
    } finally {
      await client.close().catch(() => {});
    }
  });
});
