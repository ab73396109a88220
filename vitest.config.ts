import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { generateDevVars } from './scripts/dev-secrets.mjs';

// `npm test` prints test results only. wrangler's notices ("Using secrets defined in .dev.vars",
// once per test file) stay below warning level; the application's own log lines are shown only for
// a test that fails (`silent: 'passed-only'`).
process.env.WRANGLER_LOG ??= 'warn';

// The MCP SDK ships source maps whose sources are not in the package, and vite warns once per file.
// (vitest installs its own logger, so the filter wraps the resolved one.)
const quietSdkSourceMaps: Plugin = {
  name: 'quiet-sdk-source-maps',
  configResolved(config) {
    const warnOnce = config.logger.warnOnce.bind(config.logger);
    config.logger.warnOnce = (message, options) => {
      if (!message.includes('points to missing source files')) warnOnce(message, options);
    };
  },
};

export default defineConfig({
  plugins: [
    quietSdkSourceMaps,
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ...(await generateDevVars()),
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
        },
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/e2e/**', 'test/browser/**', 'test/gateway/integration/**', 'node_modules/**'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 20_000,
    silent: 'passed-only',
  },
});
