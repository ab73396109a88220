import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app';
import { METADATA_DOCUMENT_FIXTURES } from '../oauth/client-metadata-documents';
import {
  approve,
  authorizePath,
  env,
  ISSUER,
  MCP_URL,
  pkcePair,
  signedInBrowser,
  type TokenSet,
  tokenRequest,
} from '../oauth/helpers';

/**
 * The metadata documents real clients publish, served at their real URLs through the injected
 * outbound fetch, each taken through the whole flow: authorize with every redirect URI the client
 * really uses, consent, code exchange as a public client, refresh. Served `no-store`, so every test
 * reads its own copy (two Goose documents share one URL).
 */
function serving(document: Record<string, unknown>): typeof fetch {
  return (async () =>
    new Response(JSON.stringify(document), {
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    })) as typeof fetch;
}

interface ClientRow {
  registration_type: string;
  token_endpoint_auth_method: string;
  secret_hash: string | null;
  grant_types: string;
  redirect_uris: string;
  application_type: string;
}

describe('client ID metadata documents of real clients', () => {
  for (const fixture of METADATA_DOCUMENT_FIXTURES) {
    const clientId = fixture.document.client_id;
    for (const redirectUri of fixture.authorizeRedirectUris) {
      it(`${fixture.name}: authorizes with ${redirectUri}, redeems as a public client and refreshes`, async () => {
        const app = createTestApp({ fetch: serving(fixture.document) });
        const { browser } = await signedInBrowser(app);
        const { verifier, challenge } = await pkcePair();
        const location = await approve(browser, {
          clientId,
          redirectUri,
          resource: MCP_URL,
          challenge,
          state: 'cimd-state',
        });
        expect(`${location.origin}${location.pathname}`).toBe(new URL(redirectUri).href.replace(/\?.*$/, ''));
        expect(location.searchParams.get('iss')).toBe(ISSUER);
        const res = await tokenRequest(app, {
          grant_type: 'authorization_code',
          code: location.searchParams.get('code')!,
          code_verifier: verifier,
          redirect_uri: redirectUri,
          client_id: clientId,
          resource: MCP_URL,
        });
        expect(res.status).toBe(200);
        const tokens = (await res.json()) as TokenSet;
        expect(tokens.scope).toBe('mcp');
        const refreshed = await tokenRequest(app, {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          client_id: clientId,
        });
        expect(refreshed.status).toBe(200);

        // What the document registered as: grant types intersected with ours, a public client
        // whatever other method it also offers, its application type, its redirect URIs as written.
        const row = await env.DB.prepare('SELECT * FROM oauth_clients WHERE id = ?')
          .bind(clientId)
          .first<ClientRow>();
        expect(row?.registration_type).toBe('cimd');
        expect(row?.token_endpoint_auth_method).toBe('none');
        expect(row?.secret_hash).toBeNull();
        expect(JSON.parse(row!.grant_types)).toEqual(['authorization_code', 'refresh_token']);
        expect(JSON.parse(row!.redirect_uris)).toEqual(fixture.document.redirect_uris);
        expect(row?.application_type).toBe(fixture.applicationType);
      });
    }

    for (const redirectUri of fixture.refusedRedirectUris) {
      it(`${fixture.name}: refuses ${redirectUri} with a page, never a redirect`, async () => {
        const app = createTestApp({ fetch: serving(fixture.document) });
        const { browser } = await signedInBrowser(app);
        const { challenge } = await pkcePair();
        const res = await browser.get(
          authorizePath({
            response_type: 'code',
            client_id: clientId,
            redirect_uri: redirectUri,
            state: 's',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          }),
        );
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
      });
    }
  }

  it('a client that presents private_key_jwt credentials still has no secret to present', async () => {
    const chatgpt = METADATA_DOCUMENT_FIXTURES.find((f) => f.document.client_id.includes('chatgpt'))!;
    const app = createTestApp({ fetch: serving(chatgpt.document) });
    const { browser } = await signedInBrowser(app);
    const { verifier, challenge } = await pkcePair();
    const redirectUri = chatgpt.authorizeRedirectUris[0]!;
    const location = await approve(browser, { clientId: chatgpt.document.client_id, redirectUri, challenge });
    // A secret sent for a document client is refused: it registered as `none`, and a document
    // can never carry a shared secret.
    const res = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: location.searchParams.get('code')!,
      code_verifier: verifier,
      redirect_uri: redirectUri,
      client_id: chatgpt.document.client_id,
      client_secret: 'guessed',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
  });
});
