/**
 * The audit report of the example partners (partners/*.yaml), checked
 * against the templates it was built from: every partner's URL and event
 * pattern appear exactly as synthesized, two runs write identical files,
 * and no credential value ever reaches the report.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { subscribedTypes } from '../../lambda/core/event-catalog';
import { loadConfig, PlatformConfig } from '../../lib/config/load-config';
import { allRules, readCloudAssembly, targetResource } from '../../local/cloud-assembly';
import { ORG_ID_TAG } from '../../scripts/lib/audit-report';
import { writeAuditReport } from '../../scripts/audit';
import { REPO_ROOT } from '../support/workspace';
import { synthesizeAssembly } from '../scale/synth-assembly';

let config: PlatformConfig;
let outdir: string;

const read = (dir: string, name: string) => readFileSync(path.join(dir, 'audit', name), 'utf8');

/** A copy of the assembly whose first connection carries `value` as a literal, and first URL `url`. */
function tamperedCopy(edit: { secret?: string; url?: string }): string {
  const copy = mkdtempSync(path.join(tmpdir(), 'pp-audit-tampered-'));
  cpSync(outdir, copy, { recursive: true });
  const assembly = readCloudAssembly(copy);
  const stack = assembly.stacks.find((s) =>
    Object.values(s.template.Resources ?? {}).some((r) => r.Type === 'AWS::Events::Connection'),
  )!;
  const template = JSON.parse(stack.templateText);
  const resources = Object.values<any>(template.Resources);
  if (edit.secret) {
    resources.find(
      (r) => r.Type === 'AWS::Events::Connection',
    ).Properties.AuthParameters.ApiKeyAuthParameters.ApiKeyValue = edit.secret;
  }
  if (edit.url)
    resources.find((r) => r.Type === 'AWS::Events::ApiDestination').Properties.InvocationEndpoint = edit.url;
  writeFileSync(path.join(copy, stack.templateFile), JSON.stringify(template, null, 1));
  return copy;
}

/** A copy of the assembly where each edit changes the alarm of that name (in whichever stack holds it). */
function alarmEditedCopy(edits: Record<string, (properties: Record<string, unknown>) => void>): string {
  const copy = mkdtempSync(path.join(tmpdir(), 'pp-audit-alarm-'));
  cpSync(outdir, copy, { recursive: true });
  for (const stack of readCloudAssembly(copy).stacks) {
    const template = JSON.parse(stack.templateText);
    const alarms = Object.values<any>(template.Resources).filter((r) => edits[r.Properties?.AlarmName]);
    for (const alarm of alarms) edits[alarm.Properties.AlarmName](alarm.Properties);
    if (alarms.length) writeFileSync(path.join(copy, stack.templateFile), JSON.stringify(template, null, 1));
  }
  return copy;
}

beforeAll(() => {
  config = loadConfig({ rootDir: REPO_ROOT });
  // cdk-nag on, so acknowledged findings are written into the templates.
  outdir = synthesizeAssembly(config, { nag: true }).outdir;
  writeAuditReport(outdir);
}, 60_000);

