import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { Browser, createTestApp } from '../helpers/app';
import {
  authorizedCode,
  authorizePath,
  freshIp,
  hiddenValue,
  issuedTokens,
  pkcePair,
  redeem,
  refresh,
  register,
  registerClient,
  signedInBrowser,
  type TokenSet,
} from '../oauth/helpers';
import { expectUnavailable, faultyDb, snapshot, sweepFaults } from './faulty-bindings';

/**
 * A D1 call failing in the middle of each multi-step OAuth operation: RFC 6749-shaped 503
 * `temporarily_unavailable` with Retry-After (the consent page: an HTML 503), never a 500, and no
 * half-written rows.
 */

function quietLogs() {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
}

const grantTables = (userId: string) => {
  const where = {
    oauth_grants: `user_id = '${userId}'`,
    oauth_authorization_codes: `user_id = '${userId}'`,
    oauth_refresh_tokens: `user_id = '${userId}'`,
    audit_events: `user_id = '${userId}'`,
  };
  return snapshot(Object.keys(where) as (keyof typeof where)[], where);
};

describe('faults: POST /oauth2/register', () => {
  it('answers 503 temporarily_unavailable and stores no client', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const name = `fault-dcr-${crypto.randomUUID()}`;
    const count = async () =>
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM oauth_clients WHERE client_name = ?')
        .bind(name)
        .first<{ n: number }>())!.n;
    const { calls, res } = await sweepFaults(
      faulty,
      async (k) => {
        faulty.failAt(k);
        return register(app, { client_name: name, redirect_uris: ['https://c.example/cb'] });
      },
      async ({ res }) => {
        await expectUnavailable(res, 'oauth');
        expect(await count()).toBe(0);
      },
    );
    expect(calls).toBe(1);
    expect(res.status).toBe(201);
    expect(await count()).toBe(1);
  });
});

describe('faults: POST /oauth2/authorize (consent approval)', () => {
  it('answers a 503 page and creates no grant, no code and no log row, until it works', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const client = await registerClient(app);
    const { browser, userId } = await signedInBrowser(app);
    const { challenge } = await pkcePair();
    const path = authorizePath({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: client.redirect_uris[0],
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const page = await browser.page(path);
    expect(page.res.status).toBe(200);
    const request = hiddenValue(page.html, 'request');
    const before = await grantTables(userId);
    const { calls, res } = await sweepFaults(
      faulty,
      async (k) => {
        faulty.failAt(k);
        return browser.postForm('/oauth2/authorize', { request, csrf_token: page.csrf, decision: 'approve' });
      },
      async ({ res }) => {
        await expectUnavailable(res, 'page');
        expect(await grantTables(userId)).toEqual(before);
      },
    );
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });
});

describe('faults: POST /oauth2/token (authorization_code)', () => {
  it('answers 503 temporarily_unavailable and leaves the code unspent while nothing was issued', async () => {
    quietLogs();
    const faulty = faultyDb();
    const faultyApp = createTestApp({ env: { DB: faulty.db } });
    const app = createTestApp();
    const { res } = await sweepFaults(
      faulty,
      async (k) => {
        const a = await authorizedCode(app);
        faulty.failAt(k);
        const r = await redeem(faultyApp, a);
        return Object.assign(r, { a });
      },
      async ({ res }) => {
        await expectUnavailable(res, 'oauth');
        const { a } = res as Response & { a: Awaited<ReturnType<typeof authorizedCode>> };
        const rows = await grantTables(a.userId);
        expect(rows.oauth_refresh_tokens).toEqual([]);
        // Spending the code and storing its tokens are one guarded batch: a fault at any step leaves
        // the code unspent, never half-written.
        expect(rows.oauth_authorization_codes).toMatchObject([{ consumed_at: null }]);
        expect((await redeem(app, a)).status).toBe(200);
      },
    );
    expect(res.status).toBe(200);
  });

  it('a fault while storing the tokens leaves the code redeemable', async () => {
    quietLogs();
    const faulty = faultyDb();
    const faultyApp = createTestApp({ env: { DB: faulty.db } });
    const app = createTestApp();
    const a = await authorizedCode(app);
    faulty.failWhen(/INSERT INTO oauth_refresh_tokens/);
    await expectUnavailable(await redeem(faultyApp, a), 'oauth');
    expect((await redeem(app, a)).status).toBe(200);
  });
});

describe('faults: POST /oauth2/token (refresh_token)', () => {
  it('answers 503 temporarily_unavailable; a retry within the grace window always gets a working pair', async () => {
    quietLogs();
    const faulty = faultyDb();
    const faultyApp = createTestApp({ env: { DB: faulty.db } });
    const app = createTestApp();
    const { res } = await sweepFaults(
      faulty,
      async (k) => {
        const issued = await issuedTokens(app);
        faulty.failAt(k);
        const r = await refresh(faultyApp, issued.client.client_id, issued.tokens.refresh_token);
        return Object.assign(r, { issued });
      },
      async ({ res }) => {
        await expectUnavailable(res, 'oauth');
        const { issued } = res as Response & { issued: Awaited<ReturnType<typeof issuedTokens>> };
        const retry = await refresh(app, issued.client.client_id, issued.tokens.refresh_token);
        expect(retry.status).toBe(200);
        const next = (await retry.json()) as TokenSet;
        expect((await refresh(app, issued.client.client_id, next.refresh_token)).status).toBe(200);
        const grant = await env.DB.prepare('SELECT revoked_at FROM oauth_grants WHERE user_id = ?')
          .bind(issued.userId)
          .first<{ revoked_at: number | null }>();
        expect(grant!.revoked_at).toBeNull();
      },
    );
    expect(res.status).toBe(200);
  });
});

describe('faults: the security log stays on the request path', () => {
  it('a fault on the first D1 call of a signed-in page is a 503 page', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const { browser } = await signedInBrowser(createTestApp());
    const b = new Browser(app);
    for (const [k, v] of browser.cookies) b.cookies.set(k, v);
    faulty.failAt(1);
    await expectUnavailable(
      await b.request('/settings/api', { headers: { 'cf-connecting-ip': freshIp() } }),
      'page',
    );
  });
});
