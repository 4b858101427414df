/**
 * One measured synth, run by bench/synth.ts in a child process of its own so
 * that peak RSS belongs to this run alone. Loads the partners through the
 * real loader, builds either the platform app or the naive baseline and
 * synthesizes into `--outdir`; prints one JSON line of timings.
 *
 *   ts-node --transpile-only bench/synth-child.ts --app ours|naive --env prod \
 *     --partners DIR --outdir DIR --validation on|off --nag on|off [--creation-stack-traces on|off]
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, CloudFormationValidatePlugin } from 'aws-cdk-lib';
import {
  ANALYTICS_REPORTING_ENABLED_CONTEXT,
  ASSET_RESOURCE_METADATA_ENABLED_CONTEXT,
  BUNDLING_STACKS,
  DISABLE_CREATION_STACK_TRACES,
  PATH_METADATA_ENABLE_CONTEXT,
} from 'aws-cdk-lib/cx-api';
import { loadConfig } from '../lib/config/load-config';
import { buildPlatformApp } from '../lib/platform-app';
import { buildNaiveApp } from './naive-baseline';

/** Time from process start until the app's modules are loaded (node, ts-node, aws-cdk-lib). */
const importedAt = performance.now();

export interface ChildResult {
  readonly app: 'ours' | 'naive';
  readonly partners: number;
  /** Milliseconds from process start to modules loaded. */
  readonly startupMs: number;
  readonly loadMs: number;
  readonly buildMs: number;
  /** `app.synth()`, including validation plugins. */
  readonly synthMs: number;
  /** Part of synthMs spent in the built-in CloudFormation validation. */
  readonly validationMs: number;
  /** Kilobytes, from process.resourceUsage().maxRSS. */
  readonly maxRssKb: number;
  /** User plus system CPU time of the whole process (more than wall when GC and compilation threads help). */
  readonly cpuMs: number;
}

function argument(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

/** Accumulates the time the built-in validation plugin takes (engine start-up included). */
function timeBuiltinValidation(): () => number {
  let total = 0;
  const prototype = CloudFormationValidatePlugin.prototype as unknown as { validate: (...args: unknown[]) => unknown };
  const original = prototype.validate;
  prototype.validate = function timedValidate(this: unknown, ...args: unknown[]) {
    const start = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      total += performance.now() - start;
    }
  };
  return () => total;
}

function main(): void {
  const rootDir = path.resolve(__dirname, '..');
  const which = argument('app') as ChildResult['app'];
  const validation = argument('validation', 'on') === 'on';
  const nag = argument('nag', 'off') === 'on';
  const validationTime = timeBuiltinValidation();
  // The context `cdk synth` gives an app: cdk.json's (feature flags change
  // templates) plus the CLI's defaults (path metadata, the CDKMetadata
  // resource). Lambda bundling is skipped: it costs the same at any partner
  // count and the baseline has no functions.
  const context: Record<string, unknown> = {
    ...JSON.parse(readFileSync(path.join(rootDir, 'cdk.json'), 'utf8')).context,
    [PATH_METADATA_ENABLE_CONTEXT]: true,
    [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true,
    [ANALYTICS_REPORTING_ENABLED_CONTEXT]: true,
    [BUNDLING_STACKS]: [],
  };
  if (argument('creation-stack-traces', 'on') === 'off') context[DISABLE_CREATION_STACK_TRACES] = true;

  const loadStart = performance.now();
  const config = loadConfig({ rootDir, environment: argument('env', 'prod'), partnersDir: argument('partners') });
  const buildStart = performance.now();
  const app = new App({ outdir: argument('outdir'), context, builtinCloudFormationValidation: validation });
  if (which === 'ours') buildPlatformApp(app, config, { nag });
  else if (which === 'naive' && !nag) buildNaiveApp(app, config);
  else if (which === 'naive')
    throw new Error('the naive baseline has no cdk-nag acknowledgements; run it with --nag off');
  else throw new Error(`--app must be ours or naive, not ${which}`);
  const synthStart = performance.now();
  app.synth();
  const end = performance.now();

  const result: ChildResult = {
    app: which,
    partners: config.partners.length,
    startupMs: Math.round(importedAt),
    loadMs: Math.round(buildStart - loadStart),
    buildMs: Math.round(synthStart - buildStart),
    synthMs: Math.round(end - synthStart),
    validationMs: Math.round(validationTime()),
    maxRssKb: process.resourceUsage().maxRSS,
    cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
