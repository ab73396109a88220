import * as oauth from 'oauth4webapi';
import { normalizeEmail } from '../accounts/users';
import { IdentityError } from './errors';
import {
  classifyProviderError,
  clockSkewSeconds,
  type ExternalIdentity,
  httpOptions,
  type ProviderIo,
} from './oauth-support';
import { ENTRA_ORIGIN, isEntraTenantId, type OidcProvider } from './provider-config';

/**
 * OpenID Connect sign-in (types `oidc`, `google`, `entra`) through oauth4webapi: discovery,
 * authorization code with PKCE S256, `state` and `nonce`, and the ID token checked for issuer,
 * audience, expiry, nonce and — explicitly, since oauth4webapi leaves it to the caller — its
 * signature against the provider's JWKS.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 * @see https://www.rfc-editor.org/rfc/rfc9207 (the `iss` authorization response parameter)
 */

// oauth4webapi keeps these two hooks out of its type declarations; they exist for Entra's
// multi-tenant endpoints, whose metadata names the issuer `https://login.microsoftonline.com/{tenantid}/v2.0`:
// `_nodiscoverycheck` accepts that metadata, `_expectedIssuer` derives each ID token's issuer from
// its `tid` claim. Checked at load, so an upgrade that drops them fails loudly instead of silently.
const hooks = oauth as unknown as { _nodiscoverycheck?: unknown; _expectedIssuer?: unknown };
if (typeof hooks._nodiscoverycheck !== 'symbol' || typeof hooks._expectedIssuer !== 'symbol') {
  throw new TypeError('oauth4webapi no longer exports the Entra issuer hooks');
}
const noDiscoveryCheck = hooks._nodiscoverycheck as unknown as URL;
const expectedIssuer = hooks._expectedIssuer;

/** Discovery documents are reused per isolate for this long (their JWKS cache hangs off them). */
const DISCOVERY_TTL_MS = 10 * 60 * 1000;
const discovered = new Map<string, { as: oauth.AuthorizationServer; expiresAt: number }>();

function isEntra(provider: OidcProvider): boolean {
  return provider.type === 'entra';
}

async function discover(provider: OidcProvider, io: ProviderIo): Promise<oauth.AuthorizationServer> {
  const key = `${provider.id} ${provider.issuer}`;
  const hit = discovered.get(key);
  if (hit && hit.expiresAt > io.nowMs) return hit.as;
  const issuer = new URL(provider.issuer);
  let as: oauth.AuthorizationServer;
  try {
    const response = await oauth.discoveryRequest(issuer, httpOptions(io));
    as = await oauth.processDiscoveryResponse(isEntra(provider) ? noDiscoveryCheck : issuer, response);
  } catch (err) {
    throw classifyProviderError(err);
  }
  if (isEntra(provider)) {
    // The metadata's issuer is only trusted because it came from Entra's own origin over https.
    if (!as.issuer.startsWith(`${ENTRA_ORIGIN}/`)) throw new IdentityError('invalid_response');
    const template = as.issuer;
    as = {
      ...as,
      [expectedIssuer as symbol]: (result: { claims: { tid?: unknown } }) =>
        typeof result.claims.tid === 'string' && isEntraTenantId(result.claims.tid)
          ? template.replace('{tenantid}', result.claims.tid)
          : template,
    } as oauth.AuthorizationServer;
  }
  if (!as.authorization_endpoint || !as.token_endpoint || !as.jwks_uri) {
    throw new IdentityError('invalid_response');
  }
  discovered.set(key, { as, expiresAt: io.nowMs + DISCOVERY_TTL_MS });
  return as;
}

function clientOf(provider: OidcProvider, io: ProviderIo): oauth.Client {
  return { client_id: provider.clientId, [oauth.clockSkew]: clockSkewSeconds(io) };
}

export interface StartedAuthorization {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export async function startOidc(
  provider: OidcProvider,
  redirectUri: string,
  io: ProviderIo,
): Promise<StartedAuthorization> {
  const as = await discover(provider, io);
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', 'openid email profile');
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  if (provider.type === 'google') url.searchParams.set('prompt', 'select_account');
  return { url: url.href, state, nonce, codeVerifier };
}

export interface CallbackCheck {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Redeems the code and returns the verified person; throws {@link IdentityError} otherwise. */
export async function completeOidc(
  provider: OidcProvider,
  redirectUri: string,
  callback: URL,
  expected: CallbackCheck,
  io: ProviderIo,
): Promise<ExternalIdentity> {
  const as = await discover(provider, io);
  const client = clientOf(provider, io);
  try {
    // Checks `state` and, where the provider offers it (RFC 9207), `iss`; refuses implicit answers.
    const params = oauth.validateAuthResponse(as, client, callback, expected.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretPost(provider.clientSecret),
      params,
      redirectUri,
      expected.codeVerifier,
      httpOptions(io),
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: expected.nonce,
      requireIdToken: true,
    });
    // Over plain http in development TLS proves nothing, and we want the same rule everywhere.
    await oauth.validateApplicationLevelSignature(as, response, httpOptions(io));
    const claims = oauth.getValidatedIdTokenClaims(result);
    if (!claims) throw new IdentityError('invalid_response');
    if (claims.email !== undefined || isEntra(provider) || !as.userinfo_endpoint) {
      return identityFromClaims(provider, claims);
    }
    // OpenID Connect Core §5.4: with an access token, the email scope's claims may come only from
    // the UserInfo endpoint; its `sub` must be the ID token's (checked by oauth4webapi).
    const info = await oauth.processUserInfoResponse(
      as,
      client,
      claims.sub,
      await oauth.userInfoRequest(as, client, result.access_token, httpOptions(io)),
    );
    return identityFromClaims(provider, {
      ...claims,
      email: info.email,
      email_verified: info.email_verified,
    });
  } catch (err) {
    throw classifyProviderError(err);
  }
}

function identityFromClaims(provider: OidcProvider, claims: oauth.IDToken): ExternalIdentity {
  const email = typeof claims.email === 'string' ? normalizeEmail(claims.email) : undefined;
  // OpenID Connect Core §5.1: `email_verified` is a boolean; anything else is "not verified".
  const emailVerified = email !== undefined && claims.email_verified === true;
  if (!isEntra(provider)) {
    return { subject: claims.sub, email, emailVerified, tenantId: undefined };
  }
  const tid = typeof claims.tid === 'string' ? claims.tid : '';
  if (!isEntraTenantId(tid)) throw new IdentityError('invalid_response');
  if (provider.tenant && isEntraTenantId(provider.tenant) && tid !== provider.tenant) {
    throw new IdentityError('tenant_not_allowed');
  }
  // Entra's `email` is whatever the tenant's admin typed ("nOAuth"): it counts as verified only
  // with the optional claim `xms_edov` (email domain owner verified) set.
  const edov = claims.xms_edov;
  const domainVerified = edov === true || edov === 1 || edov === '1' || edov === 'true';
  // `sub` is unique per issuer, and with `common` the issuer is per tenant.
  return {
    subject: `${tid}:${claims.sub}`,
    email,
    emailVerified: email !== undefined && domainVerified,
    tenantId: tid,
  };
}
