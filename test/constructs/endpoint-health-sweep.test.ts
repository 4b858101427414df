import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PlatformStack, type PlatformStackProps } from '../../lib/platform-stack';
import { actionsOf, statementsOfService } from '../support/iam-statements';
import { templateApp } from '../support/template-app';

const provisioner: PlatformStackProps['provisioner'] = {
  shardCount: 64,
  routesPerShard: 1,
  rateLimitPerSecond: 10,
  retryPolicy: { maxEventAgeSeconds: 86_400, retryAttempts: 185 },
  limits: {
    rulesPerEventBus: 300,
    eventPatternMaxChars: 2048,
    apiDestinationsPerAccount: 3000,
    connectionsPerAccount: 3000,
    maxWebhooks: 100,
    maxWebhooksPerShard: 100,
  },
};

function platform(overrides: Partial<PlatformStackProps> = {}): { app: App; template: Template } {
  const app = templateApp();
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: 'prod',
    allowHttpWebhooks: false,
    platformBusName: 'partner-platform-prod',
    archiveRetention: Duration.days(14),
    provisioner,
    ...overrides,
  });
  return { app, template: Template.fromStack(stack) };
}

const sweepFunction = (variables: Record<string, unknown>) => ({
  Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'endpoint-health', ...variables }) },
});

describe('EndpointHealthSweep', () => {
  const { app, template } = platform();

  it('disables after 120 hours by default, names the shard count and the platform bus', () => {
    template.hasResourceProperties(
      'AWS::Lambda::Function',
      sweepFunction({
        ENVIRONMENT_NAME: 'prod',
        SHARD_COUNT: '64',
        DISABLE_AFTER_HOURS: '120',
        WEBHOOKS_TABLE: Match.anyValue(),
        PLATFORM_BUS_NAME: Match.anyValue(),
      }),
    );
  });

  it('takes failures.disableAfterHours from the config', () => {
    platform({ disableAfterHours: 48 }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      sweepFunction({ DISABLE_AFTER_HOURS: '48' }),
    );
  });

  it('runs every 15 minutes on a schedule whose one target is the sweep', () => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { ScheduleExpression: 'rate(15 minutes)' },
    });
    const sweeps = Object.values(rules).filter((rule: any) =>
      JSON.stringify(rule.Properties.Targets).includes('EndpointHealth'),
    );
    expect(sweeps).toHaveLength(1);
    expect((sweeps[0] as any).Properties.Targets).toHaveLength(1);
  });

  it('may read metrics (GetMetricData only), write webhooks, and publish on the platform bus only', () => {
    const statements = statementsOfService(template, 'endpoint-health');
    const actions = statements.flatMap(actionsOf);
    const cloudwatch = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('cloudwatch:')));
    expect(cloudwatch.map(actionsOf)).toEqual([['cloudwatch:GetMetricData']]);
    const events = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('events:')));
    expect(events.flatMap(actionsOf)).toEqual(['events:PutEvents']);
    expect(JSON.stringify(events[0].Resource)).toMatch(/PartnerEvents/);
    expect(actions.filter((a) => a.startsWith('secretsmanager:') || a === 'dynamodb:Scan')).toEqual([]);
    const writes = statements.filter((s) => actionsOf(s).includes('dynamodb:PutItem'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0].Resource)).toMatch(/Webhooks/);
  });

  it('lets the provisioner switch any shard webhook rule on or off, but write only its own', () => {
    const statements = statementsOfService(template, 'webhook-provisioner');
    const stateOnly = statements.filter((s) => actionsOf(s).includes('events:DisableRule'));
    expect(stateOnly).toHaveLength(1);
    expect(actionsOf(stateOnly[0]).sort()).toEqual(['events:DescribeRule', 'events:DisableRule', 'events:EnableRule']);
    expect(JSON.stringify(stateOnly[0].Resource)).toContain('rule/partner-platform-prod-shard-*/pp-prod-s*');
    const putRule = statements.filter((s) => actionsOf(s).includes('events:PutRule'));
    expect(putRule.every((s) => !JSON.stringify(s.Resource).endsWith('pp-prod-s*"]]}'))).toBe(true);
  });

  it('is absent without the provisioner, which applies its verdicts to the rules', () => {
    const { template: bare } = platform({ provisioner: undefined });
    expect(
      Object.values(bare.findResources('AWS::Lambda::Function')).filter(
        (fn: any) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'endpoint-health',
      ),
    ).toEqual([]);
  });

  it('leaves no cdk-nag finding unacknowledged', () => {
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });
});
