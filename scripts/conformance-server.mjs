// `npm run conformance`: runs the official MCP conformance suite's frozen per-revision requirement
// sets (`server --requirements 2026-07-28` and `--requirements 2025-11-25`, from
// @modelcontextprotocol/conformance 0.2.0-alpha, installed as the npm alias `conformance-alpha`)
// against /mcp, and writes the tables into docs/conformance.md.
//
// The suite connects without credentials and has no header option, so a small proxy on 127.0.0.1
// adds `Authorization: Bearer <token>` and passes everything else (Host and Origin included) through
// unchanged. The token is obtained the way any client gets one: a new account signs up through the
// real pages, a client registers (RFC 7591), the person approves on the consent page, and the code is
// exchanged with PKCE at the token endpoint. Nothing test-only exists in the server for this.
//
// Which failures are acceptable is data, not code: scripts/conformance-expectations.json lists, per
// revision, the scored scenarios that do not apply to a server with Gatehouse's own tools (they call
// the reference fixture's tools, prompts and resources) and those waiting for a server change, each
// with its reason. The run fails (exit 1) when any OTHER scored scenario has a failed check, or when
// the expectations name a scenario the requirement set does not hold. Listed scenarios that pass
// are reported as stale entries, so the list can only be tightened.
//
// Usage: npm run conformance [-- --url http://127.0.0.1:8787] [--out docs/conformance.md]
//                            [--revision 2026-07-28 --revision 2025-11-25]
//   Without --url a fresh `npm run dev` is started on a free port with its own local state.
//   With --url, that server must list the proxy's origin in ALLOWED_ORIGINS for the
//   dns-rebinding-protection scenario's "valid localhost" check; the script prints it.
// Prints one line `CONFORMANCE {json}` per revision with the counts. After writing the docs copy,
// `npm run format` lays its tables out as the linter wants them.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Browser, check, field } from './lib/access-token.mjs';
import { freePort, startDevServer } from './lib/dev-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    out: { type: 'string', default: 'docs/conformance.md' },
    revision: { type: 'string', multiple: true, default: ['2026-07-28', '2025-11-25'] },
    expectations: { type: 'string', default: join(root, 'scripts', 'conformance-expectations.json') },
  },
});

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(
    `The conformance suite needs Node 22 or newer (this is ${process.version}); run it through npm.`,
  );
  process.exit(2);
}

const suiteRoot = join(root, 'node_modules', 'conformance-alpha');
const suiteBin = join(suiteRoot, 'dist', 'index.js');
const suiteVersion = JSON.parse(readFileSync(join(suiteRoot, 'package.json'), 'utf8')).version;

/**
 * The expectations file, per revision: `notApplicable` {scenario: reason} (the whole scenario needs
 * the reference fixture), `notApplicableChecks` {scenario: {check id: reason}} (single checks of an
 * otherwise applicable scenario that need a fixture tool), and `awaitingServer` {scenario: reason}.
 * Every other scored scenario must pass, every other check of it must not fail.
 */
function readExpectations(path) {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const out = {};
  for (const revision of args.revision) {
    const entry = json.revisions?.[revision] ?? {};
    out[revision] = {
      notApplicable: new Map(Object.entries(entry.notApplicable ?? {})),
      notApplicableChecks: new Map(
        Object.entries(entry.notApplicableChecks ?? {}).map(([scenario, checks]) => [
          scenario,
          new Map(Object.entries(checks)),
        ]),
      ),
      awaitingServer: new Map(Object.entries(entry.awaitingServer ?? {})),
    };
  }
  return out;
}

