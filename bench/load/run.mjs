// Sustained mixed load against a real `wrangler dev` of Gatehouse (the same Worker `npm run dev`
// serves, started by bench/lib/targets.mjs in its own process group with a temporary state folder):
// tools/call, tools/list, REST reads, token refreshes and sign-ins, in closed keep-alive loops.
// Every answer's status is checked and every answer's body is verified (each kind has a cheap
// exact check). Every 5 s it samples the RSS of both workerd processes (wrangler's proxy, and the
// runtime that hosts the Worker's isolate together with local D1 and KV) and, through the inspector,
// the V8 heap of the Worker's isolate. Usage:
//   npm run bench:load                       (60 s, 16 connections)
//   LOAD_SECONDS=60 LOAD_CONNECTIONS=32 npm run bench:load
//   LOAD_HEAP_SNAPSHOTS=/some/dir npm run bench:load   (heap snapshots half-way and at the end)
//   LOAD_KINDS=list,call npm run bench:load              (only some kinds of the mix)
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { gatehouseFlow, hiddenFields, refreshBody } from '../lib/flows.mjs';
import { connectInspector } from '../lib/inspector.mjs';
import { percentile, send } from '../lib/load.mjs';
import { stopAll } from '../lib/servers.mjs';
import { startGatehouse } from '../lib/targets.mjs';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 16);
const SNAPSHOT_DIR = process.env.LOAD_HEAP_SNAPSHOTS;
const PROJECT_TITLE = `load-project-${Date.now().toString(36)}`;

/** The mix, as a repeating schedule of 20 slots (weights: 7 call, 4 list, 4 REST, 3 refresh, 2 sign-in). */
const MIX = [
  'call',
  'list',
  'rest',
  'call',
  'refresh',
  'call',
  'list',
  'rest',
  'login',
  'call',
  'list',
  'rest',
  'call',
  'refresh',
  'call',
  'list',
  'rest',
  'login',
  'call',
  'refresh',
];
const KINDS = process.env.LOAD_KINDS?.split(',');
const SCHEDULE = KINDS ? MIX.filter((kind) => KINDS.includes(kind)) : MIX;
if (SCHEDULE.length === 0) throw new Error(`LOAD_KINDS names none of ${[...new Set(MIX)].join(', ')}`);

/**
 * RSS in KiB of the process group's two workerd processes: `runtime` runs the Worker's isolate and
 * the local D1/KV simulators (it is the one started with an inspector address), `proxy` is wrangler's
 * request and inspector proxy.
 */
function workerdRssKb(pgid) {
  const rss = { runtime: 0, proxy: 0 };
  try {
    const out = execFileSync('ps', ['-eo', 'pgid=,rss=,args='], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const [g, kb, ...args] = line.trim().split(/\s+/);
      if (Number(g) !== pgid || !args[0]?.endsWith('/workerd')) continue;
      rss[args.some((a) => a.startsWith('--inspector-addr')) ? 'runtime' : 'proxy'] += Number(kb);
    }
  } catch {
    return { runtime: Number.NaN, proxy: Number.NaN };
  }
  return rss;
}

/** The Worker isolate's used V8 heap in KiB, or NaN if the inspector did not answer. */
async function heapKb(inspector) {
  try {
    return (await inspector.heapUsage()).usedSize / 1024;
  } catch {
    return Number.NaN;
  }
}

const rpc = (method, params) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params ? { params } : {}) });
const LIST_BODY = rpc('tools/list');
const CALL_BODY = rpc('tools/call', { name: 'listMyProjects', arguments: {} });

