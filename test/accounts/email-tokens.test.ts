import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { consumeEmailToken, issueEmailToken, peekEmailToken } from '../../src/accounts/email-tokens';
import { sha256Hex } from '../../src/tokens/secrets';
import { createUser } from '../helpers/app';

const now = () => Math.floor(Date.now() / 1000);

describe('consumeEmailToken', () => {
  it('stores only the hash of the token', async () => {
    const user = await createUser();
    const token = await issueEmailToken(env.DB, 'reset_password', user.id, user.email, now());
    const row = await env.DB.prepare('SELECT * FROM email_tokens WHERE user_id = ?')
      .bind(user.id)
      .first<Record<string, unknown>>();
    expect(row?.token_hash).toBe(await sha256Hex(token));
    expect(Object.values(row ?? {})).not.toContain(token);
  });

  it('rolls the consumption back when an effect in its batch fails, so the link still works', async () => {
    const user = await createUser();
    const t = now();
    const token = await issueEmailToken(env.DB, 'reset_password', user.id, user.email, t);
    await expect(
      consumeEmailToken(env.DB, 'reset_password', token, t, () => [
        env.DB.prepare('INSERT INTO no_such_table (x) VALUES (1)'),
      ]),
    ).rejects.toThrow();
    expect(await peekEmailToken(env.DB, 'reset_password', token, t)).not.toBeNull();
    const ok = await consumeEmailToken(env.DB, 'reset_password', token, t, () => []);
    expect(ok).toEqual({ userId: user.id, email: user.email, effects: [] });
  });

  it('runs guarded effects only for the request that consumed the token', async () => {
    const user = await createUser();
    const t = now();
    const token = await issueEmailToken(env.DB, 'verify_email', user.id, user.email, t);
    const effect = (label: string) => (_: unknown, guard: { sql: string; args: readonly unknown[] }) => [
      env.DB.prepare(
        `INSERT INTO audit_events (user_id, kind, detail, created_at) SELECT ?, 'signin', ?, ? WHERE ${guard.sql}`,
      ).bind(user.id, label, t, ...guard.args),
    ];
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        consumeEmailToken(env.DB, 'verify_email', token, t, effect(`r${i}`)),
      ),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const { results } = await env.DB.prepare('SELECT detail FROM audit_events WHERE user_id = ?')
      .bind(user.id)
      .all<{ detail: string }>();
    expect(results).toHaveLength(1);
  });

  it('refuses a token of the other purpose', async () => {
    const user = await createUser();
    const t = now();
    const token = await issueEmailToken(env.DB, 'verify_email', user.id, user.email, t);
    expect(await consumeEmailToken(env.DB, 'reset_password', token, t, () => [])).toBeNull();
    expect(await consumeEmailToken(env.DB, 'verify_email', token, t, () => [])).not.toBeNull();
  });

  it('refuses a token at and after its expiry', async () => {
    const user = await createUser();
    const t = now();
    const token = await issueEmailToken(env.DB, 'reset_password', user.id, user.email, t);
    expect(await consumeEmailToken(env.DB, 'reset_password', token, t + 3600, () => [])).toBeNull();
    expect(await consumeEmailToken(env.DB, 'reset_password', token, t + 3599, () => [])).not.toBeNull();
  });
});
