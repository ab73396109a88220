// `node bench/profile.mjs`: where a Worker spends its CPU on the authenticated tools/call and
// tools/list workloads. Takes a V8 CPU profile of Gatehouse and of the reference through wrangler
// dev's inspector while the load loop runs, and sums self time by package/file and by function.
// Writes bench/results/profile.md. Options: PROFILE_SECONDS (6), PROFILE_WORKLOADS (call,list).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatehouseFlow, referenceFlow } from './lib/flows.mjs';
import { runLoad } from './lib/load.mjs';
import { ROOT, stopAll } from './lib/servers.mjs';
import { ensureReferenceInstalled, startGatehouse, startReference } from './lib/targets.mjs';
import { EXPECT_STATUS, requestFor, SHAPES } from './lib/workloads.mjs';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 6);
const WORKLOADS = (process.env.PROFILE_WORKLOADS ?? 'call,list').split(',');

async function inspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  // wrangler's inspector proxy only accepts DevTools-like origins.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: 'http://localhost' } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      id += 1;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 30_000);
      pending.set(id, (msg) => {
        clearTimeout(timer);
        msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

function bucketOf(url) {
  if (!url) return '(runtime)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)(?:\/dist\/(?:esm\/)?)?([^?]*)/.exec(url);
  if (m) {
    const pkg = m[1];
    const sub = m[2] ?? '';
    if (pkg === '@modelcontextprotocol/server' || pkg === 'zod')
      return `${pkg}/${sub.split('/').slice(0, 2).join('/')}`;
    return pkg;
  }
  const src = /(src\/[^?]*|bench\/[^?]*)/.exec(url);
  return src ? src[1] : url.replace(/^.*\//, '');
}

function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const buckets = new Map();
  const fns = new Map();
  let idle = 0;
  for (const [nodeId, us] of self) {
    const { callFrame } = byId.get(nodeId);
    if (callFrame.functionName === '(idle)' || callFrame.functionName === '(program)') {
      idle += us;
      continue;
    }
    const b = bucketOf(callFrame.url);
    buckets.set(b, (buckets.get(b) ?? 0) + us);
    const f = `${callFrame.functionName || '(anonymous)'} — ${b}:${callFrame.lineNumber + 1}`;
    fns.set(f, (fns.get(f) ?? 0) + us);
  }
  const busy = total - idle;
  const top = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ name: k, ms: us / 1000, share: us / busy }));
  return { totalMs: total / 1000, busyMs: busy / 1000, buckets: top(buckets, 14), functions: top(fns, 14) };
}

async function profileOne(server, workload, target, auth) {
  const insp = await inspector(server.inspectorPort);
  await insp.send('Profiler.enable');
  await insp.send('Profiler.setSamplingInterval', { interval: 200 });
  // Warm up, then profile a measured run.
  const w = {
    base: server.url,
    request: requestFor(workload, target, auth),
    expectStatus: EXPECT_STATUS[workload],
    verify: (body, headers) => SHAPES[workload](body, headers),
  };
  await runLoad(w, { connections: 10, durationMs: 2000 });
  await insp.send('Profiler.start');
  const load = await runLoad(w, { connections: 10, durationMs: SECONDS * 1000 });
  const { profile } = await insp.send('Profiler.stop');
  insp.close();
  return { load, summary: summarise(profile) };
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;

try {
  ensureReferenceInstalled();
  const [gh, ref] = await Promise.all([startGatehouse(), startReference()]);
  const auth = {
    gatehouse: { mcp: await gatehouseFlow(gh.url).grant('mcp') },
    reference: { mcp: await referenceFlow(ref.url).grant('mcp') },
  };
  const lines = ['# CPU profile of the authenticated MCP hot path', ''];
  lines.push(
    `Generated ${new Date().toISOString()} by \`node bench/profile.mjs\`: V8 sampling profile (200 µs) of each Worker's isolate through the wrangler dev inspector during ${SECONDS} s of load at 10 connections. Self time, as a share of the isolate's busy (non-idle) time. Profiling slows the isolate; compare shares, not absolute rates.`,
  );
  for (const workload of WORKLOADS) {
    for (const [target, server] of [
      ['gatehouse', gh],
      ['reference', ref],
    ]) {
      const { load, summary } = await profileOne(server, workload, target, auth[target]);
      const perRequest = summary.busyMs / load.requests;
      lines.push('', `## ${workload} — ${target}`, '');
      lines.push(
        `${load.requests} requests (${load.rps.toFixed(0)} req/s under the profiler, ${load.errors} errors); isolate busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms → **${perRequest.toFixed(3)} ms CPU per request**.`,
      );
      lines.push('', '| package / file | ms | share |', '|---|--:|--:|');
      for (const b of summary.buckets) lines.push(`| ${b.name} | ${b.ms.toFixed(0)} | ${pct(b.share)} |`);
      lines.push('', '| function (self time) | ms | share |', '|---|--:|--:|');
      for (const f of summary.functions) lines.push(`| ${f.name} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`);
      console.log(`${workload} ${target}: ${perRequest.toFixed(3)} ms CPU/request`);
    }
  }
  writeFileSync(join(ROOT, 'bench', 'results', 'profile.md'), `${lines.join('\n')}\n`);
  console.log('Wrote bench/results/profile.md');
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await stopAll();
}
