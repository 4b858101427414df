/**
 * The fresh-machine contract of the README's test command: `npm test` runs
 * scripts/test-tools.sh first, which installs Java and Chromium when they
 * are missing (here: made to look missing), or stops at once with the exact
 * command when it cannot install; and no tool run through ts-node prints the
 * AWS SDK's Node-version warning.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'test-tools.sh');

/** A PATH of the given tools only, each a tiny script; `id -u` answers `uid`. */
function fakeBin(tools: Record<string, string>, uid: number): string {
  const bin = mkdtempSync(path.join(tmpdir(), 'pp-test-tools-'));
  for (const name of ['bash', 'sed', 'head']) symlinkSync(`/bin/${name}`, path.join(bin, name));
  const all: Record<string, string> = { id: `echo ${uid}`, ...tools };
  for (const [name, body] of Object.entries(all)) {
    writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  return bin;
}

function run(bin: string, env: Record<string, string> = {}) {
  return spawnSync('/bin/bash', [SCRIPT], { env: { PATH: bin, ...env }, encoding: 'utf8' });
}

describe('scripts/test-tools.sh', () => {
  const java17 = `echo 'openjdk version "17.0.15" 2025-04-15' >&2`;
  const chromium = path.join(mkdtempSync(path.join(tmpdir(), 'pp-chromium-')), 'chromium');
  writeFileSync(chromium, '#!/bin/sh\n');
  chmodSync(chromium, 0o755);

  it('does nothing when Java 17 and Chromium are there', () => {
    const bin = fakeBin({ java: java17, 'apt-get': 'echo "apt-get $*" >> "$LOG"' }, 0);
    const log = path.join(bin, 'apt.log');
    const result = run(bin, { CHROMIUM_PATH: chromium, LOG: log });
    expect(result.status).toBe(0);
    expect(() => readFileSync(log)).toThrow();
  });

  it('as root installs what is missing with one apt-get update', () => {
    const bin = fakeBin({ 'apt-get': 'echo "apt-get $*" >> "$LOG"' }, 0);
    const log = path.join(bin, 'apt.log');
    // No java on PATH, and no CHROMIUM_PATH: /usr/bin/chromium decides, so make Chromium present through it.
    const result = run(bin, { CHROMIUM_PATH: chromium, LOG: log });
    expect(result.status).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      'apt-get update',
      'apt-get install -y --no-install-recommends openjdk-17-jre-headless',
    ]);
  });

  it('treats a Java older than 17 as missing', () => {
    const bin = fakeBin(
      { java: `echo 'openjdk version "11.0.2" 2019-01-15' >&2`, 'apt-get': 'echo "apt-get $*" >> "$LOG"' },
      0,
    );
    const log = path.join(bin, 'apt.log');
    const result = run(bin, { CHROMIUM_PATH: chromium, LOG: log });
    expect(result.status).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('install -y --no-install-recommends openjdk-17-jre-headless');
    expect(result.stderr).toContain('java 11 is on PATH');
  });

  it('without root or sudo stops at once with the exact command', () => {
    const bin = fakeBin({ 'apt-get': 'echo "apt-get $*" >> "$LOG"' }, 1000);
    const log = path.join(bin, 'apt.log');
    const result = run(bin, { CHROMIUM_PATH: chromium, LOG: log });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "sudo bash -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless'",
    );
    expect(() => readFileSync(log)).toThrow();
  });

  it('refuses a CHROMIUM_PATH that is not an executable, naming it', () => {
    const bin = fakeBin({ java: java17 }, 0);
    const result = run(bin, { CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('CHROMIUM_PATH=/nonexistent/chromium is not an executable');
  });
});

describe('the Node-version warning of the AWS SDK', () => {
  it('is not printed by a tool run through ts-node (tsconfig preloads scripts/preload.ts)', () => {
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const result = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'ts-node'),
      [
        '--transpile-only',
        '-e',
        "new (require('@aws-sdk/client-dynamodb').DynamoDBClient)({ region: 'us-east-1' }); console.log('made a client')",
      ],
      { cwd: ROOT, env, encoding: 'utf8' },
    );
    expect(result.stdout).toContain('made a client');
    expect(result.stderr).not.toContain('NodeVersionSupportWarning');
  }, 30_000);
});
