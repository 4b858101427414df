/**
 * The authorizer runs on every partner request, so its bundle has a budget:
 * at most 150 KB, bundled exactly as deploys bundle it, and a module init
 * that loads no AWS SDK: the runtime's DynamoDB client alone took about
 * 90 ms to load, three times the 30 ms init budget. Bundle size and what a
 * load requires are deterministic, so these are fair tests; the init time
 * itself is measured by `npm run bench:keys` and reported in the README.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleLambda } from '../../scripts/lib/lambda-bundle';

const BUDGET_BYTES = 150 * 1024;

describe('the authorizer bundle', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pp-authorizer-'));
  const outfile = path.join(outdir, 'index.js');
  const bundle = bundleLambda('authorizer', outfile);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it(`stays within ${BUDGET_BYTES / 1024} KB`, () => {
    console.log(`authorizer bundle: ${(bundle.bytes / 1024).toFixed(1)} KB`);
    expect(bundle.bytes).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('carries none of the heavy modules it once did (zod, Powertools, the SDK) and leaves only Node built-ins outside', () => {
    const heavy = [...bundle.inputs.keys()].filter((name) => /^(zod|@aws-lambda-powertools\/|@aws-sdk\/)/.test(name));
    expect(heavy).toEqual([]);
    // node:http and node:https are imported on the first request, not at module init (next test).
    expect(bundle.externals).toEqual(['node:crypto', 'node:http', 'node:https']);
    expect(readFileSync(outfile, 'utf8')).not.toMatch(/require\(["']@aws-sdk\//);
  });

  it('loads without requiring any package, the AWS SDK or node:http(s) at module init', () => {
    // A fresh process that could resolve the SDK (NODE_PATH) if the bundle asked for it.
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        `const network = () => process.moduleLoadList.filter((name) => /^NativeModule (https?|_http_\\w+|tls)$/.test(name));
         const before = { packages: new Set(Object.keys(require.cache)), network: network() };
         const exported = require(${JSON.stringify(outfile)});
         process.stdout.write(JSON.stringify({
           handler: typeof exported.handler,
           loaded: Object.keys(require.cache).filter((name) => !before.packages.has(name)),
           network: network().filter((name) => !before.network.includes(name)),
         }));`,
      ],
      { encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(__dirname, '..', '..', 'node_modules') } },
    );
    expect(probe.stderr).toBe('');
    const result = JSON.parse(probe.stdout);
    expect(result.handler).toBe('function');
    expect(result.loaded).toEqual([outfile]);
    expect(result.network).toEqual([]);
  });
});
