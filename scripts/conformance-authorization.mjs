// `npm run conformance:auth`: runs the official MCP conformance suite's AUTHORIZATION-server scenarios
// (`@modelcontextprotocol/conformance` 0.2.0-alpha, installed as `conformance-alpha`, the same
// package `npm run conformance` runs) against a fresh `npm run dev`.
//
// It starts the dev server, signs a person up, pre-registers a public client whose redirect URI is
// the suite's callback (`http://127.0.0.1:<port>/callback`), and runs `authorization` without
// `--scenario` (the code-grant scenario reads the metadata scenario's result) twice: as the suite's
// README shows it, and with `--resource <issuer>/mcp` as MCP clients send it. The suite prints an
// authorization URL and waits for a browser; this script is that browser: it signs in, approves on
// the consent page and delivers the redirect to the suite's callback.
//
// Usage: npm run conformance:auth [-- --out docs/conformance.md] [--results <dir>]
// Writes (or replaces) the "Authorization server scenarios" section of --out, prints one line
// `CONFORMANCE-AUTH {json}` with the counts, and exits 1 if any check failed.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, killGroup, startDevServer } from './lib/dev-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'docs', 'conformance.md') },
    results: { type: 'string' },
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

// ---- the dev server, in its own process group so wrangler and workerd stop together ----

// ---- a person's browser: cookies, forms, no automatic redirects ----

class Browser {
  cookies = new Map();
  constructor(base) {
    this.base = base;
  }
  async request(path, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(path.startsWith('http') ? path : `${this.base}${path}`, {
      ...init,
      headers,
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(pair.slice(0, eq).trim());
      else this.cookies.set(pair.slice(0, eq).trim(), value);
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
  async page(path) {
    const html = await (await this.request(path)).text();
    return { html, csrf: field(html, 'csrf_token') };
  }
}

function field(html, name) {
  return new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, '&') ?? '';
}

function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status}`);
}

async function createPerson(base) {
  const browser = new Browser(base);
  const email = `conformance-auth-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `conformance ${randomBytes(8).toString('hex')}`;
  const signup = await browser.page('/signup');
  expectStatus(
    await browser.postForm('/signup', { email, password, csrf_token: signup.csrf }),
    303,
    'sign-up',
  );
  const outbox = await (await browser.request('/dev/mail.json')).json();
  const link = new URL(outbox.find((m) => m.to === email).links[0]);
  const confirm = await browser.page(link.pathname + link.search);
  expectStatus(
    await browser.postForm('/verify-email', {
      token: link.searchParams.get('token'),
      csrf_token: confirm.csrf,
    }),
    200,
    'email confirmation',
  );
  const home = await browser.page('/');
  expectStatus(await browser.postForm('/logout', { csrf_token: home.csrf }), 303, 'sign-out');
  return { browser, email, password };
}

/** Opens the URL the suite printed, signs in if asked, approves, and delivers the redirect. */
async function actAsBrowser(person, authorizationUrl) {
  const { browser } = person;
  let res = await browser.request(authorizationUrl);
  if (res.status === 303) {
    const login = res.headers.get('location');
    const page = await browser.page(login);
    const signedIn = await browser.postForm(login, {
      email: person.email,
      password: person.password,
      csrf_token: page.csrf,
    });
    expectStatus(signedIn, 303, 'sign-in');
    res = await browser.request(signedIn.headers.get('location'));
  }
  expectStatus(res, 200, 'consent page');
  const html = await res.text();
  const decision = await browser.postForm('/oauth2/authorize', {
    request: field(html, 'request'),
    csrf_token: field(html, 'csrf_token'),
    decision: 'approve',
  });
  expectStatus(decision, 302, 'approval');
  const callback = decision.headers.get('location');
  const delivered = await fetch(callback);
  return { callback, status: delivered.status };
}

// ---- the suite ----

