import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin } from 'aws-cdk-lib';
import {
  ANALYTICS_REPORTING_ENABLED_CONTEXT,
  ASSET_RESOURCE_METADATA_ENABLED_CONTEXT,
  BUNDLING_STACKS,
  PATH_METADATA_ENABLE_CONTEXT,
} from 'aws-cdk-lib/cx-api';
import { syntheticPartnersDir } from '../../bench/synthetic-partners';
import { appSourceDigest } from '../../lib/bundle-input-hash';
import { planDelivery } from '../../lib/config/delivery-plan';
import { loadConfig, PlatformConfig } from '../../lib/config/load-config';
import { buildPlatformApp } from '../../lib/platform-app';
import { CachedShardStack } from '../../lib/stack-cache/cached-shard-stack';
import { ValidationCache } from '../../lib/validation-cache/validation-cache';
import { REPO_ROOT } from '../support/workspace';

/** The context `cdk synth` gives the app (path and asset metadata, CDKMetadata), bundling skipped. */
const CLI_CONTEXT = {
  [PATH_METADATA_ENABLE_CONTEXT]: true,
  [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true,
  [ANALYTICS_REPORTING_ENABLED_CONTEXT]: true,
  [BUNDLING_STACKS]: [],
};

interface Output {
  /** File name -> content, for every file in the cloud assembly. */
  readonly files: Map<string, string>;
  readonly built: string[];
  readonly served: string[];
  /** Whether the platform stack was served from the stack cache. */
  readonly platformServed: boolean;
}

function readTree(dir: string, prefix = ''): Array<[string, string]> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry): Array<[string, string]> => {
    const name = path.join(prefix, entry.name);
    if (entry.isDirectory()) return readTree(path.join(dir, entry.name), name);
    return [[name, readFileSync(path.join(dir, entry.name), 'utf8')]];
  });
}

/**
 * Synthesizes as bin/app.ts does (cdk-nag, the built-in validation, the
 * validation cache) with the stack cache on or off. One call site, so the
 * stacks' creation traces are the same in every run.
 */
function synth(
  config: PlatformConfig,
  cache: ValidationCache,
  stackCache: { sourceDigest?: string } | false,
  outdir = mkdtempSync(path.join(tmpdir(), 'pp-stack-cache-out-')),
): Output {
  const app = new App({ outdir, context: CLI_CONTEXT });
  const built = buildPlatformApp(app, config, {
    validationCache: cache,
    stackCache: stackCache === false ? undefined : { rootDir: REPO_ROOT, ...stackCache },
  });
  app.synth();
  return {
    files: new Map(readTree(outdir)),
    built: built.shards.map((stack) => stack.stackName),
    served: built.cachedShards.map((stack) => stack.stackName),
    platformServed: built.platformStack instanceof CachedShardStack,
  };
}

function expectSameFiles(actual: Output, expected: Output): void {
  expect([...actual.files.keys()].sort()).toEqual([...expected.files.keys()].sort());
  for (const [name, content] of expected.files) {
    // One file at a time, so a failure names the file.
    expect({ name, same: actual.files.get(name) === content }).toEqual({ name, same: true });
  }
}

function shardOf(config: PlatformConfig, orgId: string): string {
  const shard = planDelivery(config).shards.find((s) => s.partners.some((p) => p.config.orgId === orgId));
  if (!shard) throw new Error(`${orgId} is in no shard`);
  return shard.stackName;
}

function withWebhookUrl(config: PlatformConfig, orgId: string, url: string): PlatformConfig {
  return {
    ...config,
    partners: config.partners.map((partner) =>
      partner.orgId === orgId
        ? { ...partner, webhooks: partner.webhooks.map((w, i) => (i === 0 ? { ...w, url } : w)) }
        : partner,
    ),
  };
}

interface Step {
  readonly config: PlatformConfig;
  /** Without the stack cache: a fresh validation cache, the reference output. */
  readonly reference?: boolean;
  readonly sourceDigest?: string;
}

