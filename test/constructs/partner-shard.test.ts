import { Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { EventCatalog, webhookEventPattern } from '../../lambda/core/event-catalog';
import { routingEventPattern } from '../../lib/config/delivery-plan';
import { PartnerShard } from '../../lib/partner-shard';
import { PartnerWebhook, WEBHOOK_SECRET_HEADER } from '../../lib/partner-webhook';
import { templateApp } from '../support/template-app';

const sources = ['spk.api', 'spk.iot.shadow'];
const entry = (name: string, source: string) => ({ name, source, description: name, schema: {}, example: {} });
const catalog: EventCatalog = {
  types: [entry('LockCreated', 'spk.api'), entry('KeyAdded', 'spk.api'), entry('Shadow Update', 'spk.iot.shadow')],
};

function shardStack(options: { rateLimitPerSecond?: number; events?: string[] } = {}) {
  const app = templateApp();
  const stack = new Stack(app, 'Shard');
  const shard = new PartnerShard(stack, 'Shard', {
    platformBusName: 'partner-platform-dev',
    shardBusName: 'partner-platform-dev-shard-007',
    namePrefix: 'pp-dev-s007',
    routes: [
      {
        slot: 2,
        ruleName: 'pp-dev-s007-route-2',
        orgIds: ['acme-corp', 'globex'],
        pattern: routingEventPattern(['acme-corp', 'globex'], sources),
      },
    ],
    retryPolicy: { maxEventAgeSeconds: 3600, retryAttempts: 20 },
  });
  new PartnerWebhook(stack, 'Webhook', {
    orgId: 'acme-corp',
    webhookId: 'primary',
    resourceName: 'pp-dev-s007-acme-corp-primary-1234abcd',
    secretName: 'partner-platform/dev/webhooks/acme-corp/primary',
    url: 'https://acme-corp.example/hooks',
    rateLimitPerSecond: options.rateLimitPerSecond,
    eventPattern: webhookEventPattern('acme-corp', options.events ?? ['LockCreated', 'KeyAdded'], catalog),
    shard,
  });
  return Template.fromStack(stack);
}

describe('PartnerShard', () => {
  const template = shardStack();

  it('owns a named shard bus', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'partner-platform-dev-shard-007' });
  });

  it('keeps one encrypted, TLS-only dead-letter queue that outlives the stack', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResource('AWS::SQS::Queue', {
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: {
              ArnLike: {
                'aws:SourceArn': [
                  { 'Fn::Join': ['', Match.arrayWith([':rule/partner-platform-dev-shard-007/pp-dev-s007-*'])] },
                  { 'Fn::Join': ['', Match.arrayWith([':rule/partner-platform-dev/pp-dev-s007-route-*'])] },
                ],
              },
            },
          }),
        ]),
      },
    });
  });

  it('has one invocation role, trusted by EventBridge of this account only, scoped to the shard by name prefix', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [
        {
          PolicyName: 'Deliver',
          PolicyDocument: {
            Statement: [
              {
                Sid: 'InvokeShardApiDestinations',
                Action: 'events:InvokeApiDestination',
                Effect: 'Allow',
                Resource: { 'Fn::Join': ['', Match.arrayWith([':api-destination/pp-dev-s007-*'])] },
              },
              {
                Sid: 'RouteToShardBus',
                Action: 'events:PutEvents',
                Effect: 'Allow',
                Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardBus'), 'Arn'] },
              },
            ],
          },
        },
      ],
    });
  });

  it('routes its partners from the platform bus to the shard bus with retries and the DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'pp-dev-s007-route-2',
      EventBusName: { 'Fn::Join': ['', Match.arrayWith([':event-bus/partner-platform-dev'])] },
      EventPattern: { source: sources, detail: { partnerId: ['acme-corp', 'globex'] } },
      Targets: [
        {
          Id: 'shard-bus',
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardBus'), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardInvocationRole'), 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardDeadLetterQueue'), 'Arn'] } },
        },
      ],
    });
  });
});

describe('PartnerWebhook', () => {
  const template = shardStack();

  it('generates the webhook secret in Secrets Manager and never puts a value in the template', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'partner-platform/dev/webhooks/acme-corp/primary',
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
      SecretString: Match.absent(),
    });
  });

  it('authenticates deliveries with the secret by dynamic reference', () => {
    const value = new Capture();
    template.hasResourceProperties('AWS::Events::Connection', {
      Name: 'pp-dev-s007-acme-corp-primary-1234abcd',
      AuthorizationType: 'API_KEY',
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: WEBHOOK_SECRET_HEADER, ApiKeyValue: value } },
    });
    expect(value.asObject()).toEqual({
      'Fn::Join': [
        '',
        ['{{resolve:secretsmanager:', { Ref: expect.stringMatching(/^WebhookSecret/) }, ':SecretString:::}}'],
      ],
    });
  });

  it('POSTs to the partner URL at the default rate of 10 per second', () => {
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: 'https://acme-corp.example/hooks',
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 10,
      ConnectionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebhookConnection'), 'Arn'] },
    });
  });

  it('uses the configured rate limit when given', () => {
    shardStack({ rateLimitPerSecond: 250 }).hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationRateLimitPerSecond: 250,
    });
  });

  it('has one rule on the shard bus matching only its partner and event types, with exactly one target', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'pp-dev-s007-acme-corp-primary-1234abcd',
      EventBusName: { Ref: Match.stringLikeRegexp('^ShardBus') },
      EventPattern: {
        source: ['spk.api'],
        'detail-type': ['LockCreated', 'KeyAdded'],
        detail: { partnerId: ['acme-corp'] },
      },
      Targets: [
        Match.objectEquals({
          Id: 'webhook',
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebhookDestination'), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardInvocationRole'), 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardDeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
  });

  it('writes "*" as every catalog type, each from its own source, for the partner only', () => {
    shardStack({ events: ['*'] }).hasResourceProperties('AWS::Events::Rule', {
      Name: 'pp-dev-s007-acme-corp-primary-1234abcd',
      EventPattern: Match.objectEquals({
        $or: [
          { source: ['spk.api'], 'detail-type': ['LockCreated', 'KeyAdded'] },
          { source: ['spk.iot.shadow'], 'detail-type': ['Shadow Update'] },
        ],
        detail: { partnerId: ['acme-corp'] },
      }),
    });
  });
});