/** Sign-up → DCR → authorize → consent → token, exactly as a person and a public client would. */
async function obtainAccessToken(base) {
  const browser = new Browser(base);
  const signup = await (await browser.request('/signup')).text();
  const email = `conformance-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `conformance ${randomBytes(8).toString('hex')}`;
  const created = await browser.postForm('/signup', {
    email,
    password,
    csrf_token: field(signup, 'csrf_token') ?? '',
  });
  check(created.status === 303, `sign-up answered ${created.status}`);
  // Sign-up never signs in (its answer must not tell who has an account): sign in next.
  const login = await (await browser.request('/login')).text();
  const signedIn = await browser.postForm('/login', {
    email,
    password,
    csrf_token: field(login, 'csrf_token') ?? '',
  });
  check(signedIn.status === 303, `sign-in answered ${signedIn.status}`);

  const redirectUri = 'http://127.0.0.1:9/callback';
  const registration = await fetch(`${base}/oauth2/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Gatehouse conformance runner',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  check(registration.status === 201, `registration answered ${registration.status}`);
  const { client_id: clientId } = await registration.json();

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL('/oauth2/authorize', base);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    scope: 'mcp',
    resource: `${base}/mcp`,
  })) {
    authorize.searchParams.set(k, v);
  }
  // Sign-up does not sign in (it answers every address alike), so the person signs in when asked.
  let consent = await browser.request(authorize.href);
  if (consent.status === 303 && consent.headers.get('location')?.startsWith('/login')) {
    const login = consent.headers.get('location');
    const page = await (await browser.request(login)).text();
    const signedIn = await browser.postForm(login, {
      email,
      password,
      csrf_token: field(page, 'csrf_token') ?? '',
    });
    check(signedIn.status === 303, `sign-in answered ${signedIn.status}`);
    consent = await browser.request(signedIn.headers.get('location'));
  }
  check(
    consent.status === 200,
    `authorize answered ${consent.status} ${consent.headers.get('location') ?? ''}`,
  );
  const html = await consent.text();
  const decision = await browser.postForm('/oauth2/authorize', {
    request: field(html, 'request') ?? '',
    csrf_token: field(html, 'csrf_token') ?? '',
    decision: 'approve',
  });
  check(decision.status === 302, `consent answered ${decision.status}`);
  const code = new URL(decision.headers.get('location')).searchParams.get('code');
  check(code, 'no code in the redirect');

  const token = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
      resource: `${base}/mcp`,
    }).toString(),
  });
  check(token.status === 200, `token endpoint answered ${token.status}`);
  const body = await token.json();
  check(typeof body.access_token === 'string', 'no access_token');
  return body.access_token;
}

