import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DevServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
/** Servers now up, for showing their output when a test fails (test/e2e/helpers/setup.ts). */
export const liveServers = new Set<DevServer>();
function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/**
 * Starts the real `npm run dev` (migrations + wrangler dev) on a free loopback port with its own
 * local state folder, in its own process group so that stop() can end wrangler and its workerd
 * children together.
 */
export async function startDevServer(
  options: {
    vars?: Record<string, string>;
    timeoutMs?: number;
    /** More arguments after `--` (they override the script's defaults). */
    args?: string[];
    /** The port to wait on (given to the script as GATEHOUSE_PORT unless `env` says otherwise). */
    port?: number;
    env?: Record<string, string>;
  } = {},
): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const persist = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const varArgs = Object.entries(options.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const child = spawn('npm', ['run', 'dev', '--', ...varArgs, ...(options.args ?? [])], {
    cwd: new URL('../../..', import.meta.url).pathname,
    env: {
      ...process.env,
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_PERSIST_DIR: persist,
      CI: 'true',
      ...options.env,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${out}`);
    try {
      const res = await fetch(`${url}/assets/app.css`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`npm run dev did not become ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const server: DevServer = {
    url,
    port,
    output: () => out,
    async stop() {
      liveServers.delete(server);
      killGroup(child, 'SIGTERM');
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const grace = new Promise<void>((r) => setTimeout(r, 3000));
      await Promise.race([exited, grace]);
      killGroup(child, 'SIGKILL');
      running.delete(child);
      rmSync(persist, { recursive: true, force: true });
    },
  };
  liveServers.add(server);
  return server;
}
