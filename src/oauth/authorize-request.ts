import type { AppContext } from '../http/context';
import { AppError, type OAuthErrorCode } from '../http/errors';
import {
  CIMD_FAILURE_MESSAGES,
  CimdError,
  isMetadataDocumentClientId,
  resolveMetadataDocumentClient,
} from './client-metadata-document';
import { findClient, type OAuthClient } from './clients';
import { pkceRequestProblem } from './pkce';
import { redirectUriMatches } from './redirect-uri';
import { isOurResource } from './resource-indicator';
import { resolveRequestedScopes, type Scope } from './scopes';
import { mcpResourceOf } from './urls';

/**
 * Validation of `GET /oauth2/authorize` in two phases (RFC 6749 §4.1.2.1):
 * 1. `client_id` and `redirect_uri` — until both are known good, nothing may be redirected, so every
 *    failure is an error page (an attacker must not turn us into an open redirector);
 * 2. everything else — failures go back to the now-trusted redirect URI with `error`, `state` and
 *    `iss` (RFC 9207).
 * The same validation runs again when the consent form comes back, so nothing in the form is trusted.
 */

export interface TrustedTarget {
  client: OAuthClient;
  redirectUri: string;
  state: string | undefined;
}

export interface AuthorizationRequest extends TrustedTarget {
  scopes: Scope[];
  scope: string;
  codeChallenge: string;
  /** The canonical resource the tokens are for (RFC 8707); always our MCP URL. */
  resource: string;
}

/** A phase-2 failure: sent to the client's redirect URI. */
export class AuthorizationRedirectError extends Error {
  override readonly name = 'AuthorizationRedirectError';
  constructor(
    readonly code: OAuthErrorCode,
    description: string,
    readonly target: TrustedTarget,
  ) {
    super(description);
  }
}

function pageError(message: string): AppError {
  return new AppError('bad_request', message);
}

const MAX_QUERY_LENGTH = 8192;

function single(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length !== 1) return undefined;
  return all[0] === '' ? undefined : all[0];
}

/** Phase 1: the client and the redirect URI. Throws an {@link AppError} rendered as a page. */
export async function resolveTarget(c: AppContext, params: URLSearchParams): Promise<TrustedTarget> {
  if (params.toString().length > MAX_QUERY_LENGTH) throw pageError('This authorization request is too long.');
  if (params.getAll('client_id').length > 1 || params.getAll('redirect_uri').length > 1) {
    throw pageError('This authorization request repeats client_id or redirect_uri.');
  }
  const clientId = single(params, 'client_id');
  if (!clientId) throw pageError('This authorization request does not say which application is asking.');
  let client: OAuthClient | null;
  if (isMetadataDocumentClientId(clientId)) {
    try {
      client = await resolveMetadataDocumentClient(
        c.var.deps,
        c.env.DB,
        c.env.CACHE,
        clientId,
        c.var.config.cimdAllowHttpLoopback,
      );
    } catch (err) {
      if (err instanceof CimdError) throw pageError(CIMD_FAILURE_MESSAGES[err.failure]);
      throw err;
    }
  } else {
    client = await findClient(c.env.DB, clientId);
  }
  if (!client) {
    throw pageError(
      'The application asking for access is not registered here. Ask it to connect again from the start.',
    );
  }
  const redirectUri = single(params, 'redirect_uri');
  if (!redirectUri) throw pageError('This authorization request has no redirect_uri.');
  if (!redirectUriMatches(client.redirectUris, redirectUri)) {
    throw pageError('The redirect address in this request is not registered for this application.');
  }
  return { client, redirectUri, state: single(params, 'state') };
}

/** Phase 2: everything after the redirect URI is trusted. Throws {@link AuthorizationRedirectError}. */
export function validateAuthorizationParams(
  c: AppContext,
  target: TrustedTarget,
  params: URLSearchParams,
): AuthorizationRequest {
  const fail = (code: OAuthErrorCode, description: string) =>
    new AuthorizationRedirectError(code, description, target);
  // RFC 6749 §3.1: parameters MUST NOT repeat; RFC 8707 lets `resource` repeat, checked below.
  const keys = [...params.keys()].filter((k) => k !== 'resource');
  if (new Set(keys).size !== keys.length)
    throw fail('invalid_request', 'A parameter was sent more than once.');
  const responseType = single(params, 'response_type');
  if (!responseType) throw fail('invalid_request', 'response_type is required.');
  if (responseType !== 'code')
    throw fail('unsupported_response_type', 'Only response_type=code is supported.');
  if (!target.client.grantTypes.includes('authorization_code')) {
    throw fail('unauthorized_client', 'This client may not use the authorization code grant.');
  }
  const challenge = single(params, 'code_challenge');
  const problem = pkceRequestProblem(challenge, single(params, 'code_challenge_method'));
  if (problem === 'missing_challenge') throw fail('invalid_request', 'PKCE code_challenge is required.');
  if (problem === 'unsupported_method') throw fail('invalid_request', 'code_challenge_method must be S256.');
  if (problem) throw fail('invalid_request', 'code_challenge is malformed.');
  const mcpResource = mcpResourceOf(c);
  const resources = params.getAll('resource');
  if (!resources.every((r) => isOurResource(r, mcpResource))) {
    throw fail('invalid_target', 'The requested resource is not served by this authorization server.');
  }
  const scopes = resolveRequestedScopes(single(params, 'scope'));
  return {
    ...target,
    scopes,
    scope: scopes.join(' '),
    codeChallenge: challenge!,
    resource: mcpResource,
  };
}
