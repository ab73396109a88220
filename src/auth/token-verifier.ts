import type { Config } from '../config';
import type { Env } from '../env';
import type { Principal } from './principal';

/**
 * The seam between `requireBearer` and the kinds of Bearer token Gatehouse accepts. Each kind is one
 * verifier: `accepts` is a cheap shape test (no I/O) that picks the verifier, `verify` does the real
 * checks. OAuth access tokens (JWTs) are verified in `oauth-token-verifier.ts`, personal access
 * tokens (`tskdp_…`) in `pat-verifier.ts`; a new kind is one more verifier in `BEARER_VERIFIERS`
 * (`verifiers.ts`), and nothing else changes.
 */
export interface TokenVerifier {
  /** Shows up in logs; e.g. `oauth`. */
  readonly kind: Principal['kind'];
  /** True when the token has this verifier's shape. Must not do I/O. */
  accepts(token: string): boolean;
  /**
   * Resolves the token to a principal, or throws {@link InvalidTokenError} (answered 401
   * `invalid_token`) or an `AppError` such as `temporarily_unavailable` (storage down: fail closed).
   * It does not check scopes: `requireBearer` does that for every kind alike.
   */
  verify(token: string, ctx: VerifyContext): Promise<Principal>;
}

/** What a verifier may use, from the request that carries the token. */
export interface VerifyContext {
  readonly config: Config;
  readonly env: Env;
  /** Seconds since the epoch, from the injectable clock. */
  readonly now: number;
  /** The issuer our tokens must carry in `iss`. */
  readonly issuer: string;
  /** The resource our tokens must carry in `aud` (`<origin>/mcp`). */
  readonly audience: string;
  /** Runs bookkeeping (e.g. a last-used timestamp) after the response, off the hot path. */
  defer(work: Promise<unknown>): void;
}

/** Why a token was refused: for logs and tests, never for the client (who only sees `invalid_token`). */
export type InvalidTokenReason =
  | 'malformed'
  | 'bad_signature'
  | 'expired'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'invalid_claims'
  | 'revoked'
  | 'unknown';

/** A Bearer token we will not honour (answered 401 `invalid_token`). */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
  constructor(readonly reason: InvalidTokenReason) {
    super(`bearer token rejected: ${reason}`);
  }
}
