/**
 * `npm run local` ends a start it cannot make with one line on stderr that
 * says what to do, and exit status 1 (the CLI runs as a child process).
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/workspace';

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['ts-node', '--transpile-only', 'local/cli.ts', ...args],
      { cwd: REPO_ROOT },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

/** stderr without Node's own warnings, which are not the CLI's. */
const ownLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('npm run local:'));

let unused: number;

beforeAll(async () => {
  // A port nothing listens on: bind, read, close.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  unused = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('npm run local', () => {
  it('says to synthesize first when there is no cdk.out', async () => {
    const assembly = path.join(tmpdir(), 'pp-cli-no-assembly');
    const result = await cli(['--assembly', assembly, '--port', '0']);
    expect(result.code).toBe(1);
    expect(ownLines(result.stderr)).toEqual([
      `npm run local: no synthesized app in ${assembly}: run \`npm run synth\` first (or pass --assembly DIR)`,
    ]);
  });

  // Ports are checked before anything else, so this holds with or without a cdk.out.
  it('says the port is taken, and which flag to use, when something holds it', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const result = await cli(['--port', String(port)]);
      expect(result.code).toBe(1);
      expect(ownLines(result.stderr)).toEqual([
        `npm run local: port ${port} (the API) is in use on 127.0.0.1: stop what holds it, or pass --port N to use N and N+1`,
      ]);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('says to start the runtime when a dlq command finds none running', async () => {
    const result = await cli(['dlq', 'list', '--port', String(unused - 1)]);
    expect(result.code).toBe(1);
    expect(ownLines(result.stderr)).toEqual([
      `npm run local: no local runtime answers at http://127.0.0.1:${unused}: start it with npm run local (or pass its --port)`,
    ]);
  });

  it('refuses an unknown command with the usage', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown command frobnicate');
    expect(result.stderr).toContain('npm run local -- dlq list|replay');
  });
});
