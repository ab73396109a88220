import { completeGithub, startGithub } from './github-client';
import type { ExternalIdentity, ProviderIo } from './oauth-support';
import { type CallbackCheck, completeOidc, type StartedAuthorization, startOidc } from './oidc-client';
import type { AuthProvider } from './provider-config';

/** The one seam between the routes and each provider type. */
export function startAuthorization(
  provider: AuthProvider,
  redirectUri: string,
  io: ProviderIo,
): Promise<StartedAuthorization> {
  return provider.type === 'github'
    ? startGithub(provider, redirectUri)
    : startOidc(provider, redirectUri, io);
}

export function completeAuthorization(
  provider: AuthProvider,
  redirectUri: string,
  callback: URL,
  expected: CallbackCheck,
  io: ProviderIo,
): Promise<ExternalIdentity> {
  return provider.type === 'github'
    ? completeGithub(provider, redirectUri, callback, expected, io)
    : completeOidc(provider, redirectUri, callback, expected, io);
}
