import { applyD1Migrations, env } from 'cloudflare:test';
import { afterEach, vi } from 'vitest';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Spies (console ones above all) are restored after every test, also one that failed mid-way, so a
// failing test can never leak a silenced console or a stub into the next.
afterEach(() => {
  vi.restoreAllMocks();
});
