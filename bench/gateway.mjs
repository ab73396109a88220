// `npm run bench:gateway`: tools/call through Gatehouse's gateway against the same call straight to
// the upstream, for a 2025-era upstream (server-everything) and a 2026-07-28 one (the fixture), plus a
// bare Worker answering the same bytes (the ceiling of any Worker under `wrangler dev` here), and a
// warm tools/list over three upstreams against one. All in one run. See docs/benchmarks.md "Gateway".
//
// Options (environment): BENCH_ROUNDS (3), BENCH_SECONDS (6), BENCH_WARMUP_SECONDS (2),
// BENCH_CONNECTIONS (10), BENCH_OUT (bench/results).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { gatehouseFlow } from './lib/flows.mjs';
import { renderGatewayMarkdown, summariseGateway } from './lib/gateway-report.mjs';
import {
  checkEcho,
  checkFixture,
  directEchoRequest,
  directModernRequest,
  gatehouseRequest,
  gatewayEchoBody,
  gatewayFixtureBody,
  listBody,
  listChecker,
  openLegacySession,
} from './lib/gateway-workloads.mjs';
import { runLoad, send } from './lib/load.mjs';
import { ROOT, runningServers, startServer, stopAll } from './lib/servers.mjs';
import { startBare, startGatehouse } from './lib/targets.mjs';

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const OPTS = {
  rounds: num('BENCH_ROUNDS', 3),
  seconds: num('BENCH_SECONDS', 6),
  warmupSeconds: num('BENCH_WARMUP_SECONDS', 2),
  connections: num('BENCH_CONNECTIONS', 10),
  sampleEvery: 10,
};
const OUT = process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results');
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping the servers…`);
    await stopAll();
    process.exit(130);
  });
}

const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `loadavg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`;
  }
};

function startFixture(name) {
  return startServer({
    name,
    cwd: ROOT,
    command: process.execPath,
    args: (port) => ['test/fixtures/upstream/server.ts', '--port', String(port)],
    readyPath: '/mcp',
  });
}

function startEverything() {
  return startServer({
    name: 'server-everything',
    cwd: ROOT,
    command: process.execPath,
    env: (port) => ({ PORT: String(port) }),
    args: () => [
      '--import',
      './test/fixtures/upstream/loopback-only.mjs',
      'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
      'streamableHttp',
    ],
    readyPath: '/mcp',
  });
}

const upstream = (id, name, origin, prefix) => ({
  id,
  name,
  url: `${origin}/mcp`,
  prefix,
  auth: { type: 'none' },
});

async function once(base, req) {
  const agent = new http.Agent({ keepAlive: false });
  try {
    return await send(agent, `${base}${req.path}`, req);
  } finally {
    agent.destroy();
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const loadBefore = uptime();
  log(`Load before: ${loadBefore}`);

  log('Starting the upstreams (the fixture twice, server-everything)…');
  const [fixture, fixture2, everything] = await Promise.all([
    startFixture('fixture'),
    startFixture('fixture-2'),
    startEverything(),
  ]);
  // One Gatehouse with one upstream, one with three (the calls go through the latter).
  const one = [upstream('fixture', 'Fixture', fixture.url, 'fx')];
  const three = [
    ...one,
    upstream('fixture-2', 'Fixture 2', fixture2.url, 'fy'),
    upstream('everything', 'Everything', everything.url, 'ev'),
  ];
  const vars = (catalog) => ({
    GATEHOUSE_UPSTREAMS: JSON.stringify(catalog),
    UPSTREAM_ALLOW_HTTP_LOOPBACK: 'true',
  });
  log('Starting two Gatehouse instances (one upstream, three upstreams)…');
  const [gh1, gh3] = await Promise.all([
    startGatehouse({ name: 'gatehouse-1', vars: vars(one) }),
    startGatehouse({ name: 'gatehouse-3', vars: vars(three) }),
  ]);

  log('Obtaining tokens through DCR + PKCE + consent…');
  const [t1, t3] = await Promise.all([
    gatehouseFlow(gh1.url).grant('mcp'),
    gatehouseFlow(gh3.url).grant('mcp'),
  ]);

  log('Opening one server-everything session per connection…');
  const sessions = [];
  for (let i = 0; i < OPTS.connections; i++)
    sessions.push({ headers: await openLegacySession(`${everything.url}/mcp`) });
  const warmSession = { headers: await openLegacySession(`${everything.url}/mcp`) };

  const workloads = [
    {
      id: 'call-legacy',
      label: 'tools/call echo → server-everything (2025-era, sessionful)',
      targets: {
        gateway: {
          base: gh3.url,
          request: gatehouseRequest(t3.access_token, gatewayEchoBody),
          verify: checkEcho,
        },
        direct: {
          base: everything.url,
          request: directEchoRequest('/mcp'),
          verify: checkEcho,
          states: sessions,
          warmState: warmSession,
        },
      },
    },
    {
      id: 'call-modern',
      label: 'tools/call test_simple_text → the fixture (2026-07-28, stateless)',
      targets: {
        gateway: {
          base: gh3.url,
          request: gatehouseRequest(t3.access_token, gatewayFixtureBody),
          verify: checkFixture,
        },
        direct: { base: fixture.url, request: directModernRequest('/mcp'), verify: checkFixture },
      },
    },
    {
      id: 'list',
      label: 'tools/list, warm (upstream lists cached)',
      targets: {
        one: {
          base: gh1.url,
          request: gatehouseRequest(t1.access_token, listBody),
          verify: listChecker(['fx']),
        },
        three: {
          base: gh3.url,
          request: gatehouseRequest(t3.access_token, listBody),
          verify: listChecker(['fx', 'fy', 'ev']),
        },
      },
    },
  ];

  log('Checking the first answers…');
  const bodies = {};
  for (const w of workloads) {
    for (const [name, t] of Object.entries(w.targets)) {
      const a = await once(t.base, t.request(t.warmState ?? {}));
      const problem = a.status === 200 ? t.verify(a.body) : `status ${a.status}: ${a.body.slice(0, 300)}`;
      if (problem) throw new Error(`${w.id}/${name}: wrong first answer: ${problem}`);
      // The bare Worker answers the gateway's exact bytes.
      if (name === 'gateway') {
        bodies[`/${w.id}`] = {
          status: 200,
          headers: { 'content-type': a.headers['content-type'] ?? 'application/json' },
          body: a.body,
        };
      }
    }
  }
  log('Starting the bare Worker…');
  const bare = await startBare(bodies);
  for (const w of workloads) {
    if (!bodies[`/${w.id}`]) continue;
    const verify = w.id === 'call-legacy' ? checkEcho : checkFixture;
    const body = w.id === 'call-legacy' ? gatewayEchoBody : gatewayFixtureBody;
    w.targets.bare = {
      base: bare.url,
      request: () => ({
        path: `/${w.id}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
      verify,
    };
  }

  const measure = (t, seconds, connections = OPTS.connections) =>
    runLoad(
      { base: t.base, request: t.request, expectStatus: 200, verify: t.verify, states: t.states },
      { connections, durationMs: seconds * 1000, sampleEvery: OPTS.sampleEvery },
    );

  log(`Warm-up: ${OPTS.warmupSeconds} s per workload and target…`);
  const warmup = {};
  for (const w of workloads) {
    for (const [name, t] of Object.entries(w.targets)) {
      const r = await measure(t, OPTS.warmupSeconds);
      warmup[`${w.id}/${name}`] = { rps: r.rps, errors: r.errors, errorSamples: r.errorSamples };
    }
  }

  const rounds = [];
  for (let round = 0; round < OPTS.rounds; round++) {
    const runs = {};
    for (const w of workloads) {
      // Rotate the order each round so that machine drift hits every target alike.
      const names = Object.keys(w.targets);
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        // Throughput under load, then latency with one connection: under a closed loop of many
        // connections the p50 is mostly queueing (≈ connections ÷ throughput), not the request's own time.
        for (const connections of name === 'bare' ? [OPTS.connections] : [OPTS.connections, 1]) {
          const r = await measure(w.targets[name], OPTS.seconds, connections);
          const key = connections === 1 ? `${name}@1` : name;
          runs[`${w.id}/${key}`] = r;
          log(
            `round ${round + 1}/${OPTS.rounds} ${w.id.padEnd(11)} ${key.padEnd(9)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}${r.errors ? ` (${r.errorSamples[0]})` : ''}`,
          );
        }
      }
    }
    rounds.push(runs);
  }
  const loadAfter = uptime();
  log(`Load after: ${loadAfter}`);
  await stopAll();

  const result = summariseGateway({
    generatedAt: new Date().toISOString(),
    command: 'npm run bench:gateway',
    options: OPTS,
    machine: {
      nproc: os.availableParallelism(),
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
    },
    load: { before: loadBefore, after: loadAfter },
    workloads: workloads.map((w) => ({
      id: w.id,
      label: w.label,
      targets: Object.keys(w.targets).flatMap((t) => (t === 'bare' ? [t] : [t, `${t}@1`])),
    })),
    rounds,
    warmup,
    durationSeconds: (Date.now() - started) / 1000,
  });
  writeFileSync(join(OUT, 'gateway.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(OUT, 'gateway.md'), renderGatewayMarkdown(result));
  console.log(`\n${renderGatewayMarkdown(result)}`);
  log(`Wrote ${join(OUT, 'gateway.{md,json}')}`);
  if (result.errors > 0) {
    console.error(`${result.errors} wrong answers during the measured rounds.`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (err) {
  console.error(err);
  for (const s of runningServers())
    console.error(`\n--- last output of ${s.name} ---\n${s.out.slice(-3000)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
