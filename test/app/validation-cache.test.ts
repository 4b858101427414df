import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { BUNDLING_STACKS, FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT } from 'aws-cdk-lib/cx-api';
import { loadConfig } from '../../lib/config/load-config';
import { buildPlatformApp } from '../../lib/platform-app';
import { ValidationCache } from '../../lib/validation-cache/validation-cache';
import { REPO_ROOT } from '../support/workspace';

const config = loadConfig({ rootDir: REPO_ROOT });

/** A queue that breaks AwsSolutions-SQS3/SQS4 and CloudFormation's schema (retention under 60 s). */
function addBadQueue(stack: Stack, id: string): void {
  new sqs.CfnQueue(stack, id, { messageRetentionPeriod: 10 });
}

interface Run {
  readonly report: unknown;
  readonly findings: string[];
}

/** Synthesizes the example partners with cdk-nag and the built-in validation on; returns validation-report.json. */
function synth(cache: ValidationCache | undefined, badQueuesIn: readonly number[] = [0]): Run {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pp-validation-cache-'));
  // Findings are reported, not thrown, so the report can be compared.
  const app = new App({ outdir, context: { [BUNDLING_STACKS]: [], [FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT]: false } });
  const { shards } = buildPlatformApp(app, config, { nag: true, validationCache: cache });
  for (const shard of badQueuesIn) addBadQueue(shards[shard], 'Unacknowledged');
  const exitCode = process.exitCode;
  app.synth();
  // A failed validation that does not throw sets the exit code; these failures are planted.
  process.exitCode = exitCode;
  const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{
      pluginName: string;
      violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath?: string }> }>;
    }>;
  };
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `${plugin.pluginName} ${v.ruleName} ${c.constructPath}`),
    ),
  );
  return { report, findings: findings.sort() };
}

describe('validation cache', () => {
  // The planted findings are printed by aws-cdk-lib; the report file is what is compared.
  beforeAll(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  let uncached: Run;
  beforeAll(() => (uncached = synth(undefined)));
  const cache = new ValidationCache(mkdtempSync(path.join(tmpdir(), 'pp-validation-cache-dir-')));
  afterAll(() => (CloudFormationValidatePlugin as unknown as { _disposeSingleton(): void })._disposeSingleton());

  it('reports exactly what the uncached checks report, cold and served from the cache', () => {
    expect(uncached.findings).toEqual(
      expect.arrayContaining([
        `AwsSolutions AwsSolutions-SQS3 partner-platform-dev-shard-000/Unacknowledged`,
        `AwsSolutions AwsSolutions-SQS4 partner-platform-dev-shard-000/Unacknowledged`,
        expect.stringMatching(/^CloudFormation Validate \S+ partner-platform-dev-shard-000\/Unacknowledged$/),
      ]),
    );
    const cold = synth(cache);
    expect(cache.stats['cdk-nag']).toEqual({ hits: 0, misses: 5 });
    expect(cold.report).toEqual(uncached.report);
    const warm = synth(cache);
    expect(cache.stats['cdk-nag']).toEqual({ hits: 5, misses: 5 });
    expect(cache.stats['cloudformation-validate']).toEqual({ hits: 5, misses: 5 });
    expect(warm.report).toEqual(uncached.report);
  });

  it('checks a changed stack again and reports its new findings', () => {
    const before = { ...cache.stats['cdk-nag'] };
    const changed = synth(cache, [0, 1]);
    expect(cache.stats['cdk-nag']).toEqual({ hits: before.hits + 4, misses: before.misses + 1 });
    expect(changed.findings).toEqual(
      expect.arrayContaining([
        'AwsSolutions AwsSolutions-SQS3 partner-platform-dev-shard-001/Unacknowledged',
        expect.stringMatching(/^CloudFormation Validate \S+ partner-platform-dev-shard-001\/Unacknowledged$/),
      ]),
    );
    expect(changed.report).toEqual(synth(undefined, [0, 1]).report);
  });
});
