import { unavailable } from '../http/errors';
import { IsolateCache } from '../isolate-cache';
import { AccessTokenError, verifyAccessToken } from '../tokens/access-token';
import { getKeySet, type KeySet } from '../tokens/keys';
import { looksLikePersonalAccessToken } from '../tokens/personal-access-token';
import { isGrantRevoked } from '../tokens/revocation';
import type { Principal } from './principal';
import { InvalidTokenError, type TokenVerifier, type VerifyContext } from './token-verifier';

type Verified = Awaited<ReturnType<typeof verifyAccessToken>>;

/**
 * Access tokens whose signature and claims already verified, keyed by issuer, audience and the exact
 * token string, each kept until the token's own `exp`. A JWT is immutable, so its signature is checked
 * once per isolate instead of on every request; what can change (the clock, the revocation marker) is
 * still checked on every request. One memo per key set: replacing SIGNING_KEYS gives a new config, a
 * new key set and an empty memo, so a rotated-out key's tokens are never served from it.
 */
const memos = new WeakMap<KeySet, IsolateCache<string, Verified>>();

function memoFor(keys: KeySet): IsolateCache<string, Verified> {
  let memo = memos.get(keys);
  if (!memo) {
    memo = new IsolateCache<string, Verified>({ maxEntries: 2000 });
    memos.set(keys, memo);
  }
  return memo;
}

/**
 * OAuth access tokens (RFC 9068 JWTs) issued by our own authorization server.
 *
 * Checks the signature (keys imported once per isolate), `typ`, `iss`, `aud`, `exp` and the claims,
 * then reads the grant's revocation marker from KV — the only storage read on the hot path; there is
 * no D1 query. A KV failure answers 503 (fail closed), never lets the token through.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (audience-restricted tokens)
 */
export const oauthAccessTokenVerifier: TokenVerifier = {
  kind: 'oauth',
  accepts(token) {
    return !looksLikePersonalAccessToken(token) && token.split('.').length === 3;
  },
  async verify(token: string, ctx: VerifyContext): Promise<Principal> {
    const keys = await getKeySet(ctx.config);
    const memo = memoFor(keys);
    const memoKey = `${ctx.issuer} ${ctx.audience} ${token}`;
    let verified = memo.get(memoKey, ctx.now);
    if (!verified) {
      try {
        verified = await verifyAccessToken(keys, token, {
          issuer: ctx.issuer,
          audience: ctx.audience,
          now: ctx.now,
        });
      } catch (err) {
        if (err instanceof AccessTokenError) throw new InvalidTokenError(err.code);
        throw err;
      }
      memo.set(memoKey, verified, verified.expiresAt);
    }
    let revoked: boolean;
    try {
      revoked = await isGrantRevoked(ctx.env.CACHE, verified.grantId, ctx.now);
    } catch (err) {
      throw unavailable(err);
    }
    if (revoked) throw new InvalidTokenError('revoked');
    return {
      userId: verified.userId,
      clientId: verified.clientId,
      scopes: verified.scopes,
      kind: 'oauth',
      credentialId: verified.grantId,
    };
  },
};
