// Starts Workers under `wrangler dev` on loopback, each in its own process group with its own
// --persist-to folder, and stops every one of them on exit, error or signal.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const WRANGLER_JS = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set();

function killGroup(child, signal) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

process.on('exit', () => {
  for (const s of running) {
    killGroup(s.child, 'SIGKILL');
    rmSync(s.persist, { recursive: true, force: true });
  }
});

/**
 * Spawns `command args` detached (own process group) with a fresh persist folder and waits until
 * GET `readyPath` answers with any HTTP status. `args(port, persist, inspectorPort)` builds the
 * argument list once the ports are known; `env` may be an object or `(port) => object`.
 */
export async function startServer({
  name,
  command,
  args,
  cwd,
  env = {},
  readyPath = '/',
  timeoutMs = 120_000,
}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persist = mkdtempSync(join(tmpdir(), `gatehouse-bench-${name}-`));
  const child = spawn(command, args(port, persist, inspectorPort), {
    cwd,
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      NO_UPDATE_NOTIFIER: '1',
      CI: 'true',
      // A server that cannot be told its port by argument reads it from its environment.
      ...(typeof env === 'function' ? env(port) : env),
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = { name, child, persist, port, inspectorPort, url: `http://127.0.0.1:${port}`, out: '' };
  running.add(server);
  const append = (d) => {
    server.out += d;
    if (server.out.length > 200_000) server.out = server.out.slice(-100_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stopServer(server);
      throw new Error(`${name}: the dev server exited early:\n${server.out.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${server.url}${readyPath}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stopServer(server);
      throw new Error(`${name}: the dev server did not become ready:\n${server.out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return server;
}

export async function stopServer(server) {
  if (!running.has(server)) return;
  killGroup(server.child, 'SIGTERM');
  if (server.child.exitCode === null && server.child.signalCode === null) {
    const exited = new Promise((r) => server.child.once('exit', r));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  }
  killGroup(server.child, 'SIGKILL');
  running.delete(server);
  rmSync(server.persist, { recursive: true, force: true });
}

export function runningServers() {
  return [...running];
}

export async function stopAll() {
  await Promise.all([...running].map(stopServer));
}

/** `wrangler dev` for a Worker (Gatehouse, bench/reference, bench/bare) with the root's wrangler. */
export function wranglerDev(name, { cwd, config, extraArgs = [], env, readyPath, prepare }) {
  return startServer({
    name,
    cwd,
    env,
    readyPath,
    command: process.execPath,
    args: (port, persist, inspectorPort) => {
      // Anything to set up in the fresh state folder first (Gatehouse: its D1 migrations).
      prepare?.(persist);
      return [
        WRANGLER_JS,
        'dev',
        '--config',
        config,
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        persist,
        '--show-interactive-dev-session=false',
        '--log-level',
        process.env.BENCH_LOG_LEVEL ?? 'warn',
        ...extraArgs,
      ];
    },
  });
}
