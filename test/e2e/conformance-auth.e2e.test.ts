import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run conformance:auth` in CI: the official suite's authorization-server scenarios against a
 * fresh `npm run dev` started by the script, with the browser step played headlessly. The report
 * goes to a temporary file so the test never rewrites docs/conformance.md.
 */
interface Summary {
  suite: string;
  issuer: string;
  runs: {
    title: string;
    exitCode: number;
    scenarios: string[];
    passed: number;
    failed: string[];
    warnings: string[];
    deliveries: number;
  }[];
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-auth-test-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runScript(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['scripts/conformance-authorization.mjs', '--out', out], {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the MCP conformance suite, authorization-server scenarios', () => {
  it('passes every check of both scenarios, without and with `resource`', { timeout: 300_000 }, async () => {
    const out = join(dir, 'conformance.md');
    const run = await runScript(out);
    const line = /^CONFORMANCE-AUTH (.*)$/m.exec(run.stdout)?.[1];
    expect(line, `${run.stdout}\n${run.stderr}`).toBeDefined();
    const summary = JSON.parse(line!) as Summary;
    expect(summary.suite).toMatch(/^0\.2\.0-alpha\./);
    expect(summary.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(summary.runs).toHaveLength(2);
    for (const r of summary.runs) {
      expect(r.failed, r.title).toEqual([]);
      expect(r.exitCode, r.title).toBe(0);
      expect(r.scenarios.sort()).toEqual([
        'authorization-code-grant',
        'authorization-server-metadata-endpoint',
      ]);
      expect(r.passed, r.title).toBe(3);
      expect(r.warnings, r.title).toEqual([]);
      // The suite saw our redirect only because the headless browser approved and delivered it.
      expect(r.deliveries, r.title).toBe(1);
    }
    expect(run.code).toBe(0);

    const report = readFileSync(out, 'utf8');
    expect(report).toContain('## Authorization server scenarios');
    expect(report).not.toContain('| FAILURE |');
  });
});