async function setUp(base) {
  const flow = gatehouseFlow(base);
  await flow.signUp();
  await flow.verifyEmail();
  const pat = await flow.pat();
  const created = await fetch(`${base}/api/v1/projects`, {
    method: 'POST',
    headers: { authorization: `Bearer ${pat}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: PROJECT_TITLE }),
  });
  if (created.status !== 201) throw new Error(`POST /api/v1/projects: HTTP ${created.status}`);
  const grants = [];
  for (let i = 0; i < CONNECTIONS; i++) grants.push(await flow.grant('mcp'));
  // A second account for the sign-in share of the mix, created through the sign-up form.
  const email = `load-${Date.now().toString(36)}@example.com`;
  const password = `load-password-${Math.random().toString(36).slice(2)}`;
  const signup = await fetch(`${base}/signup`);
  const signupCookie = signup.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const made = await fetch(`${base}/signup`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: signupCookie },
    body: new URLSearchParams({ ...hiddenFields(await signup.text()), email, password }).toString(),
  });
  if (made.status !== 303) throw new Error(`POST /signup: HTTP ${made.status}`);
  // A pre-session CSRF cookie and token, reused by every sign-in.
  const login = await fetch(`${base}/login`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = hiddenFields(await login.text()).csrf_token;
  return { pat, grants, cookie, csrf, email, password };
}

function requestFor(kind, s, env) {
  const mcp = (token, body) => ({
    path: '/mcp',
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body,
  });
  switch (kind) {
    case 'call':
      return mcp(s.accessToken, CALL_BODY);
    case 'list':
      return mcp(s.accessToken, LIST_BODY);
    case 'rest':
      return { path: '/api/v1/me/projects', method: 'GET', headers: { authorization: `Bearer ${env.pat}` } };
    case 'refresh':
      return {
        path: '/oauth2/token',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: refreshBody(s.refreshToken, s.clientId, `${env.base}/mcp`),
      };
    case 'login':
      return {
        path: '/login',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: env.cookie },
        body: new URLSearchParams({
          email: env.email,
          password: env.password,
          csrf_token: env.csrf,
        }).toString(),
      };
  }
}

const mib = (samples, key, digits = 0) => samples.map((s) => (s[key] / 1024).toFixed(digits)).join(' ');

const EXPECT = { call: 200, list: 200, rest: 200, refresh: 200, login: 303 };

/** Returns an error description, or undefined when the answer is exactly right. */
function verify(kind, res, s) {
  if (res.status !== EXPECT[kind]) return `${kind}: status ${res.status}: ${res.body.slice(0, 200)}`;
  switch (kind) {
    case 'call': {
      const body = JSON.parse(res.body);
      if (body.result?.isError || !JSON.stringify(body.result).includes(PROJECT_TITLE))
        return `call: wrong answer ${res.body.slice(0, 200)}`;
      return undefined;
    }
    case 'list': {
      const names = JSON.parse(res.body).result?.tools?.map((t) => t.name) ?? [];
      return names.includes('createProject') && names.includes('listMyProjects')
        ? undefined
        : 'list: tools missing';
    }
    case 'rest': {
      const body = JSON.parse(res.body);
      return body.ok === true && res.body.includes(PROJECT_TITLE)
        ? undefined
        : `rest: wrong answer ${res.body.slice(0, 200)}`;
    }
    case 'refresh': {
      const body = JSON.parse(res.body);
      if (!body.access_token || !body.refresh_token || body.refresh_token === s.refreshToken)
        return 'refresh: no new pair';
      s.accessToken = body.access_token;
      s.refreshToken = body.refresh_token;
      return undefined;
    }
    case 'login': {
      const cookies = [res.headers['set-cookie'] ?? []].flat();
      return cookies.some((c) => c.startsWith('__Host-gh_session=')) ? undefined : 'login: no session cookie';
    }
  }
}

async function main() {
  console.log(`Starting Gatehouse (wrangler dev) …`);
  // wrangler's local explorer and local observability (a trace of every request, kept in a local
  // store) are development aids with no counterpart in production; they would add their own memory to
  // the runtime's RSS, so the load run turns them off.
  const server = await startGatehouse({ env: { X_LOCAL_EXPLORER: 'false', X_LOCAL_OBSERVABILITY: 'false' } });
  const base = server.url;
  try {
    const setup = await setUp(base);
    const env = { ...setup, base };
    const states = setup.grants.map((g) => ({
      accessToken: g.access_token,
      refreshToken: g.refresh_token,
      clientId: g.clientId,
    }));

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS });
    const perKind = Object.fromEntries(Object.keys(EXPECT).map((k) => [k, { n: 0, lat: [], errors: 0 }]));
    const all = [];
    let fiveXx = 0;
    const errorSamples = [];
    const inspector = await connectInspector(server.inspectorPort);
    const sample = async () => ({ ...workerdRssKb(server.child.pid), heap: await heapKb(inspector) });
    const samples = [await sample()];
    const start = performance.now();
    const end = start + SECONDS * 1000;
    const sampler = setInterval(async () => samples.push(await sample()), 5000);
    const snapshots = [];
    const snapshot = async (name) => {
      mkdirSync(SNAPSHOT_DIR, { recursive: true });
      const file = join(SNAPSHOT_DIR, `gatehouse-${name}.heapsnapshot`);
      await inspector.takeHeapSnapshot(file);
      snapshots.push(file);
    };
    const halfway = SNAPSHOT_DIR
      ? setTimeout(() => snapshot('halfway').catch((err) => console.error(err.message)), (SECONDS * 1000) / 2)
      : undefined;

    async function loop(i) {
      const s = states[i];
      let slot = i;
      while (performance.now() < end) {
        const kind = SCHEDULE[slot++ % SCHEDULE.length];
        const req = requestFor(kind, s, env);
        const t0 = performance.now();
        let res;
        try {
          res = await send(agent, `${base}${req.path}`, req);
        } catch (err) {
          perKind[kind].errors += 1;
          if (errorSamples.length < 5) errorSamples.push(`${kind}: ${err.message}`);
          continue;
        }
        const ms = performance.now() - t0;
        perKind[kind].n += 1;
        perKind[kind].lat.push(ms);
        all.push(ms);
        if (res.status >= 500) fiveXx += 1;
        const problem = verify(kind, res, s);
        if (problem) {
          perKind[kind].errors += 1;
          if (errorSamples.length < 5) errorSamples.push(problem);
        }
      }
    }
    await Promise.all(states.map((_, i) => loop(i)));
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    clearTimeout(halfway);
    samples.push(await sample());
    if (SNAPSHOT_DIR) await snapshot('end');
    inspector.close();
    agent.destroy();
    all.sort((a, b) => a - b);
    const row = (name, lat, n, errors) => {
      lat.sort((a, b) => a - b);
      return `| ${name} | ${n} | ${(n / seconds).toFixed(1)} | ${percentile(lat, 50).toFixed(1)} | ${percentile(lat, 99).toFixed(1)} | ${errors} |`;
    };
    const errors = Object.values(perKind).reduce((s, k) => s + k.errors, 0);
    const lines = [
      `Mixed load: ${CONNECTIONS} connections, ${seconds.toFixed(1)} s, node ${process.version}`,
      '',
      '| kind | requests | req/s | p50 ms | p99 ms | errors |',
      '|---|---:|---:|---:|---:|---:|',
      ...Object.entries(perKind).map(([k, v]) => row(k, v.lat, v.n, v.errors)),
      row('**all**', all, all.length, errors),
      '',
      `5xx: ${fiveXx}; wrong answers or transport errors: ${errors}`,
      `every 5 s, MiB — workerd runtime RSS: ${mib(samples, 'runtime')}`,
      `                 workerd proxy RSS:   ${mib(samples, 'proxy')}`,
      `                 Worker isolate heap: ${mib(samples, 'heap', 1)}`,
      ...snapshots.map((f) => `heap snapshot: ${f}`),
    ];
    if (errorSamples.length) lines.push(`error samples: ${JSON.stringify(errorSamples)}`);
    console.log(lines.join('\n'));
    if (fiveXx > 0 || errors > 0) process.exitCode = 1;
  } finally {
    await stopAll();
  }
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
