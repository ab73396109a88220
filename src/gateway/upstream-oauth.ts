import * as oauth from 'oauth4webapi';
import { isLoopbackHost, isPublicHost } from '../http/public-host';
import { parseBearerChallenge } from '../http/www-authenticate';
import { newSecret, sha256Hex } from '../tokens/secrets';
import {
  consumeAuthorization,
  deleteUpstreamClient,
  findUpstreamClient,
  insertAuthorization,
  saveUpstreamClient,
} from './connection-store';
import type { Upstream } from './upstreams';
import { open, seal, type Vault } from './vault';

/**
 * Gatehouse as an OAuth 2.1 client of an upstream's own authorization server, through oauth4webapi:
 * discovery from the upstream's 401 (RFC 9728 protected-resource metadata, then RFC 8414), a client
 * (the operator's, our client ID metadata document, or a dynamic registration), authorization code +
 * PKCE S256 with `state` bound to the person's session, RFC 9207 `iss` checked, RFC 8707 `resource` =
 * the upstream's MCP URL, and only the scopes the upstream asks for. The tokens obtained are the
 * person's credential for that upstream; the client's own Gatehouse token is never sent anywhere.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

export const CALLBACK_PATH = '/settings/connections/callback';
export const CLIENT_METADATA_PATH = '/gateway/client-metadata.json';
/** How long a person has to finish signing in at the upstream. */
export const FLOW_TTL_SECONDS = 600;
const DISCOVERY_TIMEOUT_MS = 10_000;

export type UpstreamAuthFailure =
  | 'discovery_failed'
  | 'no_pkce'
  | 'registration_failed'
  | 'flow_expired'
  | 'flow_mismatch'
  | 'denied'
  | 'authorization_failed'
  | 'token_failed'
  | 'invalid_grant';

export class UpstreamAuthError extends Error {
  override readonly name = 'UpstreamAuthError';
  constructor(
    readonly failure: UpstreamAuthFailure,
    options?: { cause?: unknown },
  ) {
    super(`upstream authorization: ${failure}`, options);
  }
}

/** Fixed sentences for people; `{name}` is the upstream's display name. */
export const UPSTREAM_AUTH_MESSAGES: Record<UpstreamAuthFailure, string> = {
  discovery_failed: '{name} did not say how to sign in to it (its OAuth metadata could not be read).',
  no_pkce: '{name} does not support PKCE (S256), which Gatehouse requires to sign in safely.',
  registration_failed: 'Gatehouse could not register itself with {name}.',
  flow_expired: 'That sign-in link has expired or was already used. Please connect again.',
  flow_mismatch: 'That sign-in was started in another browser session. Please connect again.',
  denied: 'Access was not granted at {name}.',
  authorization_failed: '{name} sent back an answer that could not be verified.',
  token_failed: '{name} did not issue a token.',
  invalid_grant: 'Your sign-in at {name} has ended. Please reconnect.',
};

export function upstreamAuthMessage(failure: UpstreamAuthFailure, upstream: Upstream): string {
  return UPSTREAM_AUTH_MESSAGES[failure].replaceAll('{name}', upstream.name);
}

export interface OAuthClientEnv {
  readonly db: D1Database;
  readonly vault: Vault;
  readonly fetch: typeof fetch;
  readonly now: number;
  /** Gatehouse's own public origin (our redirect URI and client ID metadata document live there). */
  readonly origin: string;
  readonly serviceName: string;
  readonly allowHttpLoopback: boolean;
}

/** What the person's credential for an `oauth` upstream holds (sealed as JSON). */
export interface OAuthCredential {
  readonly t: 'oauth';
  readonly access_token: string;
  readonly refresh_token?: string | undefined;
  readonly expires_at?: number | undefined;
  readonly scope?: string | undefined;
  readonly as: AuthorizationServerRef;
  readonly client: ClientRef;
}

interface AuthorizationServerRef {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly revocation_endpoint?: string | undefined;
  readonly authorization_response_iss_parameter_supported?: boolean | undefined;
}

