import * as oauth from 'oauth4webapi';
import { IdentityError } from './errors';

/** What Gatehouse learns from a provider about the person signing in. */
export interface ExternalIdentity {
  /** The provider's stable id for the person (the `sub` claim, GitHub's numeric id). */
  subject: string;
  /** Normalised address the provider gave, if any. */
  email: string | undefined;
  /** True only when the provider asserts it verified `email`. */
  emailVerified: boolean;
  /** Entra: the tenant (`tid`) the person signed in from. */
  tenantId: string | undefined;
}

/** What a provider client needs from the request: outbound fetch, the clock, the loopback rule. */
export interface ProviderIo {
  fetch: typeof fetch;
  nowMs: number;
  allowHttpLoopback: boolean;
}

/** Outbound calls to a provider give up after this long; the person sees `provider_unavailable`. */
const PROVIDER_TIMEOUT_MS = 8000;

/** A request to the provider did not get an answer (refused, reset, timed out). */
class ProviderUnreachable extends Error {
  override readonly name = 'ProviderUnreachable';
}

/** `fetch` to a provider, with its transport failures marked so they read as "unavailable". */
export function providerFetch(io: ProviderIo, url: string, init: RequestInit): Promise<Response> {
  return io
    .fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(PROVIDER_TIMEOUT_MS) })
    .catch((err: unknown) => {
      throw new ProviderUnreachable('provider unreachable', { cause: err });
    });
}

/** The transport options every oauth4webapi call gets: our fetch, a timeout, the loopback rule. */
export function httpOptions(io: ProviderIo) {
  return {
    [oauth.customFetch]: (url: string, init: RequestInit) => providerFetch(io, url, init),
    [oauth.allowInsecureRequests]: io.allowHttpLoopback,
    signal: () => AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
  };
}

/** oauth4webapi's clock offset, so validations use the app's (injectable) clock. */
export function clockSkewSeconds(io: ProviderIo): number {
  return Math.round((io.nowMs - Date.now()) / 1000);
}

/**
 * Maps what oauth4webapi (or fetch) threw into our closed set. A provider that answers with the
 * wrong status or no JSON counts as unavailable; anything that fails validation is
 * `invalid_response`. Programmer errors are rethrown as they are.
 */
export function classifyProviderError(err: unknown): IdentityError {
  if (err instanceof IdentityError) return err;
  if (err instanceof oauth.AuthorizationResponseError) {
    return new IdentityError(err.error === 'access_denied' ? 'access_denied' : 'provider_error', {
      cause: err,
    });
  }
  if (err instanceof oauth.ResponseBodyError) return new IdentityError('provider_error', { cause: err });
  if (err instanceof oauth.OperationProcessingError) {
    const unavailable = err.code === oauth.RESPONSE_IS_NOT_CONFORM || err.code === oauth.RESPONSE_IS_NOT_JSON;
    return new IdentityError(unavailable ? 'provider_unavailable' : 'invalid_response', { cause: err });
  }
  if (err instanceof oauth.UnsupportedOperationError || err instanceof oauth.WWWAuthenticateChallengeError) {
    return new IdentityError('invalid_response', { cause: err });
  }
  if (err instanceof ProviderUnreachable) return new IdentityError('provider_unavailable', { cause: err });
  throw err;
}
