import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { issueEmailToken } from '../../src/accounts/email-tokens';
import { verifyPassword } from '../../src/accounts/passwords';
import { Browser, createTestApp, createUser } from '../helpers/app';

/** N parallel uses of one single-use email link: exactly one wins, repeatedly. */
const ROUNDS = 5;
const N = 8;

async function browsersWithForms(app: ReturnType<typeof createTestApp>, path: string) {
  return Promise.all(
    Array.from({ length: N }, async () => {
      const b = new Browser(app);
      const { csrf } = await b.page(path);
      return { b, csrf };
    }),
  );
}

describe('race: N parallel uses of one confirmation link', () => {
  it(`confirms once; the others get the invalid-link page; ${ROUNDS} rounds`, async () => {
    const app = createTestApp();
    for (let round = 0; round < ROUNDS; round++) {
      const user = await createUser();
      const now = Math.floor(Date.now() / 1000);
      const token = await issueEmailToken(env.DB, 'verify_email', user.id, user.email, now);
      const forms = await browsersWithForms(app, `/verify-email?token=${token}`);
      const results = await Promise.all(
        forms.map(({ b, csrf }) => b.postForm('/verify-email', { token, csrf_token: csrf })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, `round ${round}`).toEqual([200, ...Array(N - 1).fill(400)]);
      const audit = await env.DB.prepare(
        "SELECT COUNT(*) AS n FROM audit_events WHERE user_id = ? AND kind = 'email_verified'",
      )
        .bind(user.id)
        .first<{ n: number }>();
      expect(audit!.n).toBe(1);
    }
  });
});

describe('race: N parallel uses of one password-reset link', () => {
  it(`changes the password once, to the winner's; ${ROUNDS} rounds`, async () => {
    const app = createTestApp();
    for (let round = 0; round < ROUNDS; round++) {
      const user = await createUser({ verified: true });
      const now = Math.floor(Date.now() / 1000);
      const token = await issueEmailToken(env.DB, 'reset_password', user.id, user.email, now);
      const forms = await browsersWithForms(app, `/reset-password?token=${token}`);
      const passwords = forms.map((_, i) => `new password number ${i} ${round}`);
      const results = await Promise.all(
        forms.map(({ b, csrf }, i) =>
          b.postForm('/reset-password', { token, password: passwords[i]!, csrf_token: csrf }),
        ),
      );
      const winners = results.flatMap((r, i) => (r.status === 303 ? [i] : []));
      expect(winners, `round ${round}`).toHaveLength(1);
      expect(results.filter((r) => r.status === 400)).toHaveLength(N - 1);
      const row = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
        .bind(user.id)
        .first<{ password_hash: string }>();
      expect(await verifyPassword(passwords[winners[0]!]!, row!.password_hash)).toBe(true);
      const changes = await env.DB.prepare(
        "SELECT COUNT(*) AS n FROM audit_events WHERE user_id = ? AND kind = 'password_changed'",
      )
        .bind(user.id)
        .first<{ n: number }>();
      expect(changes!.n).toBe(1);
    }
  });
});
