import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { issueEmailToken } from '../../src/accounts/email-tokens';
import { IpBrowser, latestToken, userRow } from '../accounts/support';
import { Browser, createTestApp, createUser, sessionCookieFor, uniqueEmail } from '../helpers/app';
import { expectUnavailable, faultyDb, snapshot, sweepFaults } from './faulty-bindings';

/**
 * A D1 call failing in the middle of each multi-step account operation: the answer is a 503 page with
 * Retry-After, never a 500, and the rows are either untouched or the operation's whole effect.
 */

function quietLogs() {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
}

const userTables = (userId: string) => ({
  users: `id = '${userId}'`,
  sessions: `user_id = '${userId}'`,
  email_tokens: `user_id = '${userId}'`,
  personal_access_tokens: `user_id = '${userId}'`,
  oauth_grants: `user_id = '${userId}'`,
  audit_events: `user_id = '${userId}'`,
});

async function userSnapshot(userId: string) {
  const where = userTables(userId);
  return snapshot(Object.keys(where) as (keyof typeof where)[], where);
}

describe('faults: POST /signup', () => {
  it('answers 503 and either creates nothing or a complete account that can sign in', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const outcomes: string[] = [];
    const { calls, res } = await sweepFaults(
      faulty,
      async (k) => {
        const browser = new IpBrowser(app);
        faulty.failAt(0);
        const { csrf } = await browser.page('/signup');
        const email = uniqueEmail('fault-signup');
        faulty.failAt(k);
        const r = await browser.postForm('/signup', {
          email,
          password: 'correct horse battery',
          csrf_token: csrf,
        });
        return Object.assign(r, { email });
      },
      async ({ res }) => {
        const email = (res as Response & { email: string }).email;
        const user = await userRow(email);
        if (res.status === 303) {
          // The user row is sign-up's commit point: what follows (log row, link, mail) runs after the
          // response and may fail unseen; the account is whole and usable, and the link can be resent.
          expect(res.headers.get('location')).toBe('/login?notice=check_inbox');
          expect(user).not.toBeNull();
          outcomes.push('account');
          const again = new IpBrowser(createTestApp());
          expect((await again.signIn(email)).status).toBe(303);
          return;
        }
        await expectUnavailable(res, 'page');
        expect(user).toBeNull();
        outcomes.push('nothing');
      },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?notice=check_inbox');
    expect(calls).toBeGreaterThanOrEqual(4);
    // Before the user row: nothing; from it on: a whole account.
    expect(outcomes[0]).toBe('nothing');
    expect(outcomes.at(-1)).toBe('account');
  });
});

describe('faults: POST /verify-email', () => {
  it('answers 503 and leaves the link unspent and the address unverified, until it works', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const browser = new IpBrowser(createTestApp());
    const email = uniqueEmail('fault-verify');
    expect((await browser.signUp(email)).status).toBe(303);
    const token = await latestToken(email, '/verify-email');
    const user = (await userRow(email))!;
    const before = await userSnapshot(user.id);
    const { res } = await sweepFaults(
      faulty,
      async (k) => {
        const b = new Browser(app);
        faulty.failAt(0);
        const { csrf } = await b.page(`/verify-email?token=${token}`);
        faulty.failAt(k);
        return b.postForm('/verify-email', { token, csrf_token: csrf });
      },
      async ({ res }) => {
        await expectUnavailable(res, 'page');
        expect(await userSnapshot(user.id)).toEqual(before);
      },
    );
    expect(res.status).toBe(200);
    expect((await userRow(email))!.email_verified_at).not.toBeNull();
  });
});

describe('faults: POST /reset-password', () => {
  it('answers 503 with nothing changed until the batch commits; after it, the reset is whole', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const postCommit: number[] = [];
    let user: Awaited<ReturnType<typeof createUser>>;
    let before: Awaited<ReturnType<typeof userSnapshot>>;
    const { res } = await sweepFaults(
      faulty,
      async (k) => {
        user = await createUser({ verified: true });
        await sessionCookieFor(user.id);
        const now = Math.floor(Date.now() / 1000);
        const token = await issueEmailToken(env.DB, 'reset_password', user.id, user.email, now);
        before = await userSnapshot(user.id);
        const b = new Browser(app);
        faulty.failAt(0);
        const { csrf } = await b.page(`/reset-password?token=${token}`);
        faulty.failAt(k);
        return b.postForm('/reset-password', { token, password: 'a brand new password', csrf_token: csrf });
      },
      async ({ k, res }) => {
        await expectUnavailable(res, 'page');
        const after = await userSnapshot(user.id);
        if (JSON.stringify(after) === JSON.stringify(before)) return;
        // Only the cache clean-up after the committed batch may fail here (known gap,
        // docs/reliability.md): then D1 holds the whole reset.
        postCommit.push(k);
        expect(after.users[0]!.password_hash).not.toBe(before.users[0]!.password_hash);
        expect(after.sessions).toEqual([]);
        expect(after.email_tokens.every((t) => (t as { consumed_at: unknown }).consumed_at !== null)).toBe(
          true,
        );
      },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?notice=password_reset');
    // The peek and the batch (calls 1–2) change nothing when they fail; only the follow-up reads do.
    expect(postCommit.every((k) => k >= 3)).toBe(true);
  });
});

describe('faults: POST /login', () => {
  it('answers 503, never 500, wherever D1 fails', async () => {
    quietLogs();
    const faulty = faultyDb();
    const app = createTestApp({ env: { DB: faulty.db } });
    const user = await createUser({ verified: true });
    const { res } = await sweepFaults(
      faulty,
      async (k) => {
        const b = new IpBrowser(app);
        faulty.failAt(0);
        const { csrf } = await b.page('/login');
        faulty.failAt(k);
        return b.postForm('/login', { email: user.email, password: user.password, csrf_token: csrf });
      },
      async ({ res }) => expectUnavailable(res, 'page'),
    );
    expect(res.status).toBe(303);
  });
});
