import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './helpers/dev-server';
import { approveAuthorization, createPerson, type Person } from './helpers/person';

/**
 * oauth4webapi is a strict, spec-following OAuth client: it compares the discovered `issuer` with
 * the one it was given, requires `iss` on the authorization response when the metadata advertises
 * RFC 9207 support and compares it byte for byte, and checks every token response field's type.
 *
 * The only relaxed option is `allowInsecureRequests`, because the dev server speaks http on
 * loopback; it changes which URL schemes the library will call, nothing about what it validates.
 */
const transport = { [oauth.allowInsecureRequests]: true } as const;

let server: DevServer;
let person: Person;

beforeAll(async () => {
  server = await startDevServer();
  person = await createPerson(server.url, 'oauth4webapi');
});

afterAll(async () => {
  await server?.stop();
});

async function discover(algorithm: 'oauth2' | 'oidc'): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(server.url);
  const response = await oauth.discoveryRequest(issuer, { algorithm, ...transport });
  return oauth.processDiscoveryResponse(issuer, response);
}

describe('oauth4webapi (strict OAuth 2.1 client) against the real `npm run dev`', () => {
  it('accepts the RFC 8414 and the OpenID discovery documents as the same metadata', async () => {
    const rfc8414 = await discover('oauth2');
    const oidc = await discover('oidc');
    expect(oidc).toEqual(rfc8414);
    expect(rfc8414.issuer).toBe(server.url);
    expect(rfc8414.code_challenge_methods_supported).toEqual(['S256']);
    expect(rfc8414.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('registers, authorizes with PKCE S256 + state + iss, exchanges, validates the JWT, refreshes and revokes', async () => {
    const as = await discover('oauth2');
    const redirectUri = 'http://127.0.0.1:45890/callback';

    const registration = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: 'oauth4webapi e2e',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      transport,
    );
    const client: oauth.Client = await oauth.processDynamicClientRegistrationResponse(registration);
    expect(client.client_id).toEqual(expect.any(String));
    expect(client.client_secret).toBeUndefined();
    const clientAuth = oauth.None();

    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const authorizationUrl = new URL(as.authorization_endpoint!);
    authorizationUrl.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'mcp',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      resource: `${server.url}/mcp`,
    }).toString();

    const callback = await approveAuthorization(person, authorizationUrl.href);
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    const params = oauth.validateAuthResponse(as, client, callback, state);

    const tokenResponse = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      params,
      redirectUri,
      verifier,
      { additionalParameters: { resource: `${server.url}/mcp` }, ...transport },
    );
    expect(tokenResponse.headers.get('cache-control')).toContain('no-store');
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('mcp');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // The resource-server side of RFC 9068, as oauth4webapi checks it: typ, iss, aud, exp, the
    // required claims, and the signature against the metadata's jwks_uri.
    const claims = await oauth.validateJwtAccessToken(
      as,
      new Request(`${server.url}/mcp`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      `${server.url}/mcp`,
      transport,
    );
    expect(claims.client_id).toBe(client.client_id);
    expect(claims.iss).toBe(server.url);

    const mcp = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'whoAmI', arguments: {} },
      }),
    });
    expect(mcp.status).toBe(200);
    expect(await mcp.text()).toContain(person.email);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, transport),
    );
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const revoked = await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token!, {
      additionalParameters: { token_type_hint: 'refresh_token' },
      ...transport,
    });
    await oauth.processRevocationResponse(revoked);

    const afterRevoke = oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token!, transport),
    );
    await expect(afterRevoke).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(afterRevoke).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });

  it('refuses an authorization response whose iss is not the issuer (RFC 9207)', async () => {
    const as = await discover('oauth2');
    const client: oauth.Client = { client_id: 'any' };
    const forged = new URLSearchParams({ code: 'c', state: 's', iss: `${server.url}/` });
    expect(() => oauth.validateAuthResponse(as, client, forged, 's')).toThrow(/iss/);
    const missing = new URLSearchParams({ code: 'c', state: 's' });
    expect(() => oauth.validateAuthResponse(as, client, missing, 's')).toThrow(/iss/);
  });
});
