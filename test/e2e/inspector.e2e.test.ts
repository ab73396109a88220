import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './helpers/dev-server';
import { createPerson, createPersonalAccessToken, type Person } from './helpers/person';

/**
 * The MCP Inspector's command-line mode (`@modelcontextprotocol/inspector-cli`, its `mcp-inspector-cli`
 * bin) run as a user would, against `/mcp` over streamable HTTP with a personal access token header.
 */
const require = createRequire(import.meta.url);
const inspectorBin = join(
  dirname(require.resolve('@modelcontextprotocol/inspector-cli/package.json')),
  'build',
  'cli.js',
);

let server: DevServer;
let person: Person;
let token = '';

beforeAll(async () => {
  server = await startDevServer();
  person = await createPerson(server.url, 'inspector');
  token = await createPersonalAccessToken(person, 'inspector e2e');
});

afterAll(async () => {
  await server?.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function inspector(args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    [inspectorBin, '--cli', `${server.url}/mcp`, '--transport', 'http', ...args],
    {
      // inspector-cli 1.0.3 decides between `../package.json` and `../../package.json` by testing the
      // path against the working directory but imports it relative to its own module, so it only
      // starts from a folder one level below a package.json, such as its own `build/`.
      cwd: dirname(inspectorBin),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('MCP Inspector CLI with a personal access token against the real `npm run dev`', () => {
  it('lists the tools', async () => {
    const run = await inspector(['--method', 'tools/list', '--header', `Authorization: Bearer ${token}`]);
    expect(run.code, run.stderr).toBe(0);
    const { tools } = JSON.parse(run.stdout) as { tools: { name: string; annotations?: object }[] };
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['whoAmI', 'listMyProjects', 'createProject']),
    );
  });

  it('calls a tool that writes and one that reads it back', async () => {
    const auth = ['--header', `Authorization: Bearer ${token}`];
    const created = await inspector([
      '--method',
      'tools/call',
      '--tool-name',
      'createProject',
      '--tool-arg',
      'title=Made by the Inspector CLI',
      ...auth,
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect((JSON.parse(created.stdout) as { isError?: boolean }).isError).not.toBe(true);

    const listed = await inspector(['--method', 'tools/call', '--tool-name', 'listMyProjects', ...auth]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('Made by the Inspector CLI');

    const who = await inspector(['--method', 'tools/call', '--tool-name', 'whoAmI', ...auth]);
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toContain(person.email);
  });

  it('fails with a 401 and no tool list without the header, and with a wrong token', async () => {
    const none = await inspector(['--method', 'tools/list']);
    expect(none.code).not.toBe(0);
    expect(none.stdout).not.toContain('whoAmI');
    expect(none.stderr).toMatch(/401|Unauthorized/i);

    const wrong = await inspector(['--method', 'tools/list', '--header', `Authorization: Bearer ${token}x`]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).not.toContain('whoAmI');
    expect(wrong.stderr).toContain('invalid_token');
  });
});