interface ClientRef {
  readonly client_id: string;
  readonly auth: 'none' | 'client_secret_basic' | 'client_secret_post';
  /** Where the secret lives: the operator's config, or our sealed registration. Never copied here. */
  readonly secret_from?: 'config' | 'registration' | undefined;
}

interface Flow {
  readonly verifier: string;
  readonly state: string;
  readonly redirect_uri: string;
  readonly resource: string;
  readonly return_to: string;
  readonly as: AuthorizationServerRef;
  readonly client: ClientRef;
}

const CLIENT_BINDING = '#gatehouse-client';

function fetchOptions(env: OAuthClientEnv, url: string) {
  const host = new URL(url).hostname;
  const insecure = env.allowHttpLoopback && isLoopbackHost(host);
  return {
    [oauth.customFetch]: env.fetch,
    ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
    signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
  };
}

/** Every URL we fetch on the way (metadata, endpoints) must be public, or loopback in development. */
function assertFetchable(env: OAuthClientEnv, value: string | undefined): string {
  if (!value) throw new UpstreamAuthError('discovery_failed');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UpstreamAuthError('discovery_failed');
  }
  const host = url.hostname.toLowerCase();
  if (env.allowHttpLoopback && isLoopbackHost(host)) return url.href;
  if (url.protocol !== 'https:' || !isPublicHost(host) || url.username || url.password) {
    throw new UpstreamAuthError('discovery_failed');
  }
  return url.href;
}

interface Discovered {
  readonly as: oauth.AuthorizationServer;
  readonly scopes: readonly string[] | undefined;
}

/**
 * RFC 9728 then RFC 8414. The upstream's unauthenticated answer may name its metadata
 * (`resource_metadata`) and the scope it wants; otherwise the well-known locations are tried, path
 * first, as the MCP authorization spec orders them.
 */
export async function discoverAuthorizationServer(
  env: OAuthClientEnv,
  upstream: Upstream,
): Promise<Discovered> {
  const resource = new URL(upstream.url);
  let challenge: Record<string, string> | undefined;
  try {
    const probe = await env.fetch(upstream.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":0,"method":"ping"}',
      redirect: 'manual',
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    await probe.body?.cancel().catch(() => {});
    challenge =
      probe.status === 401 ? parseBearerChallenge(probe.headers.get('www-authenticate')) : undefined;
  } catch (cause) {
    throw new UpstreamAuthError('discovery_failed', { cause });
  }
  const candidates = [
    challenge?.resource_metadata,
    new URL(
      `/.well-known/oauth-protected-resource${resource.pathname === '/' ? '' : resource.pathname}`,
      resource,
    ).href,
    new URL('/.well-known/oauth-protected-resource', resource).href,
  ].filter((u, i, all): u is string => typeof u === 'string' && all.indexOf(u) === i);
  let server: oauth.ResourceServer | undefined;
  for (const candidate of candidates) {
    try {
      const url = assertFetchable(env, candidate);
      const res = await env.fetch(url, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
      });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => {});
        continue;
      }
      server = await oauth.processResourceDiscoveryResponse(resource, res);
      break;
    } catch {
      // The next location may have it; none at all is discovery_failed below.
    }
  }
  const issuer = server?.authorization_servers?.[0];
  if (!server || !issuer) throw new UpstreamAuthError('discovery_failed');
  const issuerUrl = new URL(assertFetchable(env, issuer));
  let as: oauth.AuthorizationServer | undefined;
  for (const algorithm of ['oauth2', 'oidc'] as const) {
    try {
      const res = await oauth.discoveryRequest(issuerUrl, {
        algorithm,
        ...fetchOptions(env, issuerUrl.href),
      });
      as = await oauth.processDiscoveryResponse(issuerUrl, res);
      break;
    } catch {
      // Try the OpenID Connect location next.
    }
  }
  if (!as) throw new UpstreamAuthError('discovery_failed');
  // MCP requires PKCE; a server that does not advertise S256 is refused rather than guessed at.
  if (!as.code_challenge_methods_supported?.includes('S256')) throw new UpstreamAuthError('no_pkce');
  for (const endpoint of [as.authorization_endpoint, as.token_endpoint]) assertFetchable(env, endpoint);
  const fromChallenge = challenge?.scope?.split(' ').filter(Boolean);
  const scopes =
    upstream.auth.type === 'oauth' && upstream.auth.scopes
      ? upstream.auth.scopes
      : fromChallenge?.length
        ? fromChallenge
        : server.scopes_supported;
  return { as, scopes };
}

