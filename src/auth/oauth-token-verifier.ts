import { unavailable } from '../http/errors';
import { AccessTokenError, verifyAccessToken } from '../tokens/access-token';
import { getKeySet, type KeySet } from '../tokens/keys';
import { looksLikePersonalAccessToken } from '../tokens/personal-access-token';
import { isGrantRevoked } from '../tokens/revocation';
import { VerifiedTokenCache } from '../tokens/verified-cache';
import type { Principal } from './principal';
import { InvalidTokenError, type TokenVerifier, type VerifyContext } from './token-verifier';

/**
 * OAuth access tokens (RFC 9068 JWTs) issued by our own authorization server.
 *
 * Checks the signature (keys imported once per isolate), `typ`, `iss`, `aud`, `exp` and the claims,
 * then reads the grant's revocation marker from KV — the only storage read on the hot path; there is
 * no D1 query. A KV failure answers 503 (fail closed), never lets the token through.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (audience-restricted tokens)
 */
type Verified = Awaited<ReturnType<typeof verifyAccessToken>>;

/** One memo per key set: replacing SIGNING_KEYS gives a new config, a new key set and an empty memo. */
const memos = new WeakMap<KeySet, VerifiedTokenCache<Verified>>();

function memoFor(keys: KeySet): VerifiedTokenCache<Verified> {
  let memo = memos.get(keys);
  if (!memo) {
    memo = new VerifiedTokenCache<Verified>();
    memos.set(keys, memo);
  }
  return memo;
}

export const oauthAccessTokenVerifier: TokenVerifier = {
  kind: 'oauth',
  accepts(token) {
    return !looksLikePersonalAccessToken(token) && token.split('.').length === 3;
  },
  async verify(token: string, ctx: VerifyContext): Promise<Principal> {
    const keys = await getKeySet(ctx.config);
    // The signature is checked once per isolate per token; expiry is re-checked against the clock.
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
      memo.set(memoKey, verified);
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
