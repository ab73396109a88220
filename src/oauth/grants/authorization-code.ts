import { z } from 'zod';
import type { AppContext } from '../../http/context';
import { nowSeconds } from '../../http/context';
import { OAuthError } from '../../http/errors';
import { newSecret, sha256Hex } from '../../tokens/secrets';
import type { OAuthClient } from '../clients';
import { revokeGrant } from '../grant-store';
import { verifierMatches } from '../pkce';
import { issueTokens, type TokenResponse } from '../token-response';

/** RFC 6749 §4.1.3 request, with PKCE (RFC 7636 §4.5) mandatory. */
export const authorizationCodeRequestSchema = z.object({
  code: z.string().min(1).max(256),
  code_verifier: z.string().min(1).max(256),
  redirect_uri: z.string().min(1).max(2000),
});

interface CodeRow {
  grant_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string;
  expires_at: number;
  consumed_at: number | null;
}

function invalidGrant(): OAuthError {
  return new OAuthError('invalid_grant', 'The authorization code is invalid, expired or already used.');
}

/**
 * Redeems an authorization code. Every binding is checked before the code is spent — client, redirect
 * URI, PKCE verifier, expiry — so a forged request cannot burn someone else's code
 * (workers-oauth-provider#225). Spending is ONE conditional UPDATE, so of any number of concurrent
 * redemptions exactly one wins. A code presented again after it was spent is a replay: the request
 * fails and, when the replaying client is the one the code was issued to, the whole grant is revoked
 * with every token issued from it (RFC 6749 §10.5).
 */
export async function redeemAuthorizationCode(
  c: AppContext,
  client: OAuthClient,
  input: z.infer<typeof authorizationCodeRequestSchema>,
): Promise<TokenResponse> {
  const db = c.env.DB;
  const now = nowSeconds(c);
  const codeHash = await sha256Hex(input.code);
  const row = await db
    .prepare(
      `SELECT grant_id, client_id, user_id, redirect_uri, code_challenge, scope, expires_at, consumed_at
       FROM oauth_authorization_codes WHERE code_hash = ?`,
    )
    .bind(codeHash)
    .first<CodeRow>();
  if (!row) throw invalidGrant();
  // Only the client the code was issued to can have leaked it through its own redirect: anyone else
  // replaying a spent code (another client_id, any redirect URI or verifier) is refused and changes
  // nothing, or a stranger holding the code could end the victim's grant at will.
  const revokeOnReplay = async () => {
    if (row.client_id !== client.clientId) return;
    await revokeGrant(db, c.env.CACHE, row.grant_id, {
      now,
      accessTokenTtlSeconds: c.var.config.accessTokenTtlSeconds,
    });
  };
  if (row.consumed_at !== null) {
    await revokeOnReplay();
    throw invalidGrant();
  }
  if (
    row.client_id !== client.clientId ||
    row.expires_at <= now ||
    row.redirect_uri !== input.redirect_uri ||
    !(await verifierMatches(input.code_verifier, row.code_challenge))
  ) {
    throw invalidGrant();
  }
  // Spending the code and storing its refresh token are one batch, guarded on this request's nonce:
  // of any number of concurrent redemptions exactly one wins, and a failure between the two steps
  // leaves the code unspent and redeemable again.
  const nonce = newSecret();
  const issued = await issueTokens(
    c,
    {
      grantId: row.grant_id,
      userId: row.user_id,
      clientId: row.client_id,
      grantedScope: row.scope,
      accessScope: row.scope,
      parentHash: null,
    },
    async () => ({
      statement: db
        .prepare(
          `UPDATE oauth_authorization_codes SET consumed_at = ?, redeemed_by = ?
           WHERE code_hash = ? AND consumed_at IS NULL
             AND grant_id IN (SELECT id FROM oauth_grants WHERE revoked_at IS NULL)`,
        )
        .bind(now, nonce, codeHash),
      guard: {
        sql: 'EXISTS (SELECT 1 FROM oauth_authorization_codes WHERE code_hash = ? AND redeemed_by = ?)',
        args: [codeHash, nonce],
      },
    }),
  );
  if (issued.outcome === 'not_spent') {
    // Another request spent it between our read and this write: that is a replay too.
    await revokeOnReplay();
    throw invalidGrant();
  }
  if (issued.outcome !== 'issued') throw invalidGrant();
  return issued.tokens;
}
