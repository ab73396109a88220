import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flagValue, withDefaults } from '../../scripts/lib/dev-args.mjs';
import { type DevServer, freePort, startDevServer } from './helpers/dev-server';

/** `npm run dev -- <flags>`: flags after `--` override the script's defaults (scripts/dev.mjs). */
describe('scripts/lib/dev-args.mjs', () => {
  const defaults = { '--ip': '127.0.0.1', '--port': '8787', '--show-interactive-dev-session': 'false' };

  it('passes the defaults when nothing overrides them', () => {
    expect(withDefaults(defaults, [])).toEqual([
      '--ip',
      '127.0.0.1',
      '--port',
      '8787',
      '--show-interactive-dev-session',
      'false',
    ]);
  });

  it('gives each flag once: the caller’s value replaces the default, in either spelling', () => {
    for (const extra of [['--port', '9000'], ['--port=9000']]) {
      const args = withDefaults(defaults, extra);
      expect(args.filter((a) => a === '--port' || a.startsWith('--port='))).toHaveLength(1);
      expect(flagValue(args, '--port')).toBe('9000');
      expect(flagValue(args, '--ip')).toBe('127.0.0.1');
    }
    const args = withDefaults(defaults, ['--ip', '::1', '--var', 'A:1', '--show-interactive-dev-session']);
    expect(args).toEqual(['--port', '8787', '--ip', '::1', '--var', 'A:1', '--show-interactive-dev-session']);
  });

  it('reads the last value of a flag, in either spelling, and nothing from a flag without a value', () => {
    expect(flagValue(['--port', '1', '--port=2'], '--port')).toBe('2');
    expect(flagValue(['--port=2', '--port', '3'], '--port')).toBe('3');
    expect(flagValue(['--portal', '4', '--port'], '--port')).toBeUndefined();
  });
});

describe('npm run dev -- --port <p> --persist-to <dir>', () => {
  let server: DevServer | undefined;
  const state = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-state-'));

  afterAll(async () => {
    await server?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('serves on the port given after `--` and migrates and keeps its state in the folder given', async () => {
    const ignored = await freePort();
    const port = await freePort();
    server = await startDevServer({
      port,
      env: { GATEHOUSE_PORT: String(ignored) },
      args: ['--port', String(port), '--persist-to', state],
    });
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    await expect(fetch(`http://127.0.0.1:${ignored}/assets/app.css`)).rejects.toThrow();
    // Registering a client writes to D1: it works only if the migrations ran on this folder.
    const registered = await fetch(`${server.url}/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'dev-script e2e',
        redirect_uris: ['http://127.0.0.1:33418/callback'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(registered.status).toBe(201);
    expect(readdirSync(state)).toContain('v3');
  });
});
