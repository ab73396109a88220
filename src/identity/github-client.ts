import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { normalizeEmail } from '../accounts/users';
import { readTextLimited } from '../http/body';
import { IdentityError } from './errors';
import {
  classifyProviderError,
  clockSkewSeconds,
  type ExternalIdentity,
  httpOptions,
  type ProviderIo,
  providerFetch,
} from './oauth-support';
import type { CallbackCheck, StartedAuthorization } from './oidc-client';
import type { GithubProvider } from './provider-config';

/**
 * GitHub sign-in: OAuth 2.0 authorization code with PKCE S256 and `state` (GitHub has no ID token),
 * then its REST API for the numeric user id and the primary email, counted as verified only when
 * GitHub says so.
 *
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * @see https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user
 */

const GITHUB: oauth.AuthorizationServer = {
  issuer: 'https://github.com/login/oauth',
  authorization_endpoint: 'https://github.com/login/oauth/authorize',
  token_endpoint: 'https://github.com/login/oauth/access_token',
};
const API = 'https://api.github.com';
const MAX_API_BODY = 256 * 1024;

const userSchema = z.object({ id: z.number().int().positive() });
const emailsSchema = z
  .array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }))
  .max(100);

export async function startGithub(
  provider: GithubProvider,
  redirectUri: string,
): Promise<StartedAuthorization> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(GITHUB.authorization_endpoint!);
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', 'read:user user:email');
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('allow_signup', 'true');
  return { url: url.href, state, nonce: '', codeVerifier };
}

async function api(path: string, accessToken: string, io: ProviderIo): Promise<unknown> {
  const response = await providerFetch(io, `${API}${path}`, {
    headers: {
      Authorization: `Bearer ${accessToken}`,
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'Gatehouse',
    },
  });
  if (response.status >= 500) throw new IdentityError('provider_unavailable');
  if (!response.ok) throw new IdentityError('provider_error');
  try {
    return JSON.parse(await readTextLimited(response, MAX_API_BODY));
  } catch {
    throw new IdentityError('invalid_response');
  }
}

export async function completeGithub(
  provider: GithubProvider,
  redirectUri: string,
  callback: URL,
  expected: CallbackCheck,
  io: ProviderIo,
): Promise<ExternalIdentity> {
  const client: oauth.Client = { client_id: provider.clientId, [oauth.clockSkew]: clockSkewSeconds(io) };
  try {
    const params = oauth.validateAuthResponse(GITHUB, client, callback, expected.state);
    const response = await oauth.authorizationCodeGrantRequest(
      GITHUB,
      client,
      oauth.ClientSecretPost(provider.clientSecret),
      params,
      redirectUri,
      expected.codeVerifier,
      httpOptions(io),
    );
    const token = await oauth.processAuthorizationCodeResponse(GITHUB, client, response);
    const user = userSchema.safeParse(await api('/user', token.access_token, io));
    const emails = emailsSchema.safeParse(await api('/user/emails', token.access_token, io));
    if (!user.success || !emails.success) throw new IdentityError('invalid_response');
    const primary = emails.data.find((e) => e.primary);
    const email = primary ? normalizeEmail(primary.email) : undefined;
    return {
      subject: String(user.data.id),
      email,
      emailVerified: email !== undefined && primary?.verified === true,
      tenantId: undefined,
    };
  } catch (err) {
    throw classifyProviderError(err);
  }
}
