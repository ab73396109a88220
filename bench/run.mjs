// `npm run bench`: Gatehouse vs @cloudflare/workers-oauth-provider (the reference) vs a bare
// Worker (the ceiling), each under the same `wrangler dev` on loopback. See docs/benchmarks.md.
//
// Options (environment): BENCH_ROUNDS (3), BENCH_SECONDS per run (6), BENCH_WARMUP_SECONDS (2),
// BENCH_CONNECTIONS (10), BENCH_WORKLOADS (comma list, default all), BENCH_OUT (bench/results).
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { bundleSize } from './lib/bundle.mjs';
import { gatehouseFlow, referenceFlow } from './lib/flows.mjs';
import { runLoad, send } from './lib/load.mjs';
import { renderMarkdown, renderSvg, summarise } from './lib/report.mjs';
import { ROOT, runningServers, stopAll } from './lib/servers.mjs';
import { ensureReferenceInstalled, startBare, startGatehouse, startReference } from './lib/targets.mjs';
import { EXPECT_STATUS, requestFor, SHAPES, WORKLOADS } from './lib/workloads.mjs';

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
const ONLY = process.env.BENCH_WORKLOADS?.split(',').filter(Boolean);
const OUT = process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results');
const TARGETS = ['gatehouse', 'reference', 'bare'];
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping the dev servers…`);
    await stopAll();
    process.exit(130);
  });
}

function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** Sends one request outside the load loop. */
async function once(base, req) {
  const agent = new http.Agent({ keepAlive: false });
  try {
    return await send(agent, `${base}${req.path}`, req);
  } finally {
    agent.destroy();
  }
}

/** Mints `n` fresh refresh-token chains (one grant each) for one target. */
async function chains(flow, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    // One retry: a transient failure while minting (outside the measured window) must not end the run.
    const t = await flow.grant('mcp').catch((err) => {
      console.warn(
        `minting a refresh chain failed once, retrying: ${String(err?.message ?? err).split('\n')[0]}`,
      );
      return flow.grant('mcp');
    });
    out.push({ refreshToken: t.refresh_token, clientId: t.clientId });
  }
  return out;
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const loadBefore = os.loadavg();
  ensureReferenceInstalled();

  log('Bundling the three Workers (wrangler deploy --dry-run)…');
  const bundles = {
    // What `npm run deploy` ships: the production environment (minified).
    gatehouse: bundleSize('gatehouse', { cwd: ROOT, config: 'wrangler.toml', env: 'production' }),
    reference: bundleSize('reference', { cwd: join(ROOT, 'bench', 'reference'), config: 'wrangler.toml' }),
    bare: bundleSize('bare', { cwd: join(ROOT, 'bench', 'bare'), config: 'wrangler.toml' }),
  };

  log('Starting Gatehouse and the reference…');
  const [gh, ref] = await Promise.all([startGatehouse(), startReference()]);
  const servers = { gatehouse: gh, reference: ref };
  const flows = { gatehouse: gatehouseFlow(gh.url), reference: referenceFlow(ref.url) };
  const notes = [];

  log('Obtaining tokens through DCR + PKCE + consent…');
  const auth = {
    reference: { tokenPath: flows.reference.tokenPath, resource: flows.reference.resource },
    gatehouse: { tokenPath: flows.gatehouse.tokenPath, resource: flows.gatehouse.resource },
    bare: {},
  };
  auth.reference.mcp = await flows.reference.grant('mcp');
  const available = {
    reference: new Set(['call', 'list', 'unauth', 'refresh']),
    gatehouse: new Set(['unauth']),
    bare: new Set(),
  };
  const firstLine = (err) => String(err?.message ?? err).split('\n')[0];
  try {
    auth.gatehouse.mcp = await flows.gatehouse.grant('mcp');
    for (const w of ['call', 'modern', 'list', 'refresh']) available.gatehouse.add(w);
  } catch (err) {
    notes.push(`Gatehouse OAuth flow unavailable: ${firstLine(err)}`);
  }
  if (auth.gatehouse.mcp) {
    try {
      auth.gatehouse.api = await flows.gatehouse.grant('api');
      available.gatehouse.add('rest');
    } catch (err) {
      notes.push(`Gatehouse REST v1 workload skipped: ${firstLine(err)}`);
    }
  }
  try {
    await flows.gatehouse.signUp();
    await flows.gatehouse.verifyEmail();
    auth.gatehouse.pat = await flows.gatehouse.pat();
    if (auth.gatehouse.pat) available.gatehouse.add('pat');
    else notes.push('Gatehouse PAT workload skipped: /settings/api does not exist yet.');
  } catch (err) {
    notes.push(`Gatehouse PAT workload skipped: ${firstLine(err)}`);
  }

  // One answer per (target, workload), twice: the first is the expected answer; if both are
  // byte-identical every later answer must equal it, otherwise answers are shape-checked.
  log('Capturing the expected answers…');
  const expected = { gatehouse: {}, reference: {}, bare: {} };
  async function capture(target, base) {
    for (const w of WORKLOADS) {
      if (!available[target].has(w.id)) continue;
      const make = requestFor(w.id, target, auth[target]);
      const state = w.id === 'refresh' && target !== 'bare' ? (await chains(flows[target], 1))[0] : {};
      const a = await once(base, make(state));
      if (w.id === 'refresh' && target !== 'bare') state.refreshToken = JSON.parse(a.body).refresh_token;
      const b = await once(base, make(state));
      const problem =
        a.status !== EXPECT_STATUS[w.id]
          ? `status ${a.status}: ${a.body.slice(0, 300)}`
          : SHAPES[w.id](a.body, a.headers);
      if (problem) {
        available[target].delete(w.id);
        notes.push(`${target} ${w.id}: wrong first answer (${problem}); workload skipped for it.`);
        continue;
      }
      expected[target][w.id] = {
        status: a.status,
        headers: a.headers,
        body: a.body,
        exact: w.id !== 'refresh' && a.body === b.body,
      };
    }
  }
  await capture('reference', ref.url);
  await capture('gatehouse', gh.url);

  // The bare Worker answers Gatehouse's bytes (the reference's where Gatehouse has none).
  const bodies = {};
  for (const w of WORKLOADS) {
    const src =
      expected.gatehouse[w.id] ??
      expected.reference[w.id] ??
      expected.gatehouse.call ??
      expected.reference.call;
    if (!src) continue;
    const headers = { 'content-type': src.headers['content-type'] ?? 'application/json' };
    if (src.headers['www-authenticate']) headers['www-authenticate'] = src.headers['www-authenticate'];
    if (src.headers['cache-control']) headers['cache-control'] = src.headers['cache-control'];
    bodies[`/${w.id}`] = { status: src.status, headers, body: src.body };
  }
  log('Starting the bare Worker…');
  servers.bare = await startBare(bodies);
  for (const w of WORKLOADS) {
    if (available.gatehouse.has(w.id) || (w.targets.includes('reference') && available.reference.has(w.id))) {
      available.bare.add(w.id);
    }
  }
  await capture('bare', servers.bare.url);

  const plan = WORKLOADS.filter((w) => !ONLY || ONLY.includes(w.id)).filter((w) =>
    w.targets.some((t) => t !== 'bare' && available[t].has(w.id)),
  );

  async function measure(workload, target, durationSeconds) {
    const exp = expected[target][workload.id];
    const states =
      workload.id === 'refresh' && target !== 'bare'
        ? await chains(flows[target], OPTS.connections)
        : undefined;
    const verify =
      workload.id === 'refresh'
        ? (body, headers, state) => {
            const problem = SHAPES.refresh(body, headers);
            if (!problem && target !== 'bare') state.refreshToken = JSON.parse(body).refresh_token;
            return problem;
          }
        : exp.exact
          ? (body, headers) =>
              body === exp.body
                ? workload.id === 'unauth'
                  ? SHAPES.unauth(body, headers)
                  : undefined
                : 'body differs'
          : (body, headers) => SHAPES[workload.id](body, headers);
    return runLoad(
      {
        base: servers[target].url,
        request: requestFor(workload.id, target, auth[target]),
        expectStatus: EXPECT_STATUS[workload.id],
        verify,
        states,
        verifyAll: workload.id === 'refresh' || target === 'bare' || exp.exact,
      },
      { connections: OPTS.connections, durationMs: durationSeconds * 1000, sampleEvery: OPTS.sampleEvery },
    );
  }

  const targetsOf = (w) => TARGETS.filter((t) => w.targets.includes(t) && available[t].has(w.id));

  log(`Warm-up: ${OPTS.warmupSeconds} s per workload and target…`);
  const warmup = {};
  for (const w of plan) {
    for (const t of targetsOf(w)) {
      const r = await measure(w, t, OPTS.warmupSeconds);
      warmup[`${w.id}/${t}`] = { rps: r.rps, errors: r.errors, errorSamples: r.errorSamples };
    }
  }

  const rounds = [];
  for (let round = 0; round < OPTS.rounds; round++) {
    const runs = {};
    for (const w of plan) {
      // Rotate the order each round so that machine drift hits every target alike.
      const ts = targetsOf(w);
      const order = ts.map((_, i) => ts[(i + round) % ts.length]);
      for (const t of order) {
        const r = await measure(w, t, OPTS.seconds);
        runs[`${w.id}/${t}`] = r;
        log(
          `round ${round + 1}/${OPTS.rounds} ${w.id.padEnd(7)} ${t.padEnd(9)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}${r.errors ? ` (${r.errorSamples[0]})` : ''}`,
        );
      }
    }
    rounds.push(runs);
  }
  const loadAfter = os.loadavg();
  await stopAll();

  const result = summarise({
    generatedAt: new Date().toISOString(),
    command: 'npm run bench',
    options: OPTS,
    machine: machine(),
    loadavg: { before: loadBefore, after: loadAfter },
    versions: {
      wrangler: (
        await import(join(ROOT, 'node_modules', 'wrangler', 'package.json'), { with: { type: 'json' } })
      ).default.version,
      referenceLibrary: (
        await import(
          join(
            ROOT,
            'bench',
            'reference',
            'node_modules',
            '@cloudflare',
            'workers-oauth-provider',
            'package.json',
          ),
          {
            with: { type: 'json' },
          }
        )
      ).default.version,
    },
    workloads: plan.map((w) => ({ id: w.id, label: w.label, targets: targetsOf(w) })),
    rounds,
    warmup,
    bundles,
    notes,
    durationSeconds: (Date.now() - started) / 1000,
  });
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(OUT, 'latest.md'), renderMarkdown(result));
  writeFileSync(join(OUT, 'latest.svg'), renderSvg(result));
  console.log(`\n${renderMarkdown(result)}`);
  log(`Wrote ${join(OUT, 'latest.{md,json,svg}')}`);
  const errors = Object.values(result.figures).reduce(
    (n, f) => n + Object.values(f).reduce((m, t) => m + t.errors, 0),
    0,
  );
  if (errors > 0) {
    console.error(`${errors} wrong answers during the measured rounds.`);
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
