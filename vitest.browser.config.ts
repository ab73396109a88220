import { defineConfig } from 'vitest/config';

// Browser tests: Debian's Chromium driven by playwright-core against a real `npm run dev`.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    environment: 'node',
    fileParallelism: false,
    setupFiles: ['./test/e2e/helpers/setup.ts'],
    // Test results only; a failing test also shows its console output and its dev server's.
    silent: 'passed-only',
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