/** Forwards every request to `target`, adding the Bearer token and keeping Host and Origin as sent. */
function startProxy(port, target, token) {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(out);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function runSuite(suiteArgs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [suiteBin, ...suiteArgs], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * What a requirement set holds, from `conformance list --requirements <revision>`: the scored server
 * scenarios, and the server scenarios it runs but never scores, each with the suite's reason.
 */
async function requirementSet(revision) {
  const { code, output } = await runSuite(['list', '--requirements', revision]);
  if (code !== 0) throw new Error(`conformance list --requirements ${revision} failed:\n${output}`);
  const scored = [];
  const notScored = new Map();
  let section = '';
  let reason = '';
  for (const line of output.split('\n')) {
    if (/^\S/.test(line)) section = line;
    const header = /^ {2}(\S[^(]*) \(\d+\):$/.exec(line);
    if (header) reason = header[1];
    const item = /^ +- (\S+)(?: \[(\w+)\])?$/.exec(line);
    if (!item) continue;
    if (section.startsWith('Server scenarios')) scored.push(item[1]);
    else if (section.startsWith('Run and reported') && item[2] === 'server') notScored.set(item[1], reason);
  }
  if (scored.length === 0) throw new Error(`no server scenarios listed for ${revision}:\n${output}`);
  return { scored, notScored };
}

/** The suite writes `server-<scenario>-<timestamp>/checks.json` per scenario. */
function readResults(dir, names) {
  const byScenario = new Map();
  const longestFirst = [...names].sort((a, b) => b.length - a.length);
  for (const entry of existsSync(dir) ? readdirSync(dir) : []) {
    const scenario = longestFirst.find((n) => entry.startsWith(`server-${n.replace(/\//g, '-')}-`));
    if (!scenario) continue;
    try {
      byScenario.set(scenario, JSON.parse(readFileSync(join(dir, entry, 'checks.json'), 'utf8')));
    } catch {
      byScenario.set(scenario, []);
    }
  }
  return byScenario;
}

/** Counts one scenario's checks; failures of checks set aside as not applicable are kept apart. */
function summarize(checks, setAside) {
  const count = (status) => checks.filter((c) => c.status === status).length;
  const failures = checks.filter((c) => c.status === 'FAILURE');
  return {
    passed: count('SUCCESS'),
    failed: failures.length,
    warnings: count('WARNING'),
    failures: failures.filter((c) => !setAside.has(c.id)),
    setAside: failures.filter((c) => setAside.has(c.id)),
  };
}

/** Runs one requirement set and classifies every scenario it ran against the expectations. */
async function runRevision(revision, url, outDir, expected) {
  const set = await requirementSet(revision);
  const dir = join(outDir, revision);
  mkdirSync(dir, { recursive: true });
  const run = await runSuite(['server', '--url', url, '--requirements', revision, '-o', dir]);
  const names = [...set.scored, ...set.notScored.keys()];
  const results = readResults(dir, names);
  const problems = [];
  const listedScenarios = [
    ...expected.notApplicable.keys(),
    ...expected.notApplicableChecks.keys(),
    ...expected.awaitingServer.keys(),
  ];
  for (const listed of listedScenarios) {
    if (!set.scored.includes(listed)) {
      problems.push(`the expectations list ${listed}, which ${revision} does not score`);
    }
  }
  const rows = names.map((scenario) => {
    const checks = results.get(scenario);
    const setAside = expected.notApplicableChecks.get(scenario) ?? new Map();
    const s = summarize(checks ?? [], setAside);
    const scored = set.scored.includes(scenario);
    const ran = checks !== undefined;
    const ok = ran && s.failures.length === 0;
    let expectation = 'must pass';
    let why = '';
    if (!scored) {
      expectation = `not scored (${set.notScored.get(scenario)})`;
    } else if (expected.notApplicable.has(scenario)) {
      expectation = 'does not apply';
      why = expected.notApplicable.get(scenario);
    } else if (expected.awaitingServer.has(scenario)) {
      expectation = 'awaiting the server';
      why = expected.awaitingServer.get(scenario);
    }
    if (scored && expectation === 'must pass' && !ok) {
      problems.push(`${scenario} ${ran ? `failed ${s.failures.length} check(s)` : 'did not run'}`);
    }
    if (s.setAside.length > 0) {
      const ids = [...new Set(s.setAside.map((c) => c.id))];
      why = [why, ...ids.map((id) => `\`${id}\`: ${setAside.get(id)}`)].filter(Boolean).join('; ');
    }
    return { scenario, scored, ran, ok, expectation, why, ...s };
  });
  const scoredRows = rows.filter((r) => r.scored);
  // Only a waiting entry goes stale: a fixture scenario can pass vacuously against any server.
  const stale = scoredRows
    .filter((r) => r.expectation === 'awaiting the server' && r.ok)
    .map((r) => r.scenario);
  const totals = {
    revision,
    scenarios: scoredRows.length,
    // As the suite itself scores: a scenario passes with no failed check at all.
    scenariosPassed: scoredRows.filter((r) => r.ran && r.failed === 0).length,
    checks: scoredRows.reduce((n, r) => n + r.passed + r.failed, 0),
    checksPassed: scoredRows.reduce((n, r) => n + r.passed, 0),
    mustPass: scoredRows.filter((r) => r.expectation === 'must pass').length,
    mustPassPassed: scoredRows.filter((r) => r.expectation === 'must pass' && r.ok).length,
    suiteExit: run.code,
  };
  return { revision, rows, totals, problems, stale, output: run.output };
}

const START = '<!-- conformance:server:start -->';
const END = '<!-- conformance:server:end -->';

/**
 * Writes this script's part of the report between its markers, leaving whatever else the file holds
 * (other suites' sections, the hand-written history) untouched. A file without the markers gets the
 * block at its start.
 */
function writeReport(path, body) {
  const block = `${START}\n${body}${END}\n`;
  if (!existsSync(path)) {
    writeFileSync(path, block);
    return;
  }
  const current = readFileSync(path, 'utf8');
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start !== -1 && end > start) {
    writeFileSync(path, current.slice(0, start) + block + current.slice(end + END.length + 1));
    return;
  }
  writeFileSync(path, `${block}\n${current}`);
}

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim() || '—';

function revisionSection(result) {
  const { totals, rows } = result;
  const lines = [
    `## \`server --requirements ${result.revision}\``,
    '',
    `Scored scenarios passing: **${totals.scenariosPassed} of ${totals.scenarios}**; scored checks`,
    `passing: **${totals.checksPassed} of ${totals.checks}**. Of the ${totals.mustPass} scenarios that`,
    `must pass, ${totals.mustPassPassed} pass.`,
    '',
    '| scenario | expectation | result | checks passed | failed | warnings | what is set aside, and why |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const result = !r.ran
        ? 'did not run'
        : !r.ok
          ? 'FAIL'
          : r.setAside.length > 0
            ? 'pass (applicable checks)'
            : r.passed === 0
              ? 'no checks failed'
              : 'pass';
      return `| \`${r.scenario}\` | ${r.expectation} | ${result} | ${r.passed} | ${r.failed} | ${r.warnings} | ${cell(r.why)} |`;
    }),
    '',
  ];
  const failures = rows
    .filter((r) => r.expectation === 'must pass' || r.expectation === 'awaiting the server')
    .flatMap((r) =>
      r.failures.map(
        (f) => `- \`${r.scenario}\` (${r.expectation}) / ${f.id}: ${cell(f.errorMessage ?? f.description)}`,
      ),
    );
  if (failures.length) lines.push('Failed checks that are not set aside:', '', ...failures, '');
  if (result.stale.length) {
    lines.push(
      `Set aside but passing now (move them to "must pass" in \`scripts/conformance-expectations.json\`): ${result.stale.map((s) => `\`${s}\``).join(', ')}.`,
      '',
    );
  }
  return lines.join('\n');
}

const expectations = readExpectations(args.expectations);
const proxyPort = await freePort();
const proxyOrigins = [`http://127.0.0.1:${proxyPort}`, `http://localhost:${proxyPort}`];
let dev;
let base = args.url?.replace(/\/+$/, '');
if (!base) {
  const devPort = await freePort();
  // The dev server's issuer/audience stays its own URL; the proxy's origin is an allowed browser origin.
  dev = await startDevServer({
    port: devPort,
    vars: {
      PUBLIC_URL: `http://127.0.0.1:${devPort}`,
      ALLOWED_ORIGINS: proxyOrigins.join(','),
    },
  });
  base = dev.url;
} else {
  console.log(`Using ${base}; it must allow the origins ${proxyOrigins.join(' ')} (ALLOWED_ORIGINS).`);
}

const outDir = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-results-'));
let results;
try {
  const token = await obtainAccessToken(base);
  const proxy = await startProxy(proxyPort, base, token);
  const url = `http://127.0.0.1:${proxyPort}/mcp`;
  // The two sets are independent clients of one stateless server: run them side by side.
  results = await Promise.all(
    args.revision.map((revision) => runRevision(revision, url, outDir, expectations[revision])),
  );
  proxy.close();
} finally {
  await dev?.stop();
}

for (const result of results) {
  console.log(`CONFORMANCE ${JSON.stringify(result.totals)}`);
  for (const problem of result.problems) console.log(`FAIL ${result.revision}: ${problem}`);
  for (const scenario of result.stale) console.log(`STALE ${result.revision}: ${scenario} passes now`);
}

const lines = [
  '# MCP conformance',
  '',
  `Results of \`npm run conformance\` (\`scripts/conformance-server.mjs\`, run by CI): the official suite`,
  `\`@modelcontextprotocol/conformance@${suiteVersion}\` (the npm alias \`conformance-alpha\` in`,
  '`package.json`) with its frozen per-revision requirement sets, against `/mcp` of a fresh',
  '`npm run dev`, through a local proxy that adds a Bearer token obtained by the real sign-up →',
  'registration → consent → token flow. Each set runs at its own wire format, both side by side.',
  '',
  `Last run: ${new Date().toISOString().slice(0, 10)}.`,
  '',
  'CI fails when a scored scenario marked "must pass" has a failed check. "does not apply" and',
  '"awaiting the server" come from `scripts/conformance-expectations.json`, with the reason for each;',
  '"not scored" scenarios are run and reported by the suite but count toward no revision (its',
  'extensions, and scenarios its own reference server cannot pass yet).',
  '',
  ...results.map(revisionSection),
];
writeReport(resolve(root, args.out), lines.join('\n'));
console.log(`Wrote ${args.out}`);
rmSync(outDir, { recursive: true, force: true });
process.exit(results.every((r) => r.problems.length === 0) ? 0 : 1);
