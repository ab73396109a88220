import { z } from 'zod';
import type { AppContext } from '../../http/context';
import { nowSeconds } from '../../http/context';
import { OAuthError } from '../../http/errors';
import { openWith, sealWith } from '../../tokens/sealed-successor';
import { newSecret, sha256Hex } from '../../tokens/secrets';
import type { OAuthClient } from '../clients';
import { revokeGrant } from '../grant-store';
import { isScope } from '../scopes';
import { canonicalScope, issueTokens, type TokenResponse } from '../token-response';

/** RFC 6749 §6 request. */
export const refreshTokenRequestSchema = z.object({
  refresh_token: z.string().min(1).max(256),
  scope: z.string().max(1000).optional(),
});

interface RefreshRow {
  grant_id: string;
  client_id: string;
  user_id: string;
  scope: string;
  expires_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
  successor_sealed: string | null;
  grant_revoked_at: number | null;
}

function invalidGrant(): OAuthError {
  return new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
}

/**
 * The access token's scope: the refresh token's own, or a subset of it (RFC 6749 §6: "MUST NOT
 * include any scope not originally granted"). Unknown scope names are ignored, as at /authorize.
 */
export function narrowScope(granted: string, requested: string | undefined): string {
  const asked = (requested ?? '').split(' ').filter(isScope);
  if (asked.length === 0) return granted;
  const have = new Set(granted.split(' '));
  if (!asked.every((s) => have.has(s))) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds the scope granted.');
  }
  return canonicalScope(asked);
}

/** What a rotation seals for its grace window: the exact response it gave. */
interface Successor {
  access_token: string;
  refresh_token: string;
  scope: string;
  /** When the access token expires (seconds), so a replay's `expires_in` is what is left of it. */
  expires_at: number;
}

/**
 * Rotates a refresh token (OAuth 2.1 §4.3.1: public clients' refresh tokens MUST rotate).
 *
 * Marking the token used and storing its successor is ONE guarded batch, so of parallel claims exactly
 * one wins. Clients such as Claude refresh in parallel, from several machines (fastmcp#4264), so a
 * token rotated less than `refreshGraceSeconds` ago is answered with the SAME successor, never a new
 * one: every parallel caller ends up holding the one live token, and a replayed token cannot fork the
 * chain into copies that outlive the real client's rotation (RFC 9700 §4.14.2). Only hashes of refresh
 * tokens are stored, so the rotation seals its response with a key derived from the token it replaces
 * (`successor_sealed`): only a holder of that token can open it. A token used again after the grace
 * window is treated as stolen: the whole grant is revoked, with every token in its chain.
 */
export async function rotateRefreshToken(
  c: AppContext,
  client: OAuthClient,
  input: z.infer<typeof refreshTokenRequestSchema>,
): Promise<TokenResponse> {
  const db = c.env.DB;
  const now = nowSeconds(c);
  const tokenHash = await sha256Hex(input.refresh_token);
  const row = await db
    .prepare(
      `SELECT r.grant_id, r.client_id, r.user_id, r.scope, r.expires_at, r.rotated_at, r.revoked_at,
              r.successor_sealed, g.revoked_at AS grant_revoked_at
       FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id
       WHERE r.token_hash = ?`,
    )
    .bind(tokenHash)
    .first<RefreshRow>();
  if (!row || row.client_id !== client.clientId) throw invalidGrant();
  if (row.revoked_at !== null || row.grant_revoked_at !== null || row.expires_at <= now) throw invalidGrant();
  const accessScope = narrowScope(row.scope, input.scope);

  let rotatedAt = row.rotated_at;
  let sealed = row.successor_sealed;
  if (rotatedAt === null) {
    // The usual case: claim the token and store its successor in ONE guarded batch, so of parallel
    // claims exactly one wins, and a fault between the two steps rolls both back.
    const nonce = newSecret();
    const claimed = await issueTokens(
      c,
      {
        grantId: row.grant_id,
        userId: row.user_id,
        clientId: row.client_id,
        grantedScope: row.scope,
        accessScope,
        parentHash: tokenHash,
      },
      async (tokens) => {
        const successor: Successor = {
          access_token: tokens.access_token,
          refresh_token: tokens.refresh_token,
          scope: tokens.scope,
          expires_at: now + tokens.expires_in,
        };
        return {
          statement: db
            .prepare(
              `UPDATE oauth_refresh_tokens SET rotated_at = ?, rotated_by = ?, successor_sealed = ?
               WHERE token_hash = ? AND rotated_at IS NULL AND revoked_at IS NULL`,
            )
            .bind(now, nonce, await sealWith(input.refresh_token, JSON.stringify(successor)), tokenHash),
          guard: {
            sql: 'EXISTS (SELECT 1 FROM oauth_refresh_tokens WHERE token_hash = ? AND rotated_by = ?)',
            args: [tokenHash, nonce],
          },
        };
      },
    );
    if (claimed.outcome === 'issued') return claimed.tokens;
    if (claimed.outcome === 'grant_revoked') throw invalidGrant();
    // A parallel request rotated it first; read when and to what, and fall through to the grace rule.
    const latest = await db
      .prepare(
        `SELECT r.rotated_at, r.successor_sealed FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id
         WHERE r.token_hash = ? AND r.revoked_at IS NULL AND g.revoked_at IS NULL`,
      )
      .bind(tokenHash)
      .first<{ rotated_at: number | null; successor_sealed: string | null }>();
    if (!latest || latest.rotated_at === null) throw invalidGrant();
    rotatedAt = latest.rotated_at;
    sealed = latest.successor_sealed;
  }
  if (now - rotatedAt > c.var.config.refreshGraceSeconds) {
    await revokeGrant(db, c.env.CACHE, row.grant_id, {
      now,
      accessTokenTtlSeconds: c.var.config.accessTokenTtlSeconds,
    });
    throw invalidGrant();
  }
  // Inside the grace window: the same successor again, or nothing (a row rotated before successors
  // were sealed has none to give, and is refused without revoking).
  const opened = sealed === null ? null : await openWith(input.refresh_token, sealed);
  if (opened === null) throw invalidGrant();
  const successor = JSON.parse(opened) as Successor;
  return {
    access_token: successor.access_token,
    token_type: 'Bearer',
    expires_in: Math.max(0, successor.expires_at - now),
    refresh_token: successor.refresh_token,
    scope: successor.scope,
  };
}
