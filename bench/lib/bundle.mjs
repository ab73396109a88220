// Bundle size of a Worker exactly as `wrangler deploy` would upload it (--dry-run, nothing leaves
// the machine), gzip -9, plus the largest packages from esbuild's metafile.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WRANGLER_JS } from './servers.mjs';

function packageOf(input) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (m) return m[1];
  if (input.startsWith('(disabled)') || input.startsWith('<')) return '(runtime shims)';
  return '(own code)';
}

export function bundleSize(name, { cwd, config, env }) {
  const outdir = mkdtempSync(join(tmpdir(), `gatehouse-bench-bundle-${name}-`));
  try {
    const metafile = join(outdir, 'meta.json');
    const res = spawnSync(
      process.execPath,
      [
        WRANGLER_JS,
        'deploy',
        '--dry-run',
        '--config',
        config,
        '--outdir',
        join(outdir, 'out'),
        '--metafile',
        metafile,
        ...(env ? ['--env', env] : []),
      ],
      {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
        timeout: 120_000,
      },
    );
    if (res.status !== 0)
      throw new Error(`${name}: wrangler deploy --dry-run failed:\n${res.stdout}\n${res.stderr}`);
    let raw = 0;
    let gzip = 0;
    for (const file of readdirSync(join(outdir, 'out'))) {
      if (!/\.(m?js|wasm)$/.test(file)) continue;
      const bytes = readFileSync(join(outdir, 'out', file));
      raw += bytes.byteLength;
      gzip += gzipSync(bytes, { level: 9 }).byteLength;
    }
    const byPackage = new Map();
    const meta = JSON.parse(readFileSync(metafile, 'utf8'));
    for (const output of Object.values(meta.outputs ?? {})) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
        const pkg = packageOf(input);
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
      }
    }
    const top = [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([pkg, bytes]) => ({ package: pkg, bytes }));
    return { raw, gzip, top };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
