// Bundles the Worker exactly as `wrangler deploy` would (without uploading) and prints its size.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'build');
rmSync(outdir, { recursive: true, force: true });
const env = process.argv[2] ?? 'production';
const res = spawnSync(
  join(root, 'node_modules', '.bin', 'wrangler'),
  ['deploy', '--dry-run', '--outdir', outdir, '--env', env],
  { cwd: root, stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
);
if (res.status !== 0) process.exit(res.status ?? 1);
let raw = 0;
let gz = 0;
for (const file of readdirSync(outdir)) {
  if (!/\.(m?js|wasm)$/.test(file)) continue;
  const bytes = readFileSync(join(outdir, file));
  raw += statSync(join(outdir, file)).size;
  gz += gzipSync(bytes, { level: 9 }).byteLength;
}
console.log(`Bundle: ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzip`);
