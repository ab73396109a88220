import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app';
import {
  authorizedCode,
  authorizePath,
  hiddenValue,
  issuedTokens,
  pkcePair,
  redeem,
  refresh,
  registerClient,
  signedInBrowser,
  type TokenSet,
} from '../oauth/helpers';

/**
 * Races on the authorization server, each run for several rounds because an interleaving that breaks
 * an invariant may not show up every time. Exact expected outcomes; see docs/security.md "Races".
 */
const ROUNDS = 5;
const N = 10;

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: string }).error;
}

describe('race: N parallel redemptions of one authorization code', () => {
  it(`gives exactly one token set and N-1 invalid_grant, ${ROUNDS} rounds`, async () => {
    const app = createTestApp();
    for (let round = 0; round < ROUNDS; round++) {
      const a = await authorizedCode(app);
      const results = await Promise.all(Array.from({ length: N }, () => redeem(app, a)));
      const ok = results.filter((r) => r.status === 200);
      const failed = results.filter((r) => r.status !== 200);
      expect(ok, `round ${round}`).toHaveLength(1);
      expect(failed.map((r) => r.status)).toEqual(Array(N - 1).fill(400));
      for (const r of failed) expect(await errorCode(r)).toBe('invalid_grant');
      const rows = await env.DB.prepare(
        `SELECT (SELECT COUNT(*) FROM oauth_refresh_tokens WHERE user_id = ?1) AS refresh,
                (SELECT COUNT(*) FROM oauth_grants WHERE user_id = ?1) AS grants`,
      )
        .bind(a.userId)
        .first<{ refresh: number; grants: number }>();
      expect(rows).toEqual({ refresh: 1, grants: 1 });
      // Designed (RFC 6749 §10.5): the losers are replays, so the grant is revoked; the winner's
      // refresh token no longer works. A client never redeems its code twice on purpose.
      const tokens = (await ok[0]!.json()) as TokenSet;
      expect(await errorCode(await refresh(app, a.client.client_id, tokens.refresh_token))).toBe(
        'invalid_grant',
      );
    }
  });
});

describe('race: N parallel refreshes of one refresh token (RFC 9700 §4.14.2)', () => {
  it(`gives every caller the same successor and stores exactly one, ${ROUNDS} rounds`, async () => {
    const app = createTestApp();
    for (let round = 0; round < ROUNDS; round++) {
      const { client, tokens, userId } = await issuedTokens(app);
      const results = await Promise.all(
        Array.from({ length: N }, () => refresh(app, client.client_id, tokens.refresh_token)),
      );
      expect(
        results.map((r) => r.status),
        `round ${round}`,
      ).toEqual(Array(N).fill(200));
      const pairs = (await Promise.all(results.map((r) => r.json()))) as TokenSet[];
      expect(new Set(pairs.map((p) => p.refresh_token)).size).toBe(1);
      expect(new Set(pairs.map((p) => p.access_token)).size).toBe(1);
      const { results: children } = await env.DB.prepare(
        `SELECT parent_hash FROM oauth_refresh_tokens WHERE user_id = ? AND parent_hash IS NOT NULL`,
      )
        .bind(userId)
        .all<{ parent_hash: string }>();
      expect(children).toHaveLength(1);
      app.clock.advance(1);
      // The one successor is live, and rotating it in parallel again converges on one grandchild.
      const next = await Promise.all(pairs.map((p) => refresh(app, client.client_id, p.refresh_token)));
      expect(next.map((r) => r.status)).toEqual(Array(N).fill(200));
      const grandchildren = (await Promise.all(next.map((r) => r.json()))) as TokenSet[];
      expect(new Set(grandchildren.map((p) => p.refresh_token)).size).toBe(1);
    }
  });
});

describe('race: consent double-submit', () => {
  it(`gives each submit its own grant and code (as designed), each redeemable once, ${ROUNDS} rounds`, async () => {
    const app = createTestApp();
    for (let round = 0; round < ROUNDS; round++) {
      const client = await registerClient(app);
      const { browser, userId } = await signedInBrowser(app);
      const { verifier, challenge } = await pkcePair();
      const redirectUri = client.redirect_uris[0]!;
      const page = await browser.page(
        authorizePath({
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: redirectUri,
          state: `s${round}`,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
      );
      const request = hiddenValue(page.html, 'request');
      const submits = 3;
      const results = await Promise.all(
        Array.from({ length: submits }, () =>
          browser.postForm('/oauth2/authorize', { request, csrf_token: page.csrf, decision: 'approve' }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(submits).fill(302));
      const codes = results.map((r) => new URL(r.headers.get('location')!).searchParams.get('code')!);
      expect(new Set(codes).size).toBe(submits);
      const grants = await env.DB.prepare('SELECT COUNT(*) AS n FROM oauth_grants WHERE user_id = ?')
        .bind(userId)
        .first<{ n: number }>();
      expect(grants!.n).toBe(submits);
      for (const code of codes) {
        expect((await redeem(app, { client, code, verifier, redirectUri })).status).toBe(200);
      }
    }
  });
});
