import { unavailable } from '../http/errors';
import { SUPPORTED_SCOPES } from '../oauth/scopes';
import { verifyPersonalAccessToken } from '../tokens/pat-store';
import { looksLikePersonalAccessToken } from '../tokens/personal-access-token';
import type { Principal } from './principal';
import { InvalidTokenError, type TokenVerifier, type VerifyContext } from './token-verifier';

/**
 * Personal access tokens (`tskdp_…`). A token with a wrong shape or checksum is refused before any
 * storage access; a warm token costs one KV read; D1 is read on a cache miss and is the truth. A PAT
 * grants full access to its owner's account, so its principal carries every scope. A storage failure
 * answers 503 (fail closed).
 */
export const personalAccessTokenVerifier: TokenVerifier = {
  kind: 'pat',
  accepts(token) {
    return looksLikePersonalAccessToken(token);
  },
  async verify(token: string, ctx: VerifyContext): Promise<Principal> {
    let verified: Awaited<ReturnType<typeof verifyPersonalAccessToken>>;
    try {
      verified = await verifyPersonalAccessToken(ctx.env.DB, ctx.env.CACHE, token, ctx.now, (work) =>
        ctx.defer(work),
      );
    } catch (err) {
      throw unavailable(err);
    }
    if (!verified) throw new InvalidTokenError('unknown');
    return {
      userId: verified.userId,
      clientId: undefined,
      scopes: SUPPORTED_SCOPES,
      kind: 'pat',
      credentialId: verified.id,
    };
  },
};