function runSuite(args, onLine) {
  const child = spawn(process.execPath, [suiteBin, 'authorization', ...args], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let pending = '';
  const take = (d) => {
    output += d;
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) onLine(line);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  // The suite waits five minutes for a browser; never let a broken run hang CI that long.
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 120_000);
  process.once('exit', () => killGroup(child, 'SIGKILL'));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

function collectChecks(dir) {
  const found = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'checks.json') found.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found.flatMap((file) => {
    const scenario =
      /authorization-server-metadata-endpoint|authorization-code-grant/.exec(relative(dir, file))?.[0] ??
      relative(dir, file);
    return JSON.parse(readFileSync(file, 'utf8')).map((check) => ({ scenario, ...check }));
  });
}

async function runOnce({ issuer, clientId, person, resource, resultsDir, port }) {
  const args = ['--url', issuer, '--client-id', clientId, '--port', String(port), '-o', resultsDir];
  if (resource) args.push('--resource', resource);
  const deliveries = [];
  const browserSteps = [];
  const run = await runSuite(args, (line) => {
    const match = /(https?:\/\/\S+\/oauth2\/authorize\?\S+)/.exec(line);
    if (match) browserSteps.push(actAsBrowser(person, match[1]).then((d) => deliveries.push(d)));
  });
  await Promise.all(browserSteps);
  return { args, port, code: run.code, output: run.output, deliveries, checks: collectChecks(resultsDir) };
}

// ---- the report ----

const START = '<!-- conformance:authorization:start -->';
const END = '<!-- conformance:authorization:end -->';

const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s+/g, ' ')
    .trim();

function section(runs, issuer) {
  const lines = [
    START,
    '## Authorization server scenarios',
    '',
    `Results of \`npm run conformance:auth\` (\`scripts/conformance-authorization.mjs\`): the official suite`,
    `\`@modelcontextprotocol/conformance@${suiteVersion}\` — the only line with authorization-server`,
    'scenarios — installed as the npm alias `conformance-alpha`, against a fresh `npm run dev`. The',
    'script registers a public client (`token_endpoint_auth_method: none`) whose redirect URI is the',
    "suite's callback, and plays the person's browser when the suite prints its authorization URL:",
    'it signs in on `/login`, approves on the consent page and delivers the redirect to the suite.',
    'It runs without `--scenario`, because `authorization-code-grant` reads the metadata found by',
    '`authorization-server-metadata-endpoint`. `test/e2e/conformance-auth.e2e.test.ts` runs it in',
    '`npm test` and fails on any failed check.',
    '',
    `Last run: ${new Date().toISOString().slice(0, 10)}.`,
    '',
  ];
  for (const run of runs) {
    const printable = run.args.map((a) => (a.startsWith(issuer) ? `<issuer>${a.slice(issuer.length)}` : a));
    lines.push(
      `### ${run.title}`,
      '',
      '```',
      `node node_modules/conformance-alpha/dist/index.js authorization ${printable
        .join(' ')
        .replace(/--client-id \S+/, '--client-id <registered id>')
        .replace(/--port \d+/, '--port <free port>')
        .replace(/-o \S+/, '-o <results dir>')}`,
      '```',
      '',
      `\`<issuer>\` is the \`issuer\` of our metadata, byte for byte (here \`http://127.0.0.1:<port>\`, no trailing slash). Exit code ${run.code}; the browser step delivered ${run.deliveries.length} redirect(s) (callback answered ${run.deliveries.map((d) => d.status).join(', ') || '—'}).`,
      '',
      '| scenario | check | status | note |',
      '|---|---|---|---|',
    );
    for (const c of run.checks) {
      lines.push(
        `| \`${c.scenario}\` | \`${cell(c.id)}\` | ${c.status} | ${cell(c.errorMessage ?? c.description)} |`,
      );
    }
    const count = (s) => run.checks.filter((c) => c.status === s).length;
    lines.push(
      '',
      `${count('SUCCESS')} passed, ${count('FAILURE')} failed, ${count('WARNING')} warnings, ${
        run.checks.length - count('SUCCESS') - count('FAILURE') - count('WARNING')
      } other.`,
      '',
    );
  }
  const notPassed = runs.flatMap((r) =>
    r.checks.filter((c) => c.status !== 'SUCCESS').map((c) => ({ run: r, c })),
  );
  lines.push('### Failures and warnings', '');
  if (notPassed.length === 0) {
    lines.push(
      'None: every check of both scenarios passed in both runs, so nothing had to be fixed or set aside as',
      '"does not apply". What the checks cover: the metadata at `/.well-known/oauth-authorization-server`',
      '(200, `application/json`, `issuer` equal to `--url` byte for byte, the endpoints,',
      '`response_types_supported` with `code`, `code_challenge_methods_supported` with `S256`, and',
      '`client_id_metadata_document_supported`); and the code flow (PKCE S256 and `state` on the request;',
      'exactly one `code` and `state` and no `error` on the redirect, `iss` equal to the issuer; a 200',
      '`application/json` token response with `Cache-Control: no-store`, `access_token` and `token_type`).',
      'The suite has only these two authorization-server scenarios; refresh, revocation, registration and',
      'metadata documents are covered by `test/oauth/`, `test/flows/` and the other clients in `test/e2e/`.',
    );
  } else {
    for (const { run, c } of notPassed) {
      lines.push(`- ${run.title}: \`${c.scenario}\` / \`${c.id}\` — ${c.status}: ${cell(c.errorMessage)}`);
    }
  }
  lines.push(END);
  return lines.join('\n');
}

