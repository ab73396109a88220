import { beforeEach } from 'vitest';
import { liveServers } from './dev-server';

// The dev servers' output (wrangler's and the application's log lines) is kept, not printed, and
// shown under a test only when that test fails.
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    for (const server of liveServers) {
      console.error(`npm run dev at ${server.url}, last output:\n${server.output().slice(-6000)}`);
    }
  });
});
