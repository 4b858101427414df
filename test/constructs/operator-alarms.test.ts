/**
 * The operators' alarms and dashboard, as the app builds them from
 * config/<env>.yaml: five alarms per shard stack and the platform's own,
 * every one notifying the configured topic (or the one the platform stack
 * creates under the name the shards build its ARN from), the dashboard's
 * panels, and cdk-nag clean both ways.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { routes } from '../../lambda/api/routes';
import type { RouteSpec } from '../../lambda/api/route-table';
import { loadConfig } from '../../lib/config/load-config';
import { buildPlatformApp, type PlatformApp } from '../../lib/platform-app';
import { PlatformFunction } from '../../lib/platform-function';
import { makeWorkspace } from '../support/workspace';
import { templateApp } from '../support/template-app';

const OPS_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:partner-platform-ops';

function build(alarms: Record<string, unknown>): { app: App; built: PlatformApp } {
  const app = templateApp();
  const config = loadConfig({ rootDir: makeWorkspace({ environmentOverrides: { alarms } }), environment: 'dev' });
  return { app, built: buildPlatformApp(app, config, { nag: false }) };
}

type Resource = { Properties: Record<string, any> };
const alarmsOf = (template: Template): Resource[] =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
const alarmNamed = (template: Template, name: string): Resource => {
  const found = alarmsOf(template).filter((alarm) => alarm.Properties.AlarmName === name);
  expect(found).toHaveLength(1);
  return found[0];
};

/** The topic ARN the shard stacks build from the platform topic's fixed name. */
const createdTopicArn = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':sns:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':partner-platform-dev-alarms',
    ],
  ],
};

