import { andGuard, type BatchGuard } from '../accounts/batch-guard';
import type { AppContext } from '../http/context';
import { nowSeconds } from '../http/context';
import { signAccessToken } from '../tokens/access-token';
import { getKeySet } from '../tokens/keys';
import { newSecret, sha256Hex } from '../tokens/secrets';
import { SUPPORTED_SCOPES } from './scopes';
import { issuerOf, mcpResourceOf } from './urls';

/** Refresh tokens live 30 days from their issue; every rotation starts a new 30 days. */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** RFC 6749 §5.1 token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

export interface IssueInput {
  grantId: string;
  userId: string;
  clientId: string;
  /** The refresh token's scope (kept through rotation, RFC 6749 §6). */
  grantedScope: string;
  /** The access token's scope: the granted scope or a narrower one. */
  accessScope: string;
  /** The refresh token this one replaces, for the rotation chain. */
  parentHash: string | null;
}

/**
 * A single-use transition that must happen in the same batch as the token issue (spending an
 * authorization code, rotating a refresh token): `statement` runs first, and `guard` holds only if it
 * did its work for this request. It is built from the tokens about to be issued, so the spend can
 * record what it issued (a rotation seals its successor for replays inside the grace window).
 */
export interface Spend {
  statement: D1PreparedStatement;
  guard: BatchGuard;
}

export type IssueResult =
  | { outcome: 'issued'; tokens: TokenResponse }
  /** The grant was revoked meanwhile. */
  | { outcome: 'grant_revoked' }
  /** The spend statement found nothing to spend (a replay or a lost race). */
  | { outcome: 'not_spent' };

/**
 * Draws a refresh token and signs the access token, then stores the refresh token — only if the grant
 * is still alive at that instant, in the same statement, so a revocation racing this request can never
 * leave a live token behind. With a `spend`, spending and storing are one D1 batch (one transaction):
 * either both happen or neither, so a failure in between can never burn a code without issuing
 * tokens. Tokens of a batch that did not store them are never returned.
 */
export async function issueTokens(
  c: AppContext,
  input: IssueInput,
  spendFor?: (tokens: TokenResponse) => Promise<Spend>,
): Promise<IssueResult> {
  const db = c.env.DB;
  const now = nowSeconds(c);
  const refreshToken = newSecret();
  const ttl = c.var.config.accessTokenTtlSeconds;
  const accessToken = await signAccessToken(await getKeySet(c.var.config), {
    issuer: issuerOf(c),
    audience: mcpResourceOf(c),
    userId: input.userId,
    clientId: input.clientId,
    scope: input.accessScope,
    grantId: input.grantId,
    now,
    ttlSeconds: ttl,
  });
  const tokens: TokenResponse = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ttl,
    refresh_token: refreshToken,
    scope: input.accessScope,
  };
  const spend = spendFor ? await spendFor(tokens) : undefined;
  const g = andGuard(spend?.guard);
  const results = await db.batch([
    ...(spend ? [spend.statement] : []),
    db
      .prepare(
        `INSERT INTO oauth_refresh_tokens (token_hash, grant_id, client_id, user_id, scope, parent_hash, created_at, expires_at)
         SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM oauth_grants WHERE id = ? AND revoked_at IS NULL)${g.sql}`,
      )
      .bind(
        await sha256Hex(refreshToken),
        input.grantId,
        input.clientId,
        input.userId,
        input.grantedScope,
        input.parentHash,
        now,
        now + REFRESH_TOKEN_TTL_SECONDS,
        input.grantId,
        ...g.args,
      ),
    db
      .prepare(
        `UPDATE oauth_grants SET first_used_at = COALESCE(first_used_at, ?), last_used_at = ? WHERE id = ? AND revoked_at IS NULL${g.sql}`,
      )
      .bind(now, now, input.grantId, ...g.args),
  ]);
  if (spend && (results[0]?.meta.changes ?? 0) !== 1) return { outcome: 'not_spent' };
  const inserted = results[spend ? 1 : 0];
  if ((inserted?.meta.changes ?? 0) !== 1) return { outcome: 'grant_revoked' };
  return { outcome: 'issued', tokens };
}

/** Orders a scope list as we publish it, dropping duplicates. */
export function canonicalScope(scopes: Iterable<string>): string {
  const set = new Set(scopes);
  return SUPPORTED_SCOPES.filter((s) => set.has(s)).join(' ');
}
