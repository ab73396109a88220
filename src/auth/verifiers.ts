import { oauthAccessTokenVerifier } from './oauth-token-verifier';
import type { TokenVerifier } from './token-verifier';

/**
 * Every kind of Bearer token the resource surfaces accept, tried in order by `accepts`. Personal
 * access tokens (`tskdp_…`) are not accepted yet; their verifier joins this list and needs no change
 * anywhere else.
 */
export const BEARER_VERIFIERS: readonly TokenVerifier[] = [oauthAccessTokenVerifier];
