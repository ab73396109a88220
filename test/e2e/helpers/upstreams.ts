import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './dev-server';

/**
 * Real MCP servers for the gateway's tests, each on a free 127.0.0.1 port, in its own process group
 * (killed as a group: SIGTERM, then SIGKILL):
 * - the fixture upstream (test/fixtures/upstream/server.ts, @modelcontextprotocol/server 2.x): both
 *   eras, the conformance suite's reference tools, hostile paths; optionally behind a static Bearer key;
 * - `@modelcontextprotocol/server-everything` in streamable-HTTP mode: a 2025-era, sessionful server.
 * Usable from a vitest globalSetup (Node side) and from scripts.
 */
export interface RunningUpstream {
  /** The MCP endpoint, e.g. http://127.0.0.1:41234/mcp */
  readonly url: string;
  /** The origin, for the fixture's other paths (/hostile/<mode>/mcp, /redirect/mcp). */
  readonly origin: string;
  output(): string;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../../..', import.meta.url));
const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
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

async function start(
  name: string,
  args: string[],
  env: Record<string, string>,
  port: number,
): Promise<RunningUpstream> {
  // process.execPath is the pinned Node 22 when started through npm scripts.
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
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
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited early:\n${out}`);
    try {
      // Any HTTP answer means it listens (the MCP endpoint answers a bare GET with 4xx).
      await fetch(`${origin}/mcp`, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`${name} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `${origin}/mcp`,
    origin,
    output: () => out,
    async stop() {
      killGroup(child, 'SIGTERM');
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 3000))]);
      killGroup(child, 'SIGKILL');
      running.delete(child);
    },
  };
}

export async function startFixtureUpstream(options: { bearer?: string } = {}): Promise<RunningUpstream> {
  const port = await freePort();
  const args = ['test/fixtures/upstream/server.ts', '--port', String(port)];
  if (options.bearer) args.push('--bearer', options.bearer);
  return start('the fixture upstream', args, {}, port);
}

export async function startServerEverything(): Promise<RunningUpstream> {
  const port = await freePort();
  const entry = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';
  return start(
    'server-everything',
    ['--import', './test/fixtures/upstream/loopback-only.mjs', entry, 'streamableHttp'],
    { PORT: String(port) },
    port,
  );
}
