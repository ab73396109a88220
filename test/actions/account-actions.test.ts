import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createTestApp, createUser } from '../helpers/app';
import { callTool, mintAccessToken } from '../surfaces/support';

/** whoAmI reads the account row on every call: nothing about the account is remembered per isolate. */
describe('tools/call whoAmI', () => {
  it('shows an email confirmed since the previous call at once, with no time passing', async () => {
    const app = createTestApp();
    const user = await createUser({ verified: false });
    const token = await mintAccessToken(app, { userId: user.id });
    const before = await callTool(app, token, 'whoAmI', {});
    expect(before.structuredContent).toMatchObject({ userId: user.id, emailVerified: false });
    await env.DB.prepare('UPDATE users SET email_verified_at = ? WHERE id = ?')
      .bind(Math.floor(app.clock.now() / 1000), user.id)
      .run();
    const after = await callTool(app, token, 'whoAmI', {});
    expect(after.structuredContent).toMatchObject({ userId: user.id, emailVerified: true });
  });

  it('shows a changed email address at the next call', async () => {
    const app = createTestApp();
    const user = await createUser({ verified: true });
    const token = await mintAccessToken(app, { userId: user.id });
    expect((await callTool(app, token, 'whoAmI', {})).structuredContent?.email).toBe(user.email);
    const changed = `changed-${crypto.randomUUID()}@example.com`;
    await env.DB.prepare('UPDATE users SET email = ? WHERE id = ?').bind(changed, user.id).run();
    expect((await callTool(app, token, 'whoAmI', {})).structuredContent?.email).toBe(changed);
  });
});