export function redirectUri(origin: string): string {
  return `${origin}${CALLBACK_PATH}`;
}

export function clientMetadataUrl(origin: string): string {
  return `${origin}${CLIENT_METADATA_PATH}`;
}

/** The client ID metadata document Gatehouse serves for itself as a client of upstreams. */
export function clientMetadataDocument(origin: string, serviceName: string) {
  return {
    client_id: clientMetadataUrl(origin),
    client_name: serviceName,
    client_uri: origin,
    redirect_uris: [redirectUri(origin)],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'web',
  };
}

/**
 * Which client Gatehouse is at this upstream: the operator's; else our client ID metadata document
 * when the server accepts them and can reach us (our origin is https, or both are on loopback in
 * development); else a dynamic registration, made once per upstream and shared.
 */
async function clientFor(
  env: OAuthClientEnv,
  upstream: Upstream,
  as: oauth.AuthorizationServer,
): Promise<ClientRef> {
  if (upstream.auth.type === 'oauth' && upstream.auth.clientId) {
    return {
      client_id: upstream.auth.clientId,
      auth: upstream.auth.clientSecret ? 'client_secret_basic' : 'none',
      secret_from: upstream.auth.clientSecret ? 'config' : undefined,
    };
  }
  const reachable = env.origin.startsWith('https://') || env.allowHttpLoopback;
  const dynamicOnly = upstream.auth.type === 'oauth' && upstream.auth.registration === 'dynamic';
  if (as.client_id_metadata_document_supported === true && reachable && !dynamicOnly) {
    return { client_id: clientMetadataUrl(env.origin), auth: 'none' };
  }
  const redirect = redirectUri(env.origin);
  const known = await findUpstreamClient(env.db, upstream.id, as.issuer, redirect);
  if (known) {
    return {
      client_id: known.clientId,
      auth: known.tokenEndpointAuthMethod as ClientRef['auth'],
      secret_from: known.clientSecret ? 'registration' : undefined,
    };
  }
  if (!as.registration_endpoint) throw new UpstreamAuthError('registration_failed');
  assertFetchable(env, as.registration_endpoint);
  let registered: oauth.OmitSymbolProperties<oauth.Client>;
  try {
    const res = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: env.serviceName,
        client_uri: env.origin,
        redirect_uris: [redirect],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'web',
      },
      fetchOptions(env, as.registration_endpoint),
    );
    registered = await oauth.processDynamicClientRegistrationResponse(res);
  } catch (cause) {
    throw new UpstreamAuthError('registration_failed', { cause });
  }
  const method =
    typeof registered.token_endpoint_auth_method === 'string'
      ? registered.token_endpoint_auth_method
      : 'none';
  if (method !== 'none' && method !== 'client_secret_basic' && method !== 'client_secret_post') {
    throw new UpstreamAuthError('registration_failed');
  }
  const secret = typeof registered.client_secret === 'string' ? registered.client_secret : null;
  if (method !== 'none' && !secret) throw new UpstreamAuthError('registration_failed');
  const saved = await saveUpstreamClient(
    env.db,
    {
      upstreamId: upstream.id,
      issuer: as.issuer,
      clientId: registered.client_id,
      clientSecret: secret
        ? await seal(env.vault, { userId: CLIENT_BINDING, upstreamId: upstream.id }, secret)
        : null,
      tokenEndpointAuthMethod: method,
      redirectUri: redirect,
    },
    env.now,
  );
  return {
    client_id: saved.clientId,
    auth: saved.tokenEndpointAuthMethod as ClientRef['auth'],
    secret_from: saved.clientSecret ? 'registration' : undefined,
  };
}

