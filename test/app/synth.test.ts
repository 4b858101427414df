import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  App,
  CfnResource,
  CloudFormationValidatePlugin,
  PolicyValidationPluginReport,
  Stack,
  Stage,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../../lib/config/load-config';
import { QuotaError } from '../../lib/config/quota-check';
import { buildPlatformApp } from '../../lib/platform-app';
import { oversizedTemplates } from '../../lib/stack-limits';
import {
  loadWorkspace,
  makeWorkspace,
  partnerDocument,
  REPO_ROOT,
  resourcesOfType,
  Synthesized,
  synthesize,
  workspaceWithPartners,
} from '../support/workspace';
import { templateApp } from '../support/template-app';

const examples = () => loadConfig({ rootDir: REPO_ROOT });

/**
 * CDK's built-in CloudFormation validation (the same plugin, engine and
 * rules `cdk synth` runs) over every template in a cloud assembly. Here its
 * findings fail the test; in a synth they are only printed as warnings. One
 * plugin for the file: its engine takes seconds to start.
 */
let validationPlugin: CloudFormationValidatePlugin | undefined;
function cloudFormationValidation(app: Stage, outdir: string): PolicyValidationPluginReport {
  // The example app names no account or region (`cdk synth` passes none either).
  const stackTemplates = readdirSync(outdir)
    .filter((file) => file.endsWith('.template.json'))
    .map((file) => ({
      templatePath: path.join(outdir, file),
      stackConstructPath: file.replace(/\.template\.json$/, ''),
      accountId: undefined,
      region: undefined,
    }));
  expect(stackTemplates.length).toBeGreaterThan(0);
  validationPlugin ??= new CloudFormationValidatePlugin();
  return validationPlugin.validate({
    templatePaths: stackTemplates.map((stack) => stack.templatePath),
    stackTemplates,
    appConstruct: app,
  });
}

describe('synthesis of the example partners', () => {
  /** The example app with cdk-nag, as `cdk synth` writes it (bundling aside); the tests only read it. */
  let withNag: Synthesized;
  beforeAll(() => {
    withNag = synthesize(examples(), { nag: true });
  });

  it('has zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const app = templateApp();
    buildPlatformApp(app, examples(), { nag: false });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('would fail on a finding nobody acknowledged (the check is live)', () => {
    const app = templateApp();
    const { shards } = buildPlatformApp(app, examples(), { nag: false });
    // An unencrypted, non-TLS queue without a DLQ breaks three AwsSolutions rules.
    new (require('aws-cdk-lib/aws-sqs').Queue)(shards[0], 'Unacknowledged', { encryption: undefined });
    const rules = new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });

  it("has no finding of CDK's CloudFormation validation in any template", () => {
    expect(cloudFormationValidation(Stage.of(withNag.platformApp.platform)!, withNag.outdir)).toEqual({
      success: true,
      violations: [],
    });
  });

  it('would fail on a template CloudFormation refuses (the validation is live)', () => {
    const app = templateApp({ outdir: mkdtempSync(path.join(tmpdir(), 'pp-invalid-')) });
    new CfnResource(new Stack(app, 'Invalid'), 'Queue', {
      type: 'AWS::SQS::Queue',
      properties: { VisibilityTimeout: 'soon' },
    });
    const report = cloudFormationValidation(app, app.synth().directory);
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => v.violatingResources[0].locations)).toEqual([['Properties.VisibilityTimeout']]);
  });

  it('writes byte-identical templates on two synths of the same input', () => {
    const first = withNag;
    const second = synthesize(examples(), { nag: true });
    expect(Object.keys(first.templateText).sort()).toEqual(Object.keys(second.templateText).sort());
    for (const name of Object.keys(first.templateText)) {
      expect(second.templateText[name]).toBe(first.templateText[name]);
    }
    expect(Object.keys(first.templateText).length).toBeGreaterThanOrEqual(2);
  });

  it('puts no webhook secret value in any template, only dynamic references', () => {
    const { templates, templateText } = withNag;
    let connections = 0;
    for (const template of Object.values(templates)) {
      for (const [, connection] of resourcesOfType(template, 'AWS::Events::Connection')) {
        connections += 1;
        const value = connection.Properties.AuthParameters.ApiKeyAuthParameters.ApiKeyValue;
        expect(JSON.stringify(value)).toMatch(
          /^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"[A-Za-z0-9]+"\},":SecretString:::\}\}"\]\]\}$/,
        );
      }
      for (const [, secret] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
        expect(secret.Properties.SecretString).toBeUndefined();
        expect(secret.Properties.GenerateSecretString).toBeDefined();
      }
    }
    expect(connections).toBe(4);
    // Nothing that looks like a generated secret (40+ alphanumerics) is
    // anywhere, other than logical ids.
    for (const [name, text] of Object.entries(templateText)) {
      const logicalIds = new Set(Object.keys(templates[name].Resources));
      const suspicious = [...text.matchAll(/"([A-Za-z0-9]{40,})"/g)].map((m) => m[1]).filter((s) => !logicalIds.has(s));
      expect(suspicious).toEqual([]);
    }
  });
});

