import { defineConfig } from 'vitest/config';

// End-to-end tests: real `npm run dev` servers driven over HTTP by real clients, in Node.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