function writeSection(file, text) {
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start !== -1 && end > start) doc = `${doc.slice(0, start)}${text}${doc.slice(end + END.length)}`;
  else doc = doc.trim() === '' ? `# MCP conformance\n\n${text}\n` : `${doc.trimEnd()}\n\n${text}\n`;
  writeFileSync(file, doc);
  // Tables as `npm run lint` wants them; only for files in the repository (the tests write to /tmp).
  if (!relative(root, file).startsWith('..')) {
    spawnSync(join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', file], { cwd: root });
  }
}

// ---- main ----

const server = await startDevServer();
const resultsRoot = opts.results ?? mkdtempSync(join(tmpdir(), 'gatehouse-conformance-auth-results-'));
let exitCode = 1;
try {
  const metadata = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
  const issuer = metadata.issuer;
  const person = await createPerson(server.url);

  const runs = [];
  for (const [title, resource] of [
    ['As the suite documents it', undefined],
    ['With the RFC 8707 resource MCP clients send', `${issuer}/mcp`],
  ]) {
    // One registration per run: the callback port is part of the registered redirect URI.
    const port = await freePort();
    const registration = await fetch(metadata.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'MCP conformance suite',
        redirect_uris: [`http://127.0.0.1:${port}/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expectStatus(registration, 201, 'client registration');
    const { client_id: clientId } = await registration.json();
    const resultsDir = join(resultsRoot, resource ? 'with-resource' : 'plain');
    const run = await runOnce({ issuer, clientId, person, resource, resultsDir, port });
    runs.push({ title, ...run });
  }

  const all = runs.flatMap((r) => r.checks);
  const failed = all.filter((c) => c.status === 'FAILURE');
  const summary = {
    suite: suiteVersion,
    issuer,
    runs: runs.map((r) => ({
      title: r.title,
      exitCode: r.code,
      scenarios: [...new Set(r.checks.map((c) => c.scenario))],
      passed: r.checks.filter((c) => c.status === 'SUCCESS').length,
      failed: r.checks
        .filter((c) => c.status === 'FAILURE')
        .map((c) => `${c.scenario}/${c.id}: ${c.errorMessage}`),
      warnings: r.checks
        .filter((c) => c.status === 'WARNING')
        .map((c) => `${c.scenario}/${c.id}: ${c.errorMessage}`),
      deliveries: r.deliveries.length,
    })),
  };
  writeSection(opts.out, section(runs, issuer));
  for (const r of runs) if (r.code !== 0 || r.checks.length === 0) console.error(r.output);
  console.log(`CONFORMANCE-AUTH ${JSON.stringify(summary)}`);
  exitCode = failed.length === 0 && runs.every((r) => r.code === 0 && r.checks.length > 0) ? 0 : 1;
} finally {
  await server.stop();
  if (!opts.results) rmSync(resultsRoot, { recursive: true, force: true });
}
process.exit(exitCode);