/** The dashboard body with every intrinsic inside it rendered as `<Ref X>` text, parsed. */
function dashboardBody(template: Template): any {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
  const [, parts] = dashboard.Properties.DashboardBody['Fn::Join'];
  const render = (part: unknown) =>
    typeof part === 'string'
      ? part
      : `<${Object.entries(part as object)
          .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('.') : v}`)
          .join('')}>`;
  return JSON.parse(parts.map(render).join(''));
}

describe('alarms with the topic the platform stack creates', () => {
  const { app, built } = build({ emails: ['ops@partner-platform.example', 'oncall@partner-platform.example'] });
  const platform = Template.fromStack(built.platform);
  const shard = built.shards.find((stack) => stack.stackName === 'partner-platform-dev-shard-002')!;
  const shardTemplate = Template.fromStack(shard);
  const topicRef = { Ref: built.platform.getLogicalId(built.platform.alarmTopic.topic!.node.defaultChild as never) };

  it('creates the topic under the fixed name, encrypted with its own rotated key, TLS only, emails subscribed', () => {
    platform.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'partner-platform-dev-alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmTopicKey'), 'Arn'] },
    });
    platform.hasResourceProperties('AWS::KMS::Key', {
      Description: 'partner-platform dev: alarm notifications',
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    platform.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
    const emails = Object.values(platform.findResources('AWS::SNS::Subscription')).map((subscription: any) => [
      subscription.Properties.Protocol,
      subscription.Properties.Endpoint,
      subscription.Properties.TopicArn,
    ]);
    expect(emails).toEqual([
      ['email', 'ops@partner-platform.example', topicRef],
      ['email', 'oncall@partner-platform.example', topicRef],
    ]);
  });

  it('gives every shard five alarms on its own queue and bus, notifying the platform topic by its name', () => {
    expect(built.shards.map((stack) => alarmsOf(Template.fromStack(stack)).length)).toEqual(built.shards.map(() => 5));
    const actions = { AlarmActions: [createdTopicArn], OKActions: [createdTopicArn] };
    const queue = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardDeadLetterQueue'), 'QueueName'] };
    expect(alarmNamed(shardTemplate, 'pp-dev-s002-dlq-oldest-message').Properties).toMatchObject({
      ...actions,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1800,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    shardTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'pp-dev-s002-dlq-oldest-message',
      Dimensions: [{ Name: 'QueueName', Value: queue }],
    });
    shardTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...actions,
      AlarmName: 'pp-dev-s002-dlq-depth',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: queue }],
      Statistic: 'Maximum',
      Threshold: 0,
      EvaluationPeriods: 3,
    });
    for (const [name, metric] of [
      ['pp-dev-s002-failed-invocations', 'FailedInvocations'],
      ['pp-dev-s002-throttled-rules', 'ThrottledRules'],
      ['pp-dev-s002-dlq-send-failures', 'InvocationsFailedToBeSentToDlq'],
    ]) {
      expect(alarmNamed(shardTemplate, name).Properties).toMatchObject({
        ...actions,
        Threshold: 0,
        TreatMissingData: 'notBreaching',
        Metrics: [
          {
            Expression: `SELECT SUM(${metric}) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = 'partner-platform-dev-shard-002'`,
            Period: 300,
            ReturnData: true,
          },
        ],
      });
    }
  });

  it('alarms on API 5xx, every house function, DLQ consumer retries and routing on the platform bus', () => {
    const functions = PlatformFunction.allIn(built.platform);
    const names = alarmsOf(platform).map((alarm) => alarm.Properties.AlarmName);
    expect(names.sort()).toEqual(
      [
        'partner-platform-dev-api-5xx',
        'partner-platform-dev-dlq-consumer-retries',
        'partner-platform-dev-routing-failed-invocations',
        'partner-platform-dev-routing-dlq-send-failures',
        ...functions.map((fn) => `partner-platform-dev-${fn.serviceName}-errors`),
      ].sort(),
    );
    // The portal and the provisioner are configured in dev, so they are watched too.
    expect(functions.map((fn) => fn.serviceName)).toEqual(
      expect.arrayContaining(['partner-authorizer', 'dlq-consumer', 'partner-portal', 'webhook-provisioner']),
    );
    for (const alarm of alarmsOf(platform)) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [topicRef], OKActions: [topicRef] });
    }
    for (const fn of functions) {
      expect(alarmNamed(platform, `partner-platform-dev-${fn.serviceName}-errors`).Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [
          { Name: 'FunctionName', Value: { Ref: built.platform.getLogicalId(fn.node.defaultChild as never) } },
        ],
        Statistic: 'Sum',
      });
    }
    expect(alarmNamed(platform, 'partner-platform-dev-api-5xx').Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'partner-platform-dev' }],
    });
    expect(alarmNamed(platform, 'partner-platform-dev-dlq-consumer-retries').Properties).toMatchObject({
      Namespace: 'PartnerPlatform',
      MetricName: 'DeadLettersRetried',
      Dimensions: [{ Name: 'service', Value: 'dlq-consumer' }],
    });
    expect(
      alarmNamed(platform, 'partner-platform-dev-routing-dlq-send-failures').Properties.Metrics[0].Expression,
    ).toBe(
      `SELECT SUM(InvocationsFailedToBeSentToDlq) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = 'partner-platform-dev'`,
    );
  });

  it('draws deliveries and failures per shard bus, p99 key verification and 4xx/5xx per API', () => {
    const body = dashboardBody(platform);
    platform.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'partner-platform-dev' });
    const widget = (title: string) => {
      const found = body.widgets.filter((w: any) => w.properties.title === title);
      expect(found).toHaveLength(1);
      return found[0].properties;
    };
    expect(widget('Deliveries per shard bus').metrics).toEqual([
      [
        expect.objectContaining({
          expression: `SELECT SUM(Invocations) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName != 'partner-platform-dev' GROUP BY EventBusName`,
        }),
      ],
    ]);
    expect(JSON.stringify(widget('Failed deliveries per shard bus').metrics)).toMatch(
      /SUM\(FailedInvocations\).*SUM\(InvocationsFailedToBeSentToDlq\).*SUM\(ThrottledRules\)/,
    );
    const authorizer = built.platform.getLogicalId(built.platform.api.authorizerFunction.node.defaultChild as never);
    expect(widget('Key verification (authorizer duration, ms)').metrics[0]).toEqual([
      'AWS/Lambda',
      'Duration',
      'FunctionName',
      `<Ref ${authorizer}>`,
      expect.objectContaining({ stat: 'p99' }),
    ]);
    const all = Object.values(routes) as RouteSpec[];
    for (const [title, auth] of [
      ['Admin API 4xx / 5xx', (route: RouteSpec) => route.auth === 'admin'],
      ['Partner API 4xx / 5xx', (route: RouteSpec) => route.auth !== 'admin'],
    ] as const) {
      const metrics: any[][] = widget(title).metrics;
      const expressions = metrics.filter((m) => m.length === 1 && m[0].expression);
      expect(expressions.map((m) => m[0].label)).toEqual(['4xx', '5xx']);
      const perRoute = metrics.filter((m) => m[0] === 'AWS/ApiGateway');
      const pairs = (metricName: string) =>
        perRoute
          .filter((m) => m[1] === metricName)
          .map((m) => `${m[m.indexOf('Method') + 1]} ${m[m.indexOf('Resource') + 1]}`)
          .sort();
      const expected = all
        .filter(auth)
        .map((route) => `${route.method} ${route.path}`)
        .sort();
      expect(pairs('4XXError')).toEqual(expected);
      expect(pairs('5XXError')).toEqual(expected);
      for (const m of perRoute)
        expect(m).toEqual(expect.arrayContaining(['ApiName', 'partner-platform-dev', 'Stage', 'dev']));
    }
    expect(JSON.stringify(widget('Portal 4xx / 5xx').metrics)).toMatch(/Url4xxCount.*Url5xxCount/);
  });

  it('leaves no cdk-nag finding unacknowledged', () => {
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });
});

describe('alarms with the operators’ own topic (alarms.topicArn)', () => {
  const { app, built } = build({ topicArn: OPS_TOPIC, deadLetterMaxAgeMinutes: 10 });
  const platform = Template.fromStack(built.platform);

  it('creates no topic or key for it and points every platform and shard alarm at that ARN', () => {
    platform.resourceCountIs('AWS::SNS::Topic', 0);
    platform.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(
      Object.values(platform.findResources('AWS::KMS::Key')).map((key: any) => key.Properties.Description),
    ).not.toContain('partner-platform dev: alarm notifications');
    const templates = [platform, ...built.shards.map((stack) => Template.fromStack(stack))];
    const alarms = templates.flatMap(alarmsOf);
    expect(alarms.length).toBeGreaterThan(built.shards.length * 5);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [OPS_TOPIC], OKActions: [OPS_TOPIC] });
    }
  });

  it('takes the dead-letter age threshold from the config', () => {
    const shard = Template.fromStack(built.shards[0]);
    expect(alarmNamed(shard, 'pp-dev-s000-dlq-oldest-message').Properties.Threshold).toBe(600);
  });

  it('leaves no cdk-nag finding unacknowledged', () => {
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });
});
