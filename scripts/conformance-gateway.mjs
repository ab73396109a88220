// `npm run conformance:gateway`: the MCP conformance suite's frozen requirement sets
// (`server --requirements 2026-07-28` and `--requirements 2025-11-25`) run twice each: once directly
// against the fixture upstream (test/fixtures/upstream/, the suite's reference tools, resources and
// prompts), and once through Gatehouse, with the fixture behind an EMPTY prefix so that its names
// reach the suite unchanged. The gateway must pass every scenario the fixture passes directly; the
// run fails (exit 1) when it does not, and writes both tables into docs/conformance.md (its own
// marked section).
//
// Gatehouse is a fresh `npm run dev` (own port, own state); the suite reaches it through the
// token-adding proxy (scripts/lib/token-proxy.mjs) with an access token obtained by the real
// sign-up → registration → consent → token flow (scripts/lib/access-token.mjs).
//
// Usage: npm run conformance:gateway [-- --out docs/conformance.md] [--results <dir>]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { obtainAccessToken } from './lib/access-token.mjs';
import { runRequirements, suiteVersion } from './lib/conformance-suite.mjs';
import { freePort, startDevServer } from './lib/dev-server.mjs';
import { startFixtureUpstream } from './lib/fixture-upstream.mjs';
import { startTokenProxy } from './lib/token-proxy.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: { out: { type: 'string', default: 'docs/conformance.md' }, results: { type: 'string' } },
});

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(
    `The conformance suite needs Node 22 or newer (this is ${process.version}); run it through npm.`,
  );
  process.exit(2);
}

const REVISIONS = ['2026-07-28', '2025-11-25'];

/**
 * Scenarios the fixture passes directly that the gateway knowingly does not, each with its reason.
 * The run fails on any other such scenario; an entry that passes again is reported as stale.
 */
const KNOWN_GAPS = {
  '2026-07-28': {
    'server-stateless':
      "Gatehouse's own /mcp, not the gateway: a request under the modern header without `_meta` (or without its protocol version) is answered as a 2025 one (-32601) instead of -32602 with HTTP 400; and an upstream's -32021 reaches the client without its `data` (requiredCapabilities), which the upstream client does not keep",
    'completion-complete': '`completion/complete` is not routed to upstreams',
  },
  '2025-11-25': {
    'completion-complete': '`completion/complete` is not routed to upstreams',
    'logging-set-level':
      'the stateless 2025 leg has no session to keep a log level in, and does not offer `logging`',
    'tools-call-with-logging': 'same: upstream log notifications are not passed on',
    'tools-call-sampling':
      'a 2025 server-to-client request needs the answer, which arrives in another HTTP request, routed back to the call waiting for it: state a stateless gateway does not keep (2026-07-28 clients get the same requests as `input_required`, which passes)',
    'tools-call-elicitation': 'same as tools-call-sampling',
    'elicitation-sep1034-defaults': 'same as tools-call-sampling',
    'elicitation-sep1330-enums': 'same as tools-call-sampling',
    'resources-subscribe':
      'subscriptions need a session and a stream to notify on; the 2025 leg is stateless',
    'resources-unsubscribe': 'same as resources-subscribe',
  },
};
// --results keeps the suite's checks.json files there; otherwise they go to a temporary folder.
const results = args.results
  ? resolve(args.results)
  : mkdtempSync(join(tmpdir(), 'gatehouse-conformance-gateway-'));

/** Both requirement sets against one URL, one after the other (the suite runs a set's scenarios in turn). */
async function runBoth(url, label) {
  const out = {};
  for (const revision of REVISIONS) {
    out[revision] = await runRequirements(url, revision, join(results, `${label}-${revision}`));
    const failing = out[revision].scenarios.filter((s) => s.failed > 0).length;
    console.log(
      `${label} ${revision}: ${out[revision].scenarios.length} scenarios, ${failing} with failed checks`,
    );
  }
  return out;
}

async function throughGateway(fixture) {
  const proxyPort = await freePort();
  const devPort = await freePort();
  const proxyOrigins = [`http://127.0.0.1:${proxyPort}`, `http://localhost:${proxyPort}`];
  const dev = await startDevServer({
    port: devPort,
    vars: {
      // The issuer and audience stay the dev server's own URL; the proxy's origin is an allowed one
      // (the dns-rebinding-protection scenario sends it as Origin).
      PUBLIC_URL: `http://127.0.0.1:${devPort}`,
      ALLOWED_ORIGINS: proxyOrigins.join(','),
      UPSTREAM_ALLOW_HTTP_LOOPBACK: 'true',
      GATEHOUSE_UPSTREAMS: JSON.stringify([
        { id: 'fixture', name: 'Fixture', url: fixture.url, prefix: '', auth: { type: 'none' } },
      ]),
    },
  });
  let proxy;
  try {
    const token = await obtainAccessToken(dev.url, 'conformance-gateway');
    proxy = await startTokenProxy(proxyPort, dev.url, token);
    return await runBoth(`http://127.0.0.1:${proxyPort}/mcp`, 'gateway');
  } finally {
    proxy?.close();
    await dev.stop();
  }
}

const fixture = await startFixtureUpstream();
let direct;
let gateway;
try {
  // The two legs share nothing but the fixture, so they run side by side.
  [direct, gateway] = await Promise.all([runBoth(fixture.url, 'direct'), throughGateway(fixture)]);
} finally {
  await fixture.stop();
}

const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s+/g, ' ')
    .trim();
const outcome = (s) =>
  s ? `${s.failed === 0 ? 'pass' : 'FAIL'} (${s.passed}/${s.passed + s.failed})` : 'not run';

