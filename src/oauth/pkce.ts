import { sha256Base64url, timingSafeEqual } from '../tokens/secrets';

/**
 * PKCE (RFC 7636) with S256 only, for every client: `plain` and a missing method are refused
 * (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1), because RFC 7636 §4.3 makes a missing method mean `plain`.
 */

/** base64url(SHA-256(verifier)) is always 43 characters. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43–128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export type PkceProblem = 'missing_challenge' | 'unsupported_method' | 'malformed_challenge';

/** Returns the reason an authorization request's PKCE parameters are unacceptable, or undefined. */
export function pkceRequestProblem(
  challenge: string | undefined,
  method: string | undefined,
): PkceProblem | undefined {
  if (challenge === undefined) return 'missing_challenge';
  if (method !== 'S256') return 'unsupported_method';
  if (!CHALLENGE.test(challenge)) return 'malformed_challenge';
  return undefined;
}

export function isWellFormedVerifier(verifier: string | undefined): verifier is string {
  return verifier !== undefined && VERIFIER.test(verifier);
}

/** Timing-safe S256 check against the stored challenge (RFC 7636 §4.6). */
export async function verifierMatches(verifier: string, storedChallenge: string): Promise<boolean> {
  if (!isWellFormedVerifier(verifier) || !CHALLENGE.test(storedChallenge)) return false;
  return timingSafeEqual(await sha256Base64url(verifier), storedChallenge);
}
