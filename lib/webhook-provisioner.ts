import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  RUNTIME_NAME_MARK,
  platformBusName,
  shardBusNamePrefix,
  shardsNamePrefix,
  webhookSecretPrefix,
} from '../lambda/core/delivery-names';
import type { DeliveryRetryPolicy } from './partner-shard';
import { PlatformFunction } from './platform-function';
import type { PlatformTables } from './platform-tables';

/** The quotas and the run-time budget the provisioner checks before it creates anything. */
export interface ProvisionerLimits {
  readonly rulesPerEventBus: number;
  readonly eventPatternMaxChars: number;
  readonly apiDestinationsPerAccount: number;
  readonly connectionsPerAccount: number;
  readonly maxWebhooks: number;
  readonly maxWebhooksPerShard: number;
}

export interface WebhookProvisionerProps {
  readonly environmentName: string;
  readonly tables: PlatformTables;
  /** Shards the jump hash places tenants in (every one exists when a run-time budget is set). */
  readonly shardCount: number;
  /** Provisioner-owned routing rules per shard on the platform bus. */
  readonly routesPerShard: number;
  /** Deliveries per second to a run-time webhook's URL. */
  readonly rateLimitPerSecond: number;
  /** The shards' retry policy, which run-time targets carry too. */
  readonly retryPolicy: DeliveryRetryPolicy;
  readonly limits: ProvisionerLimits;
  /** Plain http:// URLs for the immediate verification (dev only). */
  readonly allowHttpWebhooks: boolean;
  /** How often the full reconcile runs. @default Duration.minutes(15) */
  readonly reconcileEvery?: Duration;
}

/**
 * The provisioner of run-time webhooks (lambda/provisioner): fed by the
 * webhooks table's stream (partial batch failures, bisect on error, bounded
 * retries, then an SQS on-failure queue) and a scheduled full reconcile.
 * Its IAM covers only provisioner-owned names (`pp-<env>-sNNN-_...` webhook
 * resources, `-route-rt` routes): it cannot touch a template's resources.
 */
