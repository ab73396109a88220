import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config';
import { verifyAccessToken } from '../../src/tokens/access-token';
import { getKeySet } from '../../src/tokens/keys';
import { createTestApp } from '../helpers/app';
import { CLIENT_FIXTURES } from '../oauth/client-payloads';
import {
  approve,
  env,
  ISSUER,
  MCP_URL,
  pkcePair,
  register,
  signedInBrowser,
  type TokenSet,
  tokenRequest,
} from '../oauth/helpers';

function clientAuth(reg: { client_id: string; client_secret?: string; token_endpoint_auth_method: string }): {
  fields: Record<string, string>;
  headers: Record<string, string>;
} {
  if (reg.token_endpoint_auth_method === 'client_secret_basic') {
    return {
      fields: {},
      headers: { authorization: `Basic ${btoa(`${reg.client_id}:${reg.client_secret}`)}` },
    };
  }
  if (reg.token_endpoint_auth_method === 'client_secret_post') {
    return { fields: { client_id: reg.client_id, client_secret: reg.client_secret! }, headers: {} };
  }
  return { fields: { client_id: reg.client_id }, headers: {} };
}

describe('real client payloads complete the whole flow', () => {
  for (const fixture of CLIENT_FIXTURES) {
    it(`${fixture.name}: registers, authorizes with its redirect URI, redeems and refreshes`, async () => {
      const app = createTestApp();
      const reg = (await (await register(app, fixture.registration)).json()) as {
        client_id: string;
        client_secret?: string;
        token_endpoint_auth_method: string;
      };
      const { browser, userId } = await signedInBrowser(app);
      const { verifier, challenge } = await pkcePair();
      const location = await approve(browser, {
        clientId: reg.client_id,
        redirectUri: fixture.authorizeRedirectUri,
        scope: fixture.scope,
        resource: MCP_URL,
        challenge,
        state: 'opaque-state',
      });
      expect(location.href.startsWith(fixture.authorizeRedirectUri)).toBe(true);
      expect(location.searchParams.get('state')).toBe('opaque-state');
      expect(location.searchParams.get('iss')).toBe(ISSUER);
      const code = location.searchParams.get('code')!;
      const auth = clientAuth(reg);
      const res = await tokenRequest(
        app,
        {
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          redirect_uri: fixture.authorizeRedirectUri,
          resource: MCP_URL,
          ...auth.fields,
        },
        auth.headers,
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const tokens = (await res.json()) as TokenSet;
      expect(tokens.token_type).toBe('Bearer');
      expect(tokens.scope).toBe('mcp');
      expect(tokens.refresh_token).toBeTruthy();
      const verified = await verifyAccessToken(await getKeySet(parseConfig(env)), tokens.access_token, {
        issuer: ISSUER,
        audience: MCP_URL,
        now: Math.floor(Date.now() / 1000),
      });
      expect(verified.userId).toBe(userId);
      expect(verified.clientId).toBe(reg.client_id);
      const refreshed = await tokenRequest(
        app,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...auth.fields },
        auth.headers,
      );
      expect(refreshed.status).toBe(200);
    });
  }
});
