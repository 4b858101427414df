import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { esbuildOptionsOf, LAMBDA_BUNDLE_KIND, useLambdaBundleCache } from '../../lib/house-bundler';
import { PlatformFunction } from '../../lib/platform-function';
import { ValidationCache } from '../../lib/validation-cache/validation-cache';

jest.setTimeout(240_000);

function readTree(dir: string, prefix = ''): Array<[string, string]> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry): Array<[string, string]> => {
    const name = path.join(prefix, entry.name);
    if (entry.isDirectory()) return readTree(path.join(dir, entry.name), name);
    return [[name, readFileSync(path.join(dir, entry.name), 'utf8')]];
  });
}

/**
 * Two house functions, one with the default main fields and one (the
 * authorizer) with its own, bundled for real into a fresh cloud assembly.
 */
function synth(options: { bundler?: 'cdk'; cache?: ValidationCache; outdir?: string }): Map<string, string> {
  const outdir = options.outdir ?? mkdtempSync(path.join(tmpdir(), 'pp-house-bundle-'));
  const app = new App({ outdir, context: options.bundler ? { lambdaBundler: options.bundler } : {} });
  if (options.cache) useLambdaBundleCache(app, options.cache);
  const stack = new Stack(app, 'Bundles');
  new PlatformFunction(stack, 'Consumer', { handler: 'dlq-consumer', description: 'd', serviceName: 'd' });
  new PlatformFunction(stack, 'Authorizer', { handler: 'authorizer', description: 'a', serviceName: 'a' });
  app.synth();
  return new Map(readTree(outdir));
}

function expectSameFiles(actual: Map<string, string>, expected: Map<string, string>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, content] of expected) {
    expect({ name, same: actual.get(name) === content }).toEqual({ name, same: true });
  }
}

describe('house bundling', () => {
  it('writes the same cloud assembly as NodejsFunction: no cache, cold cache, warm cache', () => {
    const cache = new ValidationCache(mkdtempSync(path.join(tmpdir(), 'pp-house-bundle-cache-')));
    // One call site, so the metadata's stack traces are the same in every run.
    // House bundling first: the reference after it must still be CDK's own.
    const runs: Array<Parameters<typeof synth>[0]> = [{ cache }, { bundler: 'cdk' }, {}, { cache }];
    const [cold, reference, ...house] = runs.map((options) => synth(options));
    house.unshift(cold);
    const bundles = [...reference.keys()].filter((name) => /^asset\.[0-9a-f]{64}\/index\.js(\.map)?$/.test(name));
    expect(bundles).toHaveLength(4);
    for (const files of house) expectSameFiles(files, reference);
    // Both bundled by the cold run, both served to the warm one.
    expect(cache.stats[LAMBDA_BUNDLE_KIND]).toEqual({ hits: 2, misses: 2 });
  });

  it('bundles again for an output directory elsewhere, whose source map names sources by another path', () => {
    const cache = new ValidationCache(mkdtempSync(path.join(tmpdir(), 'pp-house-bundle-cache-')));
    const near = synth({ cache });
    const deeper = path.join(mkdtempSync(path.join(tmpdir(), 'pp-house-bundle-')), 'nested');
    mkdirSync(deeper);
    const files = synth({ cache, outdir: deeper });
    expect(cache.stats[LAMBDA_BUNDLE_KIND]).toEqual({ hits: 0, misses: 4 });
    const map = [...files].find(([name]) => name.endsWith('index.js.map'))![1];
    const referenceMap = [...near].find(([name]) => name.endsWith('index.js.map'))![1];
    expect(JSON.parse(map).sources[0]).toBe(`../${JSON.parse(referenceMap).sources[0]}`);
  });

  it('refuses a bundling setting it does not translate to esbuild', () => {
    const bundling: nodejs.BundlingOptions = {
      target: 'node22',
      externalModules: ['@aws-sdk/*'],
      keepNames: true,
    };
    expect(() => esbuildOptionsOf(bundling)).toThrow('house bundling does not translate keepNames');
  });
});
