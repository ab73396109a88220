// `npm run deploy`: apply D1 migrations to the production database, then deploy the Worker.
// Needs a Cloudflare account (`wrangler login` or CLOUDFLARE_API_TOKEN); see README "Deploy".
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
for (const args of [
  ['d1', 'migrations', 'apply', 'DB', '--remote', '--env', 'production'],
  ['deploy', '--env', 'production'],
]) {
  const res = spawnSync(wrangler, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