async function clientAuthFor(
  env: OAuthClientEnv,
  upstream: Upstream,
  as: AuthorizationServerRef,
  client: ClientRef,
): Promise<oauth.ClientAuth> {
  if (client.auth === 'none') return oauth.None();
  let secret: string | undefined;
  if (client.secret_from === 'config' && upstream.auth.type === 'oauth') secret = upstream.auth.clientSecret;
  if (client.secret_from === 'registration') {
    const reg = await findUpstreamClient(env.db, upstream.id, as.issuer, redirectUri(env.origin));
    if (reg?.clientSecret)
      secret = await open(env.vault, { userId: CLIENT_BINDING, upstreamId: upstream.id }, reg.clientSecret);
  }
  if (!secret) throw new UpstreamAuthError('registration_failed');
  return client.auth === 'client_secret_post'
    ? oauth.ClientSecretPost(secret)
    : oauth.ClientSecretBasic(secret);
}

function toServer(ref: AuthorizationServerRef): oauth.AuthorizationServer {
  return { ...ref };
}

/**
 * Starts connecting `upstream` for the signed-in person: records the flow (single use, bound to this
 * session) and returns the upstream's authorization URL to send the browser to.
 */
export async function beginAuthorization(
  env: OAuthClientEnv,
  upstream: Upstream,
  person: { userId: string; sessionHash: string },
  returnTo: string,
): Promise<string> {
  const { as, scopes } = await discoverAuthorizationServer(env, upstream);
  const client = await clientFor(env, upstream, as);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = newSecret();
  const flow: Flow = {
    verifier,
    state,
    redirect_uri: redirectUri(env.origin),
    resource: upstream.url,
    return_to: returnTo,
    as: {
      issuer: as.issuer,
      token_endpoint: as.token_endpoint!,
      revocation_endpoint: as.revocation_endpoint,
      authorization_response_iss_parameter_supported: as.authorization_response_iss_parameter_supported,
    },
    client,
  };
  const binding = { userId: person.userId, upstreamId: upstream.id };
  await insertAuthorization(
    env.db,
    await sha256Hex(state),
    {
      userId: person.userId,
      sessionHash: person.sessionHash,
      upstreamId: upstream.id,
      flow: await seal(env.vault, binding, JSON.stringify(flow)),
    },
    env.now,
    FLOW_TTL_SECONDS,
  );
  const url = new URL(as.authorization_endpoint!);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', flow.redirect_uri);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  url.searchParams.set('resource', upstream.url);
  if (scopes && scopes.length > 0) url.searchParams.set('scope', scopes.join(' '));
  return url.href;
}

export interface FinishedAuthorization {
  readonly upstreamId: string;
  readonly returnTo: string;
  readonly credential: OAuthCredential;
  readonly accessExpiresAt: number | null;
}

/**
 * Finishes a flow at the callback: spends the state (once), checks it belongs to this person's session,
 * validates the response (state, RFC 9207 `iss`, errors), and redeems the code with the verifier.
 */
export async function finishAuthorization(
  env: OAuthClientEnv,
  catalog: readonly Upstream[],
  person: { userId: string; sessionHash: string },
  callback: URL,
): Promise<FinishedAuthorization> {
  const state = callback.searchParams.get('state');
  if (!state || state.length > 128) throw new UpstreamAuthError('flow_expired');
  const pending = await consumeAuthorization(env.db, await sha256Hex(state), env.now);
  if (!pending) throw new UpstreamAuthError('flow_expired');
  if (pending.userId !== person.userId || pending.sessionHash !== person.sessionHash) {
    throw new UpstreamAuthError('flow_mismatch');
  }
  const upstream = catalog.find((u) => u.id === pending.upstreamId);
  if (!upstream) throw new UpstreamAuthError('flow_expired');
  const flow = JSON.parse(
    await open(env.vault, { userId: person.userId, upstreamId: upstream.id }, pending.flow),
  ) as Flow;
  const as = toServer(flow.as);
  const client: oauth.Client = { client_id: flow.client.client_id };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, callback, flow.state);
  } catch (cause) {
    if (cause instanceof oauth.AuthorizationResponseError) throw new UpstreamAuthError('denied', { cause });
    throw new UpstreamAuthError('authorization_failed', { cause });
  }
  const auth = await clientAuthFor(env, upstream, flow.as, flow.client);
  let tokens: oauth.TokenEndpointResponse;
  try {
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      flow.redirect_uri,
      flow.verifier,
      {
        ...fetchOptions(env, flow.as.token_endpoint),
        additionalParameters: { resource: flow.resource },
      },
    );
    tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
  } catch (cause) {
    throw new UpstreamAuthError('token_failed', { cause });
  }
  const credential = credentialFrom(tokens, flow.as, flow.client, env.now);
  return {
    upstreamId: upstream.id,
    returnTo: flow.return_to,
    credential,
    accessExpiresAt: credential.expires_at ?? null,
  };
}

