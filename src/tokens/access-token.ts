import { errors, jwtVerify, SignJWT } from 'jose';
import type { KeySet } from './keys';
import { newId } from './secrets';

/**
 * OAuth access tokens are JWTs per RFC 9068 (`typ: at+jwt`), verified without any storage read.
 * Claims: iss, sub (user id), aud (the protected resource), client_id, scope, gid (grant id), jti, iat, exp.
 * @see https://www.rfc-editor.org/rfc/rfc9068
 */
export interface AccessTokenInput {
  issuer: string;
  audience: string;
  userId: string;
  clientId: string;
  scope: string;
  grantId: string;
  /** Seconds since the epoch. */
  now: number;
  ttlSeconds: number;
}

export interface VerifiedAccessToken {
  userId: string;
  clientId: string;
  scopes: string[];
  grantId: string;
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

export type AccessTokenErrorCode =
  | 'malformed'
  | 'bad_signature'
  | 'expired'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'invalid_claims';

export class AccessTokenError extends Error {
  override readonly name = 'AccessTokenError';
  constructor(readonly code: AccessTokenErrorCode) {
    super(`access token rejected: ${code}`);
  }
}

export async function signAccessToken(keys: KeySet, input: AccessTokenInput): Promise<string> {
  return new SignJWT({ client_id: input.clientId, scope: input.scope, gid: input.grantId })
    .setProtectedHeader({ alg: keys.signer.alg, kid: keys.signer.kid, typ: 'at+jwt' })
    .setIssuer(input.issuer)
    .setSubject(input.userId)
    .setAudience(input.audience)
    .setIssuedAt(input.now)
    .setExpirationTime(input.now + input.ttlSeconds)
    .setJti(newId())
    .sign(keys.signer.key);
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies signature (only algorithms we issue, key chosen by `kid`), `typ`, `iss`, `aud` and `exp`
 * against `now`. It does not check revocation or scopes: callers do that next.
 */
export async function verifyAccessToken(
  keys: KeySet,
  token: string,
  expected: { issuer: string; audience: string; now: number },
): Promise<VerifiedAccessToken> {
  if (token.length > 4096 || !JWT_SHAPE.test(token)) throw new AccessTokenError('malformed');
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const k = header.kid ? keys.verifiers.get(header.kid) : undefined;
        if (!k || k.alg !== header.alg) throw new AccessTokenError('bad_signature');
        return k.key;
      },
      {
        algorithms: ['ES256', 'EdDSA'],
        issuer: expected.issuer,
        audience: expected.audience,
        typ: 'at+jwt',
        currentDate: new Date(expected.now * 1000),
        clockTolerance: 0,
        requiredClaims: ['sub', 'client_id', 'scope', 'gid', 'jti', 'iat', 'exp'],
      },
    );
    const { sub, client_id, scope, gid, jti, iat, exp } = payload;
    if (
      typeof sub !== 'string' ||
      typeof client_id !== 'string' ||
      typeof scope !== 'string' ||
      typeof gid !== 'string' ||
      typeof jti !== 'string' ||
      typeof iat !== 'number' ||
      typeof exp !== 'number'
    ) {
      throw new AccessTokenError('invalid_claims');
    }
    return {
      userId: sub,
      clientId: client_id,
      scopes: scope.split(' ').filter(Boolean),
      grantId: gid,
      jti,
      issuedAt: iat,
      expiresAt: exp,
    };
  } catch (err) {
    if (err instanceof AccessTokenError) throw err;
    if (err instanceof errors.JWTExpired) throw new AccessTokenError('expired');
    if (err instanceof errors.JWTClaimValidationFailed) {
      if (err.claim === 'iss') throw new AccessTokenError('wrong_issuer');
      if (err.claim === 'aud') throw new AccessTokenError('wrong_audience');
      throw new AccessTokenError('invalid_claims');
    }
    if (err instanceof errors.JWSSignatureVerificationFailed) throw new AccessTokenError('bad_signature');
    if (err instanceof errors.JOSEError) throw new AccessTokenError('malformed');
    throw err;
  }
}
