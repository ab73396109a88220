import { defineConfig } from 'vitest/config';

// End-to-end tests: real `npm run dev` servers driven over HTTP by real clients, in Node.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    fileParallelism: false,
    setupFiles: ['./test/e2e/helpers/setup.ts'],
    // Test results only; a failing test also shows its console output and its dev server's.
    silent: 'passed-only',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
