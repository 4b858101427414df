import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PartnerShard } from '../../lib/partner-shard';
import { PlatformStack } from '../../lib/platform-stack';
import { actionsOf, statementsOfService } from '../support/iam-statements';
import { templateApp } from '../support/template-app';

function platform(failureRetentionDays?: number): { app: App; template: Template } {
  const app = templateApp();
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: 'prod',
    allowHttpWebhooks: false,
    platformBusName: 'partner-platform-prod',
    archiveRetention: Duration.days(14),
    ...(failureRetentionDays === undefined ? {} : { failureRetentionDays }),
  });
  return { app, template: Template.fromStack(stack) };
}

function shard(consumer?: string): Template {
  const stack = new Stack(templateApp(), 'Shard');
  new PartnerShard(stack, 'Shard', {
    platformBusName: 'partner-platform-prod',
    shardBusName: 'partner-platform-prod-shard-003',
    namePrefix: 'pp-prod-s003',
    routes: [],
    retryPolicy: { maxEventAgeSeconds: 3600, retryAttempts: 20 },
    deadLetterQueueName: 'pp-prod-s003-dlq',
    ...(consumer === undefined ? {} : { deadLetterConsumerFunctionName: consumer }),
  });
  return Template.fromStack(stack);
}

describe('DeadLetterConsumer', () => {
  const { app, template } = platform();

  it('runs under a fixed name with a 14-day retention by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'partner-platform-prod-dlq-consumer',
      Environment: {
        Variables: Match.objectLike({
          ENVIRONMENT_NAME: 'prod',
          FAILURE_RETENTION_DAYS: '14',
          WEBHOOKS_TABLE: Match.anyValue(),
          FAILED_DELIVERIES_TABLE: Match.anyValue(),
        }),
      },
    });
  });

  it('takes failures.retentionDays from the config', () => {
    platform(30).template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'partner-platform-prod-dlq-consumer',
      Environment: { Variables: Match.objectLike({ FAILURE_RETENTION_DAYS: '30' }) },
    });
  });

  it("may consume only the environment's shard dead-letter queues, write failures and webhooks' health, delete neither webhook", () => {
    const statements = statementsOfService(template, 'dlq-consumer');
    const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(sqs).toHaveLength(1);
    expect(actionsOf(sqs[0]).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    expect(JSON.stringify(sqs[0].Resource)).toContain(':pp-prod-s*-dlq');
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('events:') || a.startsWith('secretsmanager:'))).toEqual([]);
    const writes = statements.filter((s) => actionsOf(s).includes('dynamodb:PutItem'));
    expect(writes).toHaveLength(2);
    expect(writes.map((w) => JSON.stringify(w.Resource).match(/FailedDeliveries|Webhooks/)?.[0]).sort()).toEqual([
      'FailedDeliveries',
      'Webhooks',
    ]);
    // Endpoint health (the failure streak) updates the webhook; nothing here deletes one.
    const webhookWrites = writes.find((w) => /Webhooks/.test(JSON.stringify(w.Resource)))!;
    expect(actionsOf(webhookWrites)).not.toContain('dynamodb:DeleteItem');
  });

  it('leaves no cdk-nag finding unacknowledged', () => {
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });
});

describe('PartnerShard dead-letter queue mapping', () => {
  it('feeds the shard queue to the consumer in batches with partial batch failures', () => {
    const template = shard('partner-platform-prod-dlq-consumer');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: 'partner-platform-prod-dlq-consumer',
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardDeadLetterQueue'), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // The queue hides a message in flight longer than the consumer may run (30 s).
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'pp-prod-s003-dlq', VisibilityTimeout: 180 });
  });

  it('maps nothing without a consumer', () => {
    shard().resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });
});
