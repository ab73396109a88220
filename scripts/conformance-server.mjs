// `npm run conformance`: runs the official MCP conformance suite (@modelcontextprotocol/conformance,
// pinned in package.json) against /mcp.
//
// The suite connects without credentials and has no header option, so a small proxy on 127.0.0.1
// adds `Authorization: Bearer <token>` and passes everything else (Host and Origin included) through
// unchanged. The token is obtained the way any client gets one: a new account signs up through the
// real pages, a client registers (RFC 7591), the person approves on the consent page, and the code is
// exchanged with PKCE at the token endpoint. Nothing test-only exists in the server for this.
//
// Usage: npm run conformance [-- --url http://127.0.0.1:8787] [--out docs/conformance.md]
//   Without --url a fresh `npm run dev` is started on a free port with its own local state.
//   With --url, that server must list the proxy's origin in ALLOWED_ORIGINS for the
//   dns-rebinding-protection scenario's "valid localhost" check; the script prints it.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startDevServer } from './lib/dev-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: { url: { type: 'string' }, out: { type: 'string', default: 'docs/conformance.md' } },
});

/** Transport-level scenarios that apply to a gateway whose tools are its own (not the fixture names). */
const SCENARIOS = [
  ['server-initialize', 'initialize and the negotiated version'],
  ['ping', 'ping'],
  ['tools-list', 'tools/list shape'],
  ['dns-rebinding-protection', 'foreign Host/Origin refused, localhost accepted'],
  [
    'server-sse-polling',
    'SSE polling with priming events; needs a session, which a stateless server does not issue',
  ],
  ['server-sse-multiple-streams', 'concurrent SSE streams in one session; same'],
];

/** A cookie-keeping fetch that never follows redirects, like a browser posting our forms. */
class Browser {
  cookies = new Map();
  constructor(base) {
    this.base = base;
  }
  async request(path, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(path.startsWith('http') ? path : this.base + path, {
      ...init,
      headers,
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return res;
  }
  postForm(path, fields) {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

const field = (html, name) =>
  new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, '&');

function check(condition, message) {
  if (!condition) throw new Error(`OAuth flow: ${message}`);
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
  const consent = await browser.request(authorize.href);
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

function runScenario(url, scenario, outDir) {
  const bin = join(root, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [bin, 'server', '--url', url, '--scenario', scenario, '-o', outDir],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

function readChecks(outDir, scenario) {
  const dir = readdirSync(outDir).find((d) => d.startsWith(`server-${scenario}-`));
  if (!dir) return [];
  try {
    return JSON.parse(readFileSync(join(outDir, dir, 'checks.json'), 'utf8'));
  } catch {
    return [];
  }
}

const START = '<!-- conformance:server:start -->';
const END = '<!-- conformance:server:end -->';

/**
 * Writes this script's part of the report between its markers, leaving whatever else the file holds
 * (other suites' sections) untouched. A file without the markers gets them around the part before
 * the first other section.
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
  const other = current.indexOf('<!-- conformance:');
  writeFileSync(path, block + (other === -1 ? '' : `\n${current.slice(other)}`));
}

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

const version = JSON.parse(
  readFileSync(join(root, 'node_modules', '@modelcontextprotocol', 'conformance', 'package.json'), 'utf8'),
).version;
const outDir = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-results-'));
let failed = 0;
const rows = [];
try {
  const token = await obtainAccessToken(base);
  const proxy = await startProxy(proxyPort, base, token);
  const url = `http://127.0.0.1:${proxyPort}/mcp`;
  for (const [scenario, what] of SCENARIOS) {
    const { code, output } = await runScenario(url, scenario, outDir);
    const checks = readChecks(outDir, scenario);
    const count = (status) => checks.filter((c) => c.status === status).length;
    const failures = checks.filter((c) => c.status === 'FAILURE');
    if (code !== 0) failed += 1;
    const other = checks
      .filter((c) => c.status !== 'SUCCESS' && c.status !== 'FAILURE')
      .map((c) => `${c.status}: ${c.errorMessage ?? c.description}`);
    rows.push({ scenario, what, code, passed: count('SUCCESS'), failures, other, output });
    console.log(
      `${code === 0 ? 'PASS' : 'FAIL'} ${scenario}: ${count('SUCCESS')} passed, ${failures.length} failed`,
    );
  }
  proxy.close();
} finally {
  await dev?.stop();
}

const lines = [
  '# MCP conformance',
  '',
  `Results of \`npm run conformance\`: the official suite \`@modelcontextprotocol/conformance@${version}\``,
  '(pinned in `package.json`) against `/mcp` of a fresh `npm run dev`, through a local proxy that adds',
  'a Bearer token obtained by the real sign-up → registration → consent → token flow.',
  '',
  `Last run: ${new Date().toISOString().slice(0, 10)} — ${failed} of ${rows.length} scenarios failed.`,
  '',
  '| scenario | what it checks | result | checks passed | checks failed | other checks |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const result = r.code !== 0 ? 'FAIL' : r.passed === 0 ? 'n/a — warnings and info only' : 'pass';
    const other = r.other.join('; ').replace(/\|/g, '\\|').replace(/\s+/g, ' ') || '—';
    return `| \`${r.scenario}\` | ${r.what} | ${result} | ${r.passed} | ${r.failures.length} | ${other} |`;
  }),
  '',
];
const failures = rows.flatMap((r) =>
  r.failures.map((f) => `- \`${r.scenario}\` / ${f.name}: ${f.errorMessage ?? f.description}`),
);
if (failures.length) lines.push('## Failed checks', '', ...failures, '');
lines.push(
  '## Scope',
  '',
  'The server suite has no authorization scenarios and connects without credentials; the proxy supplies',
  'them. Scenarios built around the reference server’s fixture tools, prompts and resources',
  '(`tools-call-*`, `prompts-*`, `resources-*`, `logging-*`, `completion-*`, `elicitation-*`) do not',
  'apply to a server whose tools are its own. Authorization is covered by our own tests',
  '(`test/auth/`, `test/oauth/`) and the end-to-end runs in `test/e2e/`.',
  '',
);
writeReport(resolve(root, args.out), lines.join('\n'));
console.log(`Wrote ${args.out}`);
rmSync(outDir, { recursive: true, force: true });
process.exit(failed === 0 ? 0 : 1);