/** Scenarios the fixture passes directly that the gateway does not: unexpected, and known. */
const regressions = [];
const gaps = [];
const stale = [];
const sections = [];
for (const revision of REVISIONS) {
  const byName = new Map(gateway[revision].scenarios.map((s) => [s.scenario, s]));
  const rows = direct[revision].scenarios.map((d) => {
    const g = byName.get(d.scenario);
    const regressed = d.failed === 0 && (!g || g.failed > 0);
    const known = KNOWN_GAPS[revision]?.[d.scenario];
    if (regressed && !known) regressions.push({ revision, scenario: d.scenario, checks: g?.checks ?? [] });
    if (regressed && known) gaps.push({ revision, scenario: d.scenario, known, checks: g?.checks ?? [] });
    if (!regressed && known) stale.push({ revision, scenario: d.scenario });
    return { d, g, regressed, known };
  });
  const scored = rows.filter((r) => r.d.scored);
  const count = (list, leg) => list.filter((r) => r[leg] && r[leg].failed === 0).length;
  const checks = (leg) => rows.reduce((n, r) => n + (r[leg]?.passed ?? 0), 0);
  const total = (leg) => rows.reduce((n, r) => n + (r[leg] ? r[leg].passed + r[leg].failed : 0), 0);
  sections.push(
    `### \`--requirements ${revision}\``,
    '',
    `Scored scenarios passed: directly ${count(scored, 'd')} of ${scored.length}, through the gateway ${count(scored, 'g')} of ${scored.length}. ` +
      `Checks passed: directly ${checks('d')} of ${total('d')}, through the gateway ${checks('g')} of ${total('g')}.`,
    '',
    '| scenario | scored | fixture directly | through the gateway |',
    '|---|---|---|---|',
    ...rows.map(
      ({ d, g, regressed, known }) =>
        `| \`${d.scenario}\` | ${d.scored ? 'yes' : `no (${cell(d.notScoredReason)})`} | ${outcome(d)} | ${outcome(g)}${regressed ? (known ? ' — known gap' : ' — regression') : ''} |`,
    ),
    '',
  );
}

const START = '<!-- conformance:gateway:start -->';
const END = '<!-- conformance:gateway:end -->';
const body = [
  START,
  '## Through the gateway',
  '',
  'Results of `npm run conformance:gateway` (`scripts/conformance-gateway.mjs`): the official suite',
  `\`@modelcontextprotocol/conformance@${suiteVersion}\` (the npm alias \`conformance-alpha\`), each frozen`,
  'requirement set run once directly against the fixture upstream (`test/fixtures/upstream/`: the',
  "suite's reference tools, resources and prompts on `@modelcontextprotocol/server` 2.4) and once",
  'through `/mcp` of a fresh `npm run dev` that has the fixture as its only upstream, behind an empty',
  "prefix, so the suite sees the fixture's names unchanged. The suite reaches Gatehouse through a local",
  'proxy that adds a Bearer token obtained by the real sign-up → registration → consent → token flow.',
  'Gatehouse lists its own tools beside the fixture’s. The script fails when a scenario the fixture',
  'passes directly fails through the gateway. Counts are scenarios with no failed check (checks passed',
  'of checks run); scenarios that fail directly too (the `tasks-*` extension, pending ones) are shown',
  'but not required.',
  '',
  `Last run: ${new Date().toISOString().slice(0, 10)} — ${regressions.length} unexpected regression(s), ${gaps.length} known gap(s) through the gateway.`,
  '',
  ...sections,
];
if (gaps.length > 0) {
  body.push(
    '### Known gaps',
    '',
    'Scenarios the fixture passes directly and the gateway does not yet, with the reason and the checks that fail.',
    '',
  );
  for (const r of gaps) {
    const failed = r.checks.filter((c) => c.status === 'FAILURE').map((c) => `\`${c.id}\``);
    body.push(
      `- ${r.revision} \`${r.scenario}\`: ${cell(r.known)} (failed: ${[...new Set(failed)].join(', ') || 'no result'})`,
    );
  }
  body.push('');
}
if (regressions.length > 0) {
  body.push('### Checks that fail only through the gateway', '');
  for (const r of regressions) {
    const failed = r.checks.filter((c) => c.status === 'FAILURE');
    if (failed.length === 0) body.push(`- ${r.revision} \`${r.scenario}\`: no result through the gateway`);
    for (const c of failed) {
      body.push(`- ${r.revision} \`${r.scenario}\` / \`${c.id}\`: ${cell(c.errorMessage ?? c.description)}`);
    }
  }
  body.push('');
}
body.push(END, '');

/** Replaces this script's section between its markers, or appends it; other sections stay as they are. */
function writeSection(path, text) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // a new file
  }
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start !== -1 && end > start
      ? current.slice(0, start) + text + current.slice(end + END.length + 1)
      : `${current.trimEnd()}${current ? '\n\n' : ''}${text}`;
  writeFileSync(path, next);
}

writeSection(resolve(root, args.out), body.join('\n'));
console.log(`Wrote ${args.out}`);
for (const r of regressions) console.log(`REGRESSION ${r.revision} ${r.scenario}`);
for (const r of gaps) console.log(`known gap ${r.revision} ${r.scenario}`);
for (const r of stale)
  console.log(`STALE known gap (passes now; remove it from KNOWN_GAPS): ${r.revision} ${r.scenario}`);
if (!args.results) rmSync(results, { recursive: true, force: true });
process.exit(regressions.length === 0 ? 0 : 1);
