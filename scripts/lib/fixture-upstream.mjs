// Starting the gateway's fixture upstream (test/fixtures/upstream/server.ts) for scripts: a free
// 127.0.0.1 port chosen by the fixture itself, a process group of its own, killed as a group.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay, killGroup } from './dev-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @returns {Promise<{ url: string, origin: string, stop: () => Promise<void> }>} */
export async function startFixtureUpstream() {
  // process.execPath is the pinned Node 22 when started through npm scripts (it strips the types).
  const child = spawn(process.execPath, ['test/fixtures/upstream/server.ts', '--port', '0'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', onExit);
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the fixture did not start:\n${output}`)), 30_000);
    const take = (d) => {
      output += d;
      const m = /listening (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`the fixture exited early:\n${output}`));
    });
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/mcp`,
    origin,
    async stop() {
      killGroup(child, 'SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), delay(3000)]);
      killGroup(child, 'SIGKILL');
      process.removeListener('exit', onExit);
    },
  };
}
