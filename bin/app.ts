#!/usr/bin/env node
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { staleBundledCatalog } from '../lib/config/bundled-catalog';
import { ConfigError } from '../lib/config/config-error';
import { loadConfig, PlatformConfig } from '../lib/config/load-config';
import { LAMBDA_BUNDLE_KIND } from '../lib/house-bundler';
import { appSourceDigest } from '../lib/bundle-input-hash';
import { PARTNER_FILE_KIND, PartnerFileCache } from '../lib/config/partner-file-cache';
import { QuotaError } from '../lib/config/quota-check';
import { buildPlatformApp } from '../lib/platform-app';
import { SHARD_STACK_KIND } from '../lib/stack-cache/shard-stack-cache';
import { oversizedTemplates } from '../lib/stack-limits';
import { ValidationCache } from '../lib/validation-cache/validation-cache';

/**
 * Reads config/<env>.yaml and partners/*.yaml, builds the stacks and checks
 * the templates against CloudFormation's size limit. Any config or quota
 * problem stops the app before a template is written.
 */
function main(): number {
  const app = new App();
  const environment = String(app.node.tryGetContext('env') ?? 'dev');
  const rootDir = path.resolve(__dirname, '..');
  const partnersDir = app.node.tryGetContext('partnersDir') as string | undefined;
  let config: PlatformConfig;
  const validationCache = validationCacheOf(app, rootDir);
  try {
    config = loadConfig({
      rootDir,
      environment,
      partnersDir: partnersDir ? path.resolve(partnersDir) : undefined,
      partnerCache: validationCache && new PartnerFileCache(validationCache, appSourceDigest(rootDir)),
    });
    // The functions bundle their own copy of the catalog; never deploy one that disagrees with the rules.
    const stale = staleBundledCatalog(config.catalog);
    if (stale) throw new ConfigError([stale]);
    buildPlatformApp(app, config, { validationCache, stackCache: stackCacheOf(app, rootDir, validationCache) });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof QuotaError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const assembly = app.synth();
  if (validationCache) process.stderr.write(`${cacheSummary(validationCache)}\n`);
  const limit = config.environment.sharding.maxTemplateBytes;
  const oversized = oversizedTemplates(assembly, limit, `raise sharding.shardCount in config/${environment}.yaml`);
  if (oversized.length > 0) {
    process.stderr.write(`${oversized.join('\n')}\n`);
    return 1;
  }
  return 0;
}

/**
 * cdk-nag and the CloudFormation validation keep their findings per stack in
 * node_modules/.cache (`-c validationCacheDir=DIR` elsewhere,
 * `-c validationCache=off` to check everything from scratch).
 */
function validationCacheOf(app: App, rootDir: string): ValidationCache | undefined {
  if (String(app.node.tryGetContext('validationCache') ?? 'on') === 'off') return undefined;
  const dir = app.node.tryGetContext('validationCacheDir') as string | undefined;
  return new ValidationCache(
    dir ? path.resolve(dir) : path.join(rootDir, 'node_modules', '.cache', 'partner-platform', 'validation'),
  );
}

/**
 * Unchanged shard stacks are served whole from the same directory
 * (lib/stack-cache); `-c stackCache=off` builds every stack (the checks'
 * caches still apply).
 */
function stackCacheOf(app: App, rootDir: string, validationCache: ValidationCache | undefined) {
  if (!validationCache || String(app.node.tryGetContext('stackCache') ?? 'on') === 'off') return undefined;
  return { rootDir };
}

function cacheSummary(cache: ValidationCache): string {
  const parts = Object.entries(cache.stats).map(([kind, { hits, misses }]) => {
    if (kind === SHARD_STACK_KIND) return `shard stacks ${misses} built, ${hits} served from cache`;
    if (kind === LAMBDA_BUNDLE_KIND) return `lambda bundles ${misses} built, ${hits} from cache`;
    if (kind === PARTNER_FILE_KIND) return `partner files ${misses} parsed, ${hits} from cache`;
    return `${kind} ${misses} checked, ${hits} unchanged (from cache)`;
  });
  return `validation: ${parts.join('; ') || 'off'}`;
}

process.exitCode = main();