describe('limits', () => {
  it('fails synthesis naming the stack before it crosses the resource ceiling', () => {
    // 28: the partner's resources, the shard's own and its five alarms.
    const root = workspaceWithPartners(
      [{ orgId: 'big-partner', webhooks: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }] }],
      { environmentOverrides: { sharding: { maxResourcesPerStack: 12 } } },
    );
    const app = templateApp({ outdir: mkdtempSync(path.join(tmpdir(), 'pp-limit-')) });
    buildPlatformApp(app, loadWorkspace(root), { nag: false });
    expect(() => app.synth()).toThrow(
      /stack partner-platform-dev-shard-\d{3} would have 28 resources, over the limit of 12 \(CloudFormation allows 500\); raise sharding\.shardCount/,
    );
  });

  it('reports templates over the size ceiling by stack name', () => {
    const { outdir } = synthesize(examples());
    const assembly = new (require('aws-cdk-lib/cx-api').CloudAssembly)(outdir);
    expect(oversizedTemplates(assembly, 800_000, 'fix')).toEqual([]);
    expect(oversizedTemplates(assembly, 100, 'raise shardCount')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^stack partner-platform-dev template is \d+ bytes, over the limit of 100 .*; raise shardCount$/,
        ),
      ]),
    );
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'rules per shard bus',
      { quotas: { rulesPerEventBus: 6 }, sharding: { shardCount: 1 }, runtime: undefined },
      /event bus partner-platform-dev-shard-000 \(stack partner-platform-dev-shard-000\): EventBridge rules per event bus: 7 webhook rules exceed 6/,
    ],
    [
      'rules on the platform bus',
      { quotas: { rulesPerEventBus: 6 }, sharding: { shardCount: 4, routesPerShard: 4 }, runtime: undefined },
      /event bus partner-platform-dev: EventBridge rules per event bus: \d+ routing rules plus 5 reserved exceed 6/,
    ],
    [
      'API destinations per account',
      { quotas: { apiDestinationsPerAccount: 5 }, runtime: undefined },
      /EventBridge API destinations per account: 7 webhooks need 7 API destinations, over the quota of 5/,
    ],
    [
      'connections per account',
      { quotas: { connectionsPerAccount: 5 }, runtime: undefined },
      /EventBridge connections per account: 7 webhooks need 7 connections/,
    ],
    [
      'routing pattern size',
      { quotas: { eventPatternMaxChars: 90 }, sharding: { shardCount: 1, routesPerShard: 1 }, runtime: undefined },
      /EventBridge event pattern size: routing pattern for 7 partners is \d+ characters, over 90; raise sharding\.routesPerShard/,
    ],
    [
      'rules per shard bus, the run-time budget reserved',
      {
        quotas: { rulesPerEventBus: 106 },
        sharding: { shardCount: 1 },
        runtime: { maxWebhooks: 10, maxWebhooksPerShard: 100 },
      },
      /EventBridge rules per event bus: 7 webhook rules plus runtime\.maxWebhooksPerShard 100 exceed 106/,
    ],
    [
      'rules on the platform bus, run-time routes reserved',
      {
        quotas: { rulesPerEventBus: 10 },
        sharding: { shardCount: 4, routesPerShard: 1 },
        runtime: { maxWebhooks: 5, maxWebhooksPerShard: 5, routesPerShard: 1 },
      },
      /event bus partner-platform-dev: EventBridge rules per event bus: \d routing rules plus 4 run-time routes plus 5 reserved exceed 10/,
    ],
    [
      'API destinations per account, the run-time budget reserved',
      { quotas: { apiDestinationsPerAccount: 10 }, runtime: { maxWebhooks: 5, maxWebhooksPerShard: 5 } },
      /7 webhooks in partners\/ plus runtime\.maxWebhooks 5 need 12 API destinations, over the quota of 10/,
    ],
  ])('refuses a plan that crosses %s before building any stack', (_quota, overrides, expected) => {
    const partners = ['aa', 'bb', 'cc', 'dd', 'ee', 'ff'].map((orgId) => ({ orgId, webhooks: [{ id: 'main' }] }));
    partners.push({ orgId: 'gg', webhooks: [{ id: 'main' }] });
    const config = loadWorkspace(workspaceWithPartners(partners, { environmentOverrides: overrides }));
    const app = new App();
    expect(() => buildPlatformApp(app, config, { nag: false })).toThrow(QuotaError);
    expect(() => buildPlatformApp(new App(), config, { nag: false })).toThrow(expected);
    expect(app.node.children).toHaveLength(0);
  });
});

describe('cdk synth (the real CLI)', () => {
  const cdk = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk');
  const run = (args: string[]) =>
    spawnSync(cdk, ['synth', '--quiet', ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    });

  it('synthesizes the example partners without AWS credentials', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'pp-cli-'));
    const result = run(['-o', outdir]);
    // In CI (CI=true) the CLI prints its messages to stdout instead of stderr.
    expect(`${result.stdout}${result.stderr}`).toContain('Successfully synthesized');
    expect(result.status).toBe(0);
    expect(readdirSync(outdir).filter((f) => f.endsWith('.template.json')).length).toBeGreaterThanOrEqual(2);
  });

  it('fails on a bad partner file with one line per problem and writes no template', () => {
    const root = makeWorkspace({
      partners: {
        'acme.yaml': partnerDocument({ orgId: 'acme-corp' }),
        'globex.yaml': { ...partnerDocument({ orgId: 'globex' }), colour: 'red' },
      },
    });
    const outdir = mkdtempSync(path.join(tmpdir(), 'pp-cli-'));
    const result = run(['-o', outdir, '-c', `partnersDir=${path.join(root, 'partners')}`]);
    expect(result.status).not.toBe(0);
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toContain('partners/acme.yaml: orgId: "acme-corp" does not match the file name');
    expect(output).toContain('partners/globex.yaml: colour: unknown field');
    expect(existsSync(outdir) ? readdirSync(outdir).filter((f) => f.endsWith('.template.json')) : []).toEqual([]);
  });
});
