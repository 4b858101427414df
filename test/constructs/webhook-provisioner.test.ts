import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PlatformStack } from '../../lib/platform-stack';
import { templateApp } from '../support/template-app';

function provisionerApp(reconcileEvery?: Duration): { app: App; template: Template; stack: PlatformStack } {
  const app = templateApp();
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: 'prod',
    allowHttpWebhooks: false,
    platformBusName: 'partner-platform-prod',
    archiveRetention: Duration.days(14),
    provisioner: {
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
      ...(reconcileEvery === undefined ? {} : { reconcileEvery }),
    },
  });
  return { app, stack, template: Template.fromStack(stack) };
}

const { template } = provisionerApp();

function provisionerStatements(): any[] {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function')).filter((resource: any) =>
    /^Provisions run-time webhooks/.test(resource.Properties.Description ?? ''),
  ) as any[];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

describe('WebhookProvisioner', () => {
  it('runs the provisioner with the settings the local runtime reads back from the template', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Provisions run-time webhooks'),
      Runtime: 'nodejs22.x',
      Environment: {
        Variables: Match.objectLike({
          ENVIRONMENT_NAME: 'prod',
          PLATFORM_BUS_NAME: 'partner-platform-prod',
          SHARD_COUNT: '64',
          RUNTIME_ROUTES_PER_SHARD: '1',
          RETRY_MAX_EVENT_AGE_SECONDS: '86400',
          RETRY_ATTEMPTS: '185',
          QUOTA_RULES_PER_EVENT_BUS: '300',
          RUNTIME_MAX_WEBHOOKS: '100',
          RUNTIME_MAX_WEBHOOKS_PER_SHARD: '100',
          WEBHOOKS_TABLE: Match.anyValue(),
          TENANTS_TABLE: Match.anyValue(),
          ACCOUNT_ID: { Ref: 'AWS::AccountId' },
          PARTITION: { Ref: 'AWS::Partition' },
        }),
      },
    });
  });

  it('is fed by the webhooks stream (both images) with partial batch failures, bisect, bounded retries and an on-failure queue', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TablesWebhooks'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProvisionerStreamFailures'), 'Arn'] } },
      },
    });
  });

  it('reconciles every 15 minutes by default, and as often as told', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ action: 'reconcile' }) })],
    });
    provisionerApp(Duration.minutes(5)).template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ action: 'reconcile' }) })],
    });
  });

  it("may change only the provisioner's own names, and pass only the shard invocation roles to EventBridge", () => {
    const statements = provisionerStatements();
    const text = JSON.stringify(statements);
    expect(text).toContain('rule/partner-platform-prod-shard-*/pp-prod-s*-_*');
    expect(text).toContain('rule/partner-platform-prod/pp-prod-s*-route-rt*');
    expect(text).toContain('connection/pp-prod-s*-_*');
    expect(text).toContain('api-destination/pp-prod-s*-_*');
    expect(text).toContain('secret:partner-platform/prod/webhooks/*');
    // Nothing that could reach a template's destination, or change a template's rule beyond its State
    // (endpoint health's DisableRule/EnableRule), names without the `-_` mark.
    expect(text).not.toMatch(/api-destination\/pp-prod-s\*"/);
    const templateRules = statements.filter((s: any) => /shard-\*\/pp-prod-s\*"/.test(JSON.stringify(s.Resource)));
    expect(templateRules.map((s: any) => [...s.Action].sort())).toEqual([
      ['events:DescribeRule', 'events:DisableRule', 'events:EnableRule'],
    ]);
    expect(statements).toContainEqual({
      Sid: 'PassShardInvocationRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/pp-prod-s*-invoke'],
        ],
      },
      Condition: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
    });
    const wildcard = statements.filter((statement) => statement.Resource === '*');
    // List calls have no resource-level permissions; ListStreams is what the stream mapping needs.
    expect(wildcard).toEqual([
      expect.objectContaining({ Action: ['events:ListRules', 'events:ListApiDestinations', 'events:ListConnections'] }),
      expect.objectContaining({ Action: 'dynamodb:ListStreams' }),
    ]);
  });

  it('is cdk-nag clean, every acknowledgement with its reason', () => {
    const { app } = provisionerApp();
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