describe('shard stack cache', () => {
  const config = loadConfig({ rootDir: REPO_ROOT, environment: 'dev', partnersDir: syntheticPartnersDir(24) });
  const allShards = planDelivery(config).shards.map((shard) => shard.stackName);
  // A partner with a webhook, so a URL change changes its shard's template.
  const changedOrg = config.partners.find((partner) => partner.webhooks.length > 0)!.orgId;
  const changed = withWebhookUrl(config, changedOrg, 'https://hooks.example.com/changed');
  const retries = {
    ...config,
    environment: { ...config.environment, delivery: { ...config.environment.delivery, retryAttempts: 17 } },
  };
  const newCache = () => new ValidationCache(mkdtempSync(path.join(tmpdir(), 'pp-stack-cache-')));

  /**
   * Runs the steps in order against one cache and, as `cdk synth` does, one
   * cloud assembly directory (each reference in a fresh one), all from this
   * one call site (the creation traces are the same).
   */
  function run(steps: readonly Step[], cache = newCache()): Output[] {
    const outputs: Output[] = [];
    const outdir = mkdtempSync(path.join(tmpdir(), 'pp-stack-cache-out-'));
    for (const step of steps) {
      outputs.push(
        synth(
          step.config,
          step.reference ? newCache() : cache,
          step.reference ? false : { sourceDigest: step.sourceDigest },
          step.reference ? undefined : outdir,
        ),
      );
    }
    return outputs;
  }

  beforeAll(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterAll(() => (CloudFormationValidatePlugin as unknown as { _disposeSingleton(): void })._disposeSingleton());

  it('writes the same assembly as without it: cold, warm, one partner, environment config and a source file changed', () => {
    expect(allShards.length).toBeGreaterThan(1);
    const [reference, cold, warm, oneChanged, changedReference, environment, environmentReference, source] = run([
      { config, reference: true },
      { config },
      { config },
      { config: changed },
      { config: changed, reference: true },
      { config: retries },
      { config: retries, reference: true },
      { config, sourceDigest: 'another lib/ or lambda/ file' },
    ]);
    expect({ built: cold.built, served: cold.served }).toEqual({ built: allShards, served: [] });
    expectSameFiles(cold, reference);
    expect({ built: warm.built, served: warm.served }).toEqual({ built: [], served: allShards });
    expectSameFiles(warm, reference);
    // The platform stack reads no partner file: served unless the environment config or a source changed.
    expect([cold, warm, oneChanged, environment, source].map((output) => output.platformServed)).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);

    expect(oneChanged.built).toEqual([shardOf(config, changedOrg)]);
    expectSameFiles(oneChanged, changedReference);
    const template = `${shardOf(config, changedOrg)}.template.json`;
    expect(oneChanged.files.get(template)).not.toEqual(reference.files.get(template));

    expect({ built: environment.built, served: environment.served }).toEqual({ built: allShards, served: [] });
    expectSameFiles(environment, environmentReference);
    expect({ built: source.built, served: source.served }).toEqual({ built: allShards, served: [] });
    expectSameFiles(source, reference);
  });

  it('a change to one partner (a webhook URL, its name, the partner removed) invalidates exactly its shard', () => {
    const org = config.partners[5].orgId;
    const changes: PlatformConfig[] = [
      withWebhookUrl(config, org, 'https://hooks.example.com/v2'),
      {
        ...config,
        partners: config.partners.map((p) => (p.orgId === org ? { ...p, orgName: `${p.orgName} Ltd` } : p)),
      },
      { ...config, partners: config.partners.filter((p) => p.orgId !== org) },
    ];
    const [, ...outputs] = run([{ config }, ...changes.map((c) => ({ config: c }))]);
    for (const output of outputs) {
      expect(output.built).toEqual([shardOf(config, org)]);
      expect(output.served).toEqual(allShards.filter((name) => name !== shardOf(config, org)));
    }
  });

  it('never serves a stack whose cdk-nag findings are not stored', () => {
    const cache = newCache();
    run([{ config }], cache);
    // Forget cdk-nag's findings: the stored stacks may no longer be served.
    for (const [file] of readTree(path.join(cache.dir, 'cdk-nag'))) {
      writeFileSync(path.join(cache.dir, 'cdk-nag', file), '{}');
    }
    const [again] = run([{ config }], cache);
    expect({ built: again.built, served: again.served }).toEqual({ built: allShards, served: [] });
  });
});

describe('appSourceDigest', () => {
  function root(libText: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'pp-source-digest-'));
    for (const sub of ['bin', 'lib', 'lambda']) mkdirSync(path.join(dir, sub));
    for (const file of ['cdk.json', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      writeFileSync(path.join(dir, file), '{}');
    }
    writeFileSync(path.join(dir, 'lambda', 'handler.ts'), 'export {};');
    writeFileSync(path.join(dir, 'lib', 'stack.ts'), libText);
    return dir;
  }

  it('changes with any file under lib/ and is the same for the same files', () => {
    expect(appSourceDigest(root('a'))).toEqual(appSourceDigest(root('a')));
    expect(appSourceDigest(root('a'))).not.toEqual(appSourceDigest(root('b')));
  });
});
