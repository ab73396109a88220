// `npm run dev`: create .dev.vars if missing, apply local D1 migrations, then run `wrangler dev`.
// Options (environment): GATEHOUSE_PORT (default 8787), GATEHOUSE_PERSIST_DIR (local state folder).
// Anything after `--` is passed to `wrangler dev` (e.g. `npm run dev -- --var ACCESS_TOKEN_TTL_SECONDS:60`)
// and overrides the defaults: `npm run dev -- --port 9000` serves on 9000, `--persist-to dir` keeps
// (and migrates) the local state in dir.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDevVars } from './dev-secrets.mjs';
import { flagValue, withDefaults } from './lib/dev-args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1' };
const extra = process.argv.slice(2);
const port = flagValue(extra, '--port') ?? process.env.GATEHOUSE_PORT ?? '8787';
const persistDir = flagValue(extra, '--persist-to') ?? process.env.GATEHOUSE_PERSIST_DIR;
const persist = persistDir ? ['--persist-to', persistDir] : [];

if (await ensureDevVars(join(root, '.dev.vars')))
  console.log('Created .dev.vars with fresh development secrets.');

const migrate = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', ...persist], {
  cwd: root,
  env: { ...env, CI: 'true' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (migrate.status !== 0) {
  console.error('Applying local D1 migrations failed.');
  process.exit(migrate.status ?? 1);
}

const defaults = {
  '--ip': '127.0.0.1',
  '--port': port,
  '--show-interactive-dev-session': 'false',
  ...(persistDir ? { '--persist-to': persistDir } : {}),
};
const child = spawn(wrangler, ['dev', ...withDefaults(defaults, extra)], {
  cwd: root,
  env,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