function credentialFrom(
  tokens: oauth.TokenEndpointResponse,
  as: AuthorizationServerRef,
  client: ClientRef,
  now: number,
  previousRefresh?: string,
): OAuthCredential {
  const expiresIn =
    typeof tokens.expires_in === 'number' && tokens.expires_in > 0 ? tokens.expires_in : undefined;
  return {
    t: 'oauth',
    access_token: tokens.access_token,
    // A server that does not rotate refresh tokens keeps the old one valid (RFC 6749 §6).
    refresh_token: tokens.refresh_token ?? previousRefresh,
    expires_at: expiresIn ? now + expiresIn : undefined,
    scope: tokens.scope,
    as,
    client,
  };
}

/** Refreshes an upstream credential; `invalid_grant` means the person must reconnect. */
export async function refreshCredential(
  env: OAuthClientEnv,
  upstream: Upstream,
  credential: OAuthCredential,
): Promise<OAuthCredential> {
  if (!credential.refresh_token) throw new UpstreamAuthError('invalid_grant');
  const as = toServer(credential.as);
  const client: oauth.Client = { client_id: credential.client.client_id };
  const auth = await clientAuthFor(env, upstream, credential.as, credential.client);
  try {
    const res = await oauth.refreshTokenGrantRequest(as, client, auth, credential.refresh_token, {
      ...fetchOptions(env, credential.as.token_endpoint),
      additionalParameters: { resource: upstream.url },
    });
    const tokens = await oauth.processRefreshTokenResponse(as, client, res);
    return credentialFrom(tokens, credential.as, credential.client, env.now, credential.refresh_token);
  } catch (cause) {
    if (
      cause instanceof oauth.ResponseBodyError &&
      (cause.error === 'invalid_grant' || cause.error === 'invalid_client')
    ) {
      if (cause.error === 'invalid_client' && credential.client.secret_from === 'registration') {
        await deleteUpstreamClient(env.db, upstream.id, credential.as.issuer, redirectUri(env.origin));
      }
      throw new UpstreamAuthError('invalid_grant', { cause });
    }
    throw new UpstreamAuthError('token_failed', { cause });
  }
}

/**
 * Revokes at the upstream (RFC 7009) where it offers revocation: the refresh token, which ends the
 * grant, else the access token. Best effort: a failure is logged by the caller, the credential is
 * deleted here either way.
 */
export async function revokeCredential(
  env: OAuthClientEnv,
  upstream: Upstream,
  credential: OAuthCredential,
): Promise<boolean> {
  const endpoint = credential.as.revocation_endpoint;
  if (!endpoint) return false;
  assertFetchable(env, endpoint);
  const as = toServer(credential.as);
  const client: oauth.Client = { client_id: credential.client.client_id };
  const auth = await clientAuthFor(env, upstream, credential.as, credential.client);
  const token = credential.refresh_token ?? credential.access_token;
  const res = await oauth.revocationRequest(as, client, auth, token, {
    ...fetchOptions(env, endpoint),
    additionalParameters: { token_type_hint: credential.refresh_token ? 'refresh_token' : 'access_token' },
  });
  await oauth.processRevocationResponse(res);
  return true;
}