describe('audit report of the example partners', () => {
  it('names the environment and where its quotas come from', () => {
    const report = JSON.parse(read(outdir, 'report.json'));
    expect(report.environment).toEqual({
      name: 'dev',
      source: 'stack tag partner-platform:environment in manifest.json',
      quotasFrom: 'config/dev.yaml',
    });
    expect(read(outdir, 'report.md')).toContain('# Audit report: dev');
    expect(report.quotas.length).toBeGreaterThan(5);
    expect(report.quotas.every((q: { ok: boolean }) => q.ok)).toBe(true);
    expect(report.problems).toEqual([]);
  });

  it('lists every partner and webhook of partners/*.yaml with the URL and pattern exactly as synthesized', () => {
    const report = JSON.parse(read(outdir, 'report.json'));
    const markdown = read(outdir, 'report.md');
    const assembly = readCloudAssembly(outdir);
    expect(report.partners.map((p: { orgId: string }) => p.orgId)).toEqual(config.partners.map((p) => p.orgId));
    for (const partner of config.partners) {
      const audited = report.partners.find((p: { orgId: string }) => p.orgId === partner.orgId);
      expect(audited.webhooks.map((w: { webhookId: string }) => w.webhookId).sort()).toEqual(
        partner.webhooks.map((w) => w.id).sort(),
      );
      for (const webhook of partner.webhooks) {
        const entry = audited.webhooks.find((w: { webhookId: string }) => w.webhookId === webhook.id);
        // The template's own rule and destination for this webhook.
        const rule = allRules(assembly).find(
          (r) =>
            r.resource.Properties?.Tags?.some((t: any) => t.Key === ORG_ID_TAG && t.Value === partner.orgId) &&
            r.resource.Properties?.Name === entry.rule.name,
        )!;
        const destination = targetResource(assembly, rule.stack, rule.resource.Properties?.Targets[0].Arn)!;
        expect(entry.eventPattern).toBe(JSON.stringify(rule.resource.Properties?.EventPattern));
        expect(entry.destination.url).toBe(destination.resource.Properties?.InvocationEndpoint);
        expect(entry.destination.url).toBe(webhook.url);
        // Every type the rule delivers ("*" spelled out as the whole catalog), in the pattern's
        // order (grouped by source), which is not the catalog's once a second source exists.
        expect([...entry.eventTypes].sort()).toEqual(
          subscribedTypes(webhook.events, config.catalog)
            .map((type) => type.name)
            .sort(),
        );
        expect(entry.destination.rateLimitPerSecond).toBe(webhook.rateLimitPerSecond);
        expect(entry.connection.secretReference).toMatch(
          /^\{\{resolve:secretsmanager:\$\{[A-Za-z0-9]+\}:SecretString:::\}\}$/,
        );
        expect(entry.retryPolicy).toEqual({
          maximumEventAgeInSeconds: config.environment.delivery.maxEventAgeSeconds,
          maximumRetryAttempts: config.environment.delivery.retryAttempts,
        });
        expect(entry.deadLetterQueue.stack).toBe(rule.stack.stackName);
        expect(entry.busPath[0]).toBe('partner-platform-dev (event bus)');
        expect(entry.busPath).toHaveLength(5);
        expect(markdown).toContain(webhook.url);
        expect(markdown).toContain(`\`${entry.eventPattern}\``);
      }
    }
  });

  it('lists each IAM role with its statements and the acknowledged cdk-nag findings with reasons', () => {
    const report = JSON.parse(read(outdir, 'report.json'));
    const invocation = report.roles.find((r: { logicalId: string }) => r.logicalId.startsWith('ShardInvocationRole'));
    expect(JSON.stringify(invocation.policies)).toContain('events:InvokeApiDestination');
    expect(JSON.stringify(invocation.trust)).toContain('events.amazonaws.com');
    const acknowledged = report.nag.acknowledged.map((a: { rule: string }) => a.rule);
    expect(acknowledged).toEqual(expect.arrayContaining(['AwsSolutions-SMG4', 'AwsSolutions-SQS3']));
    expect(report.nag.acknowledged.every((a: { reason: string }) => a.reason.length > 20)).toBe(true);
    expect(report.nag.unsuppressed).toEqual([]);
  });

  it('lists every alarm per stack with what it watches, when it fires and the topic it notifies', () => {
    const report = JSON.parse(read(outdir, 'report.json'));
    const markdown = read(outdir, 'report.md');
    const shardStacks = report.stacks
      .map((s: { name: string }) => s.name)
      .filter((name: string) => name.startsWith('partner-platform-dev-shard-'));
    expect(shardStacks.length).toBeGreaterThan(0);
    const topicArn = 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:partner-platform-dev-alarms';
    for (const stack of shardStacks) {
      const alarms = report.alarms.filter((a: { stack: string }) => a.stack === stack);
      const prefix = `pp-dev-s${stack.slice(-3)}`;
      expect(alarms.map((a: { name: string }) => a.name)).toEqual(
        ['dlq-depth', 'dlq-oldest-message', 'dlq-send-failures', 'failed-invocations', 'throttled-rules'].map(
          (suffix) => `${prefix}-${suffix}`,
        ),
      );
      for (const alarm of alarms) expect(alarm.actions).toEqual([topicArn]);
    }
    const failed = report.alarms.find(
      (a: { name: string }) => a.name === `pp-dev-s${shardStacks[0].slice(-3)}-failed-invocations`,
    );
    expect(failed.watches).toMatch(
      /^SELECT SUM\(FailedInvocations\) FROM SCHEMA\("AWS\/Events", EventBusName, RuleName\) WHERE EventBusName = 'partner-platform-dev-shard-\d{3}'$/,
    );
    expect(failed.condition).toBe('> 0 in 1 of 1 period(s) of 300 s, missing data notBreaching');
    const platform = report.alarms.filter((a: { stack: string }) => a.stack === 'partner-platform-dev');
    expect(platform.map((a: { name: string }) => a.name)).toEqual(
      expect.arrayContaining(['partner-platform-dev-api-5xx', 'partner-platform-dev-partner-authorizer-errors']),
    );
    for (const alarm of platform) {
      expect(alarm.actions).toEqual([
        expect.stringMatching(/^SNS topic partner-platform-dev-alarms \(partner-platform-dev\/AlarmTopic[A-Z0-9]+\)$/),
      ]);
    }
    expect(report.totals.alarms).toBe(report.alarms.length);
    expect(markdown).toContain('## Alarms');
    expect(markdown).toContain(
      `| ${shardStacks[0]} | pp-dev-s${shardStacks[0].slice(-3)}-dlq-depth | \`AWS/SQS ApproximateNumberOfMessagesVisible (QueueName=`,
    );
  });

  it('reports an alarm that tells nobody (no action, or actions disabled) as a problem', () => {
    const report = JSON.parse(read(outdir, 'report.json'));
    const [first, second] = report.alarms;
    const copy = alarmEditedCopy({
      [first.name]: (properties) => delete properties.AlarmActions,
      [second.name]: (properties) => (properties.ActionsEnabled = false),
    });
    const { report: edited } = writeAuditReport(copy);
    expect(edited.problems).toEqual(
      [
        `${first.stack}/${first.name}: alarm has no action, so it fires in silence; give it the alarm topic (alarms in config/<env>.yaml)`,
        `${second.stack}/${second.name}: alarm has its actions disabled (ActionsEnabled false), so it fires in silence`,
      ].sort(),
    );
    expect(read(copy, 'report.md')).toContain('**nobody (no action)**');
    expect(read(copy, 'report.html')).toContain('<strong class="bad">nobody (actions disabled)</strong>');
  });

  it('writes identical files on a second run over the same cdk.out', () => {
    const first = ['report.json', 'report.md', 'report.html'].map((name) => read(outdir, name));
    writeAuditReport(outdir);
    const second = ['report.json', 'report.md', 'report.html'].map((name) => read(outdir, name));
    expect(second).toEqual(first);
    // Nothing machine- or time-specific: no absolute paths, no dates.
    for (const text of first) {
      expect(text).not.toContain(outdir);
      expect(text).not.toContain(REPO_ROOT);
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    }
  });

  it('never prints a credential: a literal secret in a template is redacted and reported as a problem', () => {
    const secret = 'literal-Secret-Value-0123456789';
    const copy = tamperedCopy({ secret });
    const { report } = writeAuditReport(copy);
    for (const name of ['report.json', 'report.md', 'report.html']) expect(read(copy, name)).not.toContain(secret);
    expect(JSON.stringify(report)).toContain('(literal value redacted)');
    expect(report.problems).toEqual([expect.stringMatching(/carries its credential as a literal in the template/)]);
  });

  it('lists unsuppressed findings from validation-report.json, without stack traces, and an error one as a problem', () => {
    const copy = tamperedCopy({});
    writeFileSync(
      path.join(copy, 'validation-report.json'),
      JSON.stringify({
        version: '55.0.0',
        title: 'Validation Report',
        pluginReports: [
          {
            pluginName: 'AwsSolutions',
            conclusion: 'failure',
            violations: [
              {
                ruleName: 'AwsSolutions-SQS4',
                description: 'The SQS queue does not require requests to use SSL.',
                severity: 'error',
                violatingConstructs: [
                  { constructPath: 'partner-platform-dev/Queue/Resource', stackTraces: ['at /home/someone/app.ts:1'] },
                ],
              },
            ],
          },
        ],
      }),
    );
    const { report } = writeAuditReport(copy);
    expect(report.nag.unsuppressed).toEqual([
      {
        plugin: 'AwsSolutions',
        rule: 'AwsSolutions-SQS4',
        severity: 'error',
        description: 'The SQS queue does not require requests to use SSL.',
        resources: ['partner-platform-dev/Queue/Resource'],
      },
    ]);
    expect(report.problems).toEqual([expect.stringMatching(/^AwsSolutions AwsSolutions-SQS4 is not acknowledged: /)]);
    expect(read(copy, 'report.json')).not.toContain('/home/someone');
  });

  it('escapes template text in the HTML and Markdown reports', () => {
    const url = 'https://evil.example/<script>alert(1)</script>|x';
    const copy = tamperedCopy({ url });
    writeAuditReport(copy);
    const html = read(copy, 'report.html');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;|x');
    expect(html).not.toMatch(/<link|<img|src=|href=/);
    expect(read(copy, 'report.md')).toContain('&lt;script>alert(1)&lt;/script>\\|x');
  });

  it('runs as `npm run audit` over a cdk.out directory', () => {
    const result = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(REPO_ROOT, 'scripts', 'audit.ts'), '--cdk-out', outdir],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^Audit report \(dev\): 3 partners, 4 webhooks, \d+ acknowledged and 0 unsuppressed findings -> /,
    );
  });
});
