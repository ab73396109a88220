import { oauthAccessTokenVerifier } from './oauth-token-verifier';
import { personalAccessTokenVerifier } from './pat-verifier';
import type { TokenVerifier } from './token-verifier';

/**
 * Every kind of Bearer token the resource surfaces accept, tried in order by `accepts`: personal
 * access tokens (`tskdp_…`) and OAuth access tokens (JWTs). The shapes never overlap.
 */
export const BEARER_VERIFIERS: readonly TokenVerifier[] = [
  personalAccessTokenVerifier,
  oauthAccessTokenVerifier,
];
