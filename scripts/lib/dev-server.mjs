// Starting and stopping a real `npm run dev` for scripts (conformance runs): a free loopback port,
// a temporary state folder, and a process group of its own so that stop() ends wrangler and its
// workerd children together (wrangler survives SIGTERM: SIGKILL follows after a short grace).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Starts `scripts/dev.mjs` (migrations + wrangler dev) and waits until it serves.
 * @param {{ port?: number, vars?: Record<string, string>, timeoutMs?: number }} [options]
 */
export async function startDevServer(options = {}) {
  const port = options.port ?? (await freePort());
  const persist = mkdtempSync(join(tmpdir(), 'gatehouse-dev-'));
  const varArgs = Object.entries(options.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const child = spawn(process.execPath, [join(root, 'scripts', 'dev.mjs'), ...varArgs], {
    cwd: root,
    env: { ...process.env, GATEHOUSE_PORT: String(port), GATEHOUSE_PERSIST_DIR: persist, CI: 'true' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const onExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', onExit);
  const stop = async () => {
    killGroup(child, 'SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), delay(3000)]);
    killGroup(child, 'SIGKILL');
    process.removeListener('exit', onExit);
    rmSync(persist, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/assets/app.css`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm run dev did not become ready:\n${output}`);
    }
    await delay(250);
  }
  return { url, port, output: () => output, stop };
}
