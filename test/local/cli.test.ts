/**
 * `npm run local` ends a start it cannot make with one line on stderr that
 * says what to do, and exit status 1 (the CLI runs as a child process).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, listenOnLoopback } from '../../local/loopback';
import { LOCAL_CLI, LOCAL_SCRIPT } from '../support/local-cli';
import { loadWorkspace, REPO_ROOT, synthesize, workspaceWithPartners } from '../support/workspace';

/** A start that gets past its checks keeps running; the tests expect each to end at once. */
const CLI_TIMEOUT_MS = 45_000;

/** Runs the CLI with this Node (no npx, so PATH can be narrowed to hide Java). */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [executable, ...prefix] = LOCAL_CLI;
    execFile(
      executable,
      [...prefix, ...args],
      { cwd: REPO_ROOT, env, timeout: CLI_TIMEOUT_MS, killSignal: 'SIGINT' },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

/** stderr without Node's own warnings, which are not the CLI's. */
const ownLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('npm run local:'));

let unused: number;
/** One partner's synthesized app, for the starts that get past the assembly check. */
let acmeAssembly: string;

beforeAll(async () => {
  unused = await freePort();
  acmeAssembly = synthesize(loadWorkspace(workspaceWithPartners([{ orgId: 'acme-corp' }]))).outdir;
}, 120_000);

describe('npm run local', () => {
  it('is the command these tests run', () => {
    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(manifest.scripts.local).toBe(LOCAL_SCRIPT);
  });

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
    const holder = await listenOnLoopback(createServer());
    const { port } = holder;
    try {
      const result = await cli(['--port', String(port)]);
      expect(result.code).toBe(1);
      expect(ownLines(result.stderr)).toEqual([
        `npm run local: port ${port} (the API) is in use on 127.0.0.1: stop what holds it, or pass --port N to use N and N+1`,
      ]);
    } finally {
      await holder.stop();
    }
  });

  it('says how to get Java when there is none for DynamoDB Local', async () => {
    // A PATH with only a shell: DynamoDB Local's launcher then finds no java.
    const bin = mkdtempSync(path.join(tmpdir(), 'pp-no-java-'));
    symlinkSync('/bin/sh', path.join(bin, 'sh'));
    const result = await cli(['--assembly', acmeAssembly, '--port', '0'], { ...process.env, PATH: bin });
    expect(result.code).toBe(1);
    expect(ownLines(result.stderr)).toEqual([
      'npm run local: Java 17 is required for DynamoDB Local: install it (apt-get install -y openjdk-17-jre-headless) or run bash scripts/test-tools.sh',
    ]);
  }, 60_000);

  it('refuses a --forward to a webhook no partner file declares, or to another host, in one line', async () => {
    const unknown = await cli([
      '--assembly',
      acmeAssembly,
      '--port',
      '0',
      '--forward',
      'globex/primary=http://localhost:3000/hook',
    ]);
    expect(unknown.code).toBe(1);
    expect(ownLines(unknown.stderr)).toEqual([
      expect.stringMatching(
        /^npm run local: --forward globex\/primary=.*: no partner file declares webhook globex\/primary \(declared: acme-corp\/primary\)/,
      ),
    ]);
    const remote = await cli([
      '--assembly',
      acmeAssembly,
      '--port',
      '0',
      '--forward',
      'acme-corp/primary=https://elsewhere.example/',
    ]);
    expect(ownLines(remote.stderr)).toEqual([expect.stringContaining('forward to a receiver on this machine')]);
  }, 60_000);

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
