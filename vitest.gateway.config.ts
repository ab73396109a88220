import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { generateDevVars } from './scripts/dev-secrets.mjs';

// The gateway's upstream tests: workerd (real KV) talking to real MCP servers that globalSetup starts
// on loopback in Node. Kept apart from vitest.config.ts so the main suite starts no servers.
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: { ...(await generateDevVars()), TEST_MIGRATIONS: await readD1Migrations('./migrations') },
      },
    })),
  ],
  test: {
    include: ['test/gateway/integration/**/*.test.ts'],
    globalSetup: ['./test/e2e/helpers/gateway-global-setup.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 60_000,
  },
});
