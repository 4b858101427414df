/**
 * Usage accounting's template: the platform API's stage writes the shared
 * access-log line, its log group is subscribed to the ingestion function
 * (lines with a key only), the function may do exactly what ingestion
 * needs, and another log group can be subscribed under its own id (what an
 * API that attaches the partner key authorizer does).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ACCESS_LOG_FORMAT } from '../../lambda/core/access-log';
import { PlatformStack } from '../../lib/platform-stack';
import { PlatformTables } from '../../lib/platform-tables';
import { UsageAccounting } from '../../lib/usage-accounting';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

describe('UsageAccounting in the platform stack', () => {
  const app = new App({ context: NO_BUNDLING });
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: 'dev',
    allowHttpWebhooks: false,
    platformBusName: 'partner-platform-dev',
    archiveRetention: Duration.days(14),
  });
  const template = Template.fromStack(stack);
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  const accessLogs = logicalId(stack.api.accessLogs);
  const ingest = logicalId(stack.usage.ingestFunction);

  it('the API stage writes ACCESS_LOG_FORMAT to its access-log group', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { Format: ACCESS_LOG_FORMAT, DestinationArn: { 'Fn::GetAtt': [accessLogs, 'Arn'] } },
    });
  });

  it('the access-log group sends the lines with a key to the ingestion function', () => {
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: { Ref: accessLogs },
      DestinationArn: { 'Fn::GetAtt': [ingest, 'Arn'] },
      FilterPattern: '{ $.keyId != "-" }',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [ingest, 'Arn'] },
      Principal: 'logs.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [accessLogs, 'Arn'] },
    });
  });

  it('the ingestion function is a house function (arm64, Node 22) given its tables by name', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      Runtime: 'nodejs22.x',
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'usage-ingest',
          USAGE_TABLE: { Ref: logicalId(stack.tables.usage) },
          API_KEYS_TABLE: { Ref: logicalId(stack.tables.apiKeys) },
        }),
      },
    });
  });

  it('the usage table keeps hours by key, expires them by TTL and is retained with PITR', () => {
    const usage = template.findResources('AWS::DynamoDB::Table')[logicalId(stack.tables.usage)];
    expect(usage.DeletionPolicy).toBe('Retain');
    expect(usage.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'usageKey', KeyType: 'HASH' },
        { AttributeName: 'bucketStart', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('cdk-nag finds nothing unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});

describe('UsageAccounting.subscribe', () => {
  it('subscribes any log group under its own id, each with its own invoke permission', () => {
    const stack = new Stack(new App({ context: NO_BUNDLING }), 'Other');
    const tables = new PlatformTables(stack, 'Tables', { encryptionKey: new kms.Key(stack, 'Key') });
    const usage = new UsageAccounting(stack, 'Usage', { tables });
    usage.subscribe('DataApi', new logs.LogGroup(stack, 'DataApiLogs'));
    usage.subscribe('OtherApi', logs.LogGroup.fromLogGroupName(stack, 'OtherLogs', 'other-api-access'));
    const template = Template.fromStack(stack);
    const filters = Object.values(template.findResources('AWS::Logs::SubscriptionFilter'));
    expect(filters.map((filter) => filter.Properties.LogGroupName)).toEqual([
      { Ref: stack.getLogicalId(stack.node.findChild('DataApiLogs').node.defaultChild as never) },
      'other-api-access',
    ]);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
    expect(permissions.map((permission) => permission.Properties.Principal)).toEqual([
      'logs.amazonaws.com',
      'logs.amazonaws.com',
    ]);
    expect(new Set(permissions.map((permission) => JSON.stringify(permission.Properties.SourceArn))).size).toBe(2);
  });
});
