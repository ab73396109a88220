// `npm run conformance:fixture`: runs the MCP conformance suite (the 0.2 alpha, for the 2026-07-28
// requirement set) against the gateway's fixture upstream (test/fixtures/upstream/), once per
// requirement set, and prints each summary. The fixture listens on a free 127.0.0.1 port in its own
// process group and is killed as a group at the end.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REQUIREMENTS = ['2026-07-28', '2025-11-25'];

const fixture = spawn(process.execPath, ['test/fixtures/upstream/server.ts', '--port', '0'], {
  cwd: root,
  detached: true,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const killGroup = (signal) => {
  try {
    process.kill(-fixture.pid, signal);
  } catch {
    // already gone
  }
};
process.on('exit', () => killGroup('SIGKILL'));

const port = await new Promise((resolve, reject) => {
  let out = '';
  fixture.stdout.on('data', (d) => {
    out += d;
    const m = /listening (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  fixture.once('exit', () => reject(new Error(`the fixture exited early:\n${out}`)));
});

let failed = false;
for (const requirements of REQUIREMENTS) {
  const res = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/conformance-alpha/dist/index.js'),
      'server',
      '--url',
      `http://127.0.0.1:${port}/mcp`,
      '--requirements',
      requirements,
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const lines = `${res.stdout}`.split('\n').filter((l) => /^[✓✗] |^Total:|^Not scored|^ {2}[✓✗]/.test(l));
  console.log(`\n== --requirements ${requirements} ==\n${lines.join('\n')}`);
  if (res.status !== 0) failed = true;
}
killGroup('SIGTERM');
process.exitCode = failed ? 1 : 0;
