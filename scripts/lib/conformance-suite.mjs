// Running the MCP conformance suite's frozen requirement sets (`conformance server --requirements
// <revision>`, @modelcontextprotocol/conformance 0.2.0-alpha, installed as the npm alias
// `conformance-alpha`) and reading back what each scenario checked.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroup } from './dev-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suiteRoot = join(root, 'node_modules', 'conformance-alpha');
export const suiteVersion = JSON.parse(readFileSync(join(suiteRoot, 'package.json'), 'utf8')).version;

/**
 * @typedef {{ id: string, name: string, status: string, description?: string, errorMessage?: string }} Check
 * @typedef {{ scenario: string, scored: boolean, notScoredReason?: string, checks: Check[],
 *   passed: number, failed: number }} ScenarioResult
 */

/** The checks.json of each scenario the run wrote under `outDir` (`server-<scenario>-<timestamp>/`). */
function readScenarioChecks(outDir, scenario) {
  if (!existsSync(outDir)) return [];
  const dir = readdirSync(outDir)
    .filter(
      (d) => d.startsWith(`server-${scenario}-`) && /^\d{4}-\d\d-\d\dT/.test(d.slice(scenario.length + 8)),
    )
    .sort()
    .at(-1);
  if (!dir) return [];
  try {
    return JSON.parse(readFileSync(join(outDir, dir, 'checks.json'), 'utf8'));
  } catch {
    return [];
  }
}

/**
 * Runs one requirement set against `url`; resolves with the exit code and one result per scenario.
 * Which scenarios ran and which are not scored (extensions, pending) is read from the suite's own
 * summary lines, so this follows the frozen set instead of keeping a copy of it.
 * @returns {Promise<{ code: number | null, output: string, scenarios: ScenarioResult[] }>}
 */
export function runRequirements(url, revision, outDir, timeoutMs = 240_000) {
  const bin = join(suiteRoot, 'dist', 'index.js');
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [bin, 'server', '--url', url, '--requirements', revision, '-o', outDir],
      {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
    const onExit = () => killGroup(child, 'SIGKILL');
    process.once('exit', onExit);
    child.on('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      const ran = [...output.matchAll(/^=== Running scenario: (\S+) ===$/gm)].map((m) => m[1]);
      const notScored = new Map(
        [...output.matchAll(/^ {2}[✓✗] (\S+) \(([^)]*)\)$/gm)].map((m) => [m[1], m[2]]),
      );
      const scenarios = ran.map((scenario) => {
        const checks = readScenarioChecks(outDir, scenario);
        return {
          scenario,
          scored: !notScored.has(scenario),
          ...(notScored.has(scenario) && { notScoredReason: notScored.get(scenario) }),
          checks,
          passed: checks.filter((c) => c.status === 'SUCCESS').length,
          failed: checks.filter((c) => c.status === 'FAILURE').length,
        };
      });
      resolve({ code, output, scenarios });
    });
  });
}