export class WebhookProvisioner extends Construct {
  public readonly function: PlatformFunction;
  /** Stream batches that kept failing; the reconcile repairs what they were about. */
  public readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: WebhookProvisionerProps) {
    super(scope, id);
    const env = props.environmentName;
    this.function = new PlatformFunction(this, 'Function', {
      handler: 'provisioner',
      serviceName: 'webhook-provisioner',
      description: 'Provisions run-time webhooks in EventBridge from the webhooks table (stream and reconcile)',
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: provisionerEnvironment(props),
    })
      .bindTable('WEBHOOKS_TABLE', props.tables.webhooks, 'write')
      .bindTable('TENANTS_TABLE', props.tables.tenants, 'read')
      .allowOnNamePrefix({
        service: 'secretsmanager',
        resource: 'secret',
        namePrefix: webhookSecretPrefix(env),
        actions: ['secretsmanager:GetSecretValue'],
        reason: 'Reads webhook secrets (by their name prefix) to create connections and sign verification challenges.',
      });
    this.grantEventBridge(env);
    this.failures = this.streamFrom(props.tables.webhooks);
    new events.Rule(this, 'ReconcileSchedule', {
      description: 'Full reconcile of run-time webhooks: repairs whatever a failure left behind',
      schedule: events.Schedule.rate(props.reconcileEvery ?? Duration.minutes(15)),
      targets: [
        new targets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject({ action: 'reconcile' }),
        }),
      ],
    });
  }

  private streamFrom(table: dynamodb.Table): sqs.Queue {
    const failures = new sqs.Queue(this, 'StreamFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(failures.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the stream mapping's on-failure destination; the reconcile repairs what its records name.",
    });
    this.function.addEventSource(
      new sources.DynamoEventSource(table, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 25,
        maxBatchingWindow: Duration.seconds(0),
        bisectBatchOnError: true,
        retryAttempts: 5,
        maxRecordAge: Duration.hours(1),
        reportBatchItemFailures: true,
        onFailure: new sources.SqsDlq(failures),
      }),
    );
    return failures;
  }

  private grantEventBridge(env: string): void {
    const shards = shardsNamePrefix(env);
    const ours = `${shards}*-${RUNTIME_NAME_MARK}`;
    const ruleActions = [
      'events:DescribeRule',
      'events:PutRule',
      'events:DeleteRule',
      'events:ListTargetsByRule',
      'events:PutTargets',
      'events:RemoveTargets',
    ];
    this.function
      .allowOnNamePrefix({
        service: 'events',
        resource: 'rule',
        namePrefix: `${shardBusNamePrefix(env)}*/${ours}`,
        actions: ruleActions,
        reason: "Manages only the provisioner's own webhook rules (the `-_` mark) on this environment's shard buses.",
      })
      .allowOnNamePrefix({
        service: 'events',
        resource: 'rule',
        namePrefix: `${shardBusNamePrefix(env)}*/${shards}`,
        actions: ['events:DescribeRule', 'events:EnableRule', 'events:DisableRule'],
        reason:
          "Endpoint health switches a webhook rule on or off, a template's included (State only: PutRule and PutTargets stay limited to the provisioner's own rules); the prefix covers exactly this environment's shard webhook rules.",
      })
      .allowOnNamePrefix({
        service: 'events',
        resource: 'rule',
        namePrefix: `${platformBusName(env)}/${shards}*-route-rt`,
        actions: ruleActions,
        reason: "Manages only the provisioner's own routing rules (`-route-rt`) on the platform bus.",
      })
      .allowOnNamePrefix({
        service: 'events',
        resource: 'connection',
        namePrefix: ours,
        actions: ['events:DescribeConnection', 'events:CreateConnection', 'events:DeleteConnection'],
        reason: "Creates and deletes only the provisioner's own connections (the `-_` mark).",
      })
      .allowOnNamePrefix({
        service: 'events',
        resource: 'api-destination',
        namePrefix: ours,
        actions: [
          'events:DescribeApiDestination',
          'events:CreateApiDestination',
          'events:UpdateApiDestination',
          'events:DeleteApiDestination',
        ],
        reason: "Manages only the provisioner's own API destinations (the `-_` mark); a template's are never changed.",
      })
      .allowOnNamePrefix({
        service: 'secretsmanager',
        resource: 'secret',
        namePrefix: `events!connection/${ours}`,
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecret',
        ],
        reason: "EventBridge keeps a connection's credentials in a managed secret it writes and deletes as the caller.",
      });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'CountAndFindOwnResources',
        actions: ['events:ListRules', 'events:ListApiDestinations', 'events:ListConnections'],
        resources: ['*'],
      }),
    );
    this.acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      'ListRules, ListApiDestinations, ListConnections (the quota check, the orphan sweep) and dynamodb:ListStreams (the stream mapping) have no resource-level permissions.',
    );
    const roles = Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${shards}*-invoke`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PassShardInvocationRoles',
        actions: ['iam:PassRole'],
        resources: [roles],
        conditions: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
      }),
    );
    this.acknowledge(
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/${shards}*-invoke]`,
      "Passes only the shards' invocation roles (fixed names pp-<env>-sNNN-invoke), and only to EventBridge.",
    );
  }

  private acknowledge(id: string, reason: string): void {
    if (this.function.role) Validations.of(this.function.role).acknowledge({ id, reason });
  }
}

function provisionerEnvironment(props: WebhookProvisionerProps): Record<string, string> {
  const { limits } = props;
  return {
    ENVIRONMENT_NAME: props.environmentName,
    ALLOW_HTTP_WEBHOOKS: String(props.allowHttpWebhooks),
    PARTITION: Aws.PARTITION,
    ACCOUNT_ID: Aws.ACCOUNT_ID,
    PLATFORM_BUS_NAME: platformBusName(props.environmentName),
    SHARD_COUNT: String(props.shardCount),
    RUNTIME_ROUTES_PER_SHARD: String(props.routesPerShard),
    RETRY_MAX_EVENT_AGE_SECONDS: String(props.retryPolicy.maxEventAgeSeconds),
    RETRY_ATTEMPTS: String(props.retryPolicy.retryAttempts),
    RATE_LIMIT_PER_SECOND: String(props.rateLimitPerSecond),
    QUOTA_RULES_PER_EVENT_BUS: String(limits.rulesPerEventBus),
    QUOTA_EVENT_PATTERN_MAX_CHARS: String(limits.eventPatternMaxChars),
    QUOTA_API_DESTINATIONS_PER_ACCOUNT: String(limits.apiDestinationsPerAccount),
    QUOTA_CONNECTIONS_PER_ACCOUNT: String(limits.connectionsPerAccount),
    RUNTIME_MAX_WEBHOOKS: String(limits.maxWebhooks),
    RUNTIME_MAX_WEBHOOKS_PER_SHARD: String(limits.maxWebhooksPerShard),
  };
}
