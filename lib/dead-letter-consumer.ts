import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { shardBusNamePrefix, shardsNamePrefix } from '../lambda/core/delivery-names';
import { deadLetterConsumerFunctionName } from './config/naming';
import { PlatformFunction } from './platform-function';
import type { PlatformTables } from './platform-tables';

export interface DeadLetterConsumerProps {
  readonly environmentName: string;
  readonly tables: PlatformTables;
  /** How long a failed delivery stays listed and replayable (`failures.retentionDays`). @default 14 */
  readonly retentionDays?: number;
}

/**
 * The DLQ consumer (lambda/dlq-consumer): records every dead letter of every
 * shard as a failed delivery of its webhook. One function with a fixed
 * name; each shard stack maps its own dead-letter queue to it
 * (`PartnerShard`, one resource per shard), so the platform stack, which
 * deploys first, never refers to a queue that does not exist yet.
 */
export class DeadLetterConsumer extends Construct {
  public readonly function: PlatformFunction;
  /** Its physical name, which the shards' queue mappings name. */
  public readonly functionName: string;

  private readonly props: DeadLetterConsumerProps;

  constructor(scope: Construct, id: string, props: DeadLetterConsumerProps) {
    super(scope, id);
    this.props = props;
    this.functionName = deadLetterConsumerFunctionName(props.environmentName);
    this.function = new PlatformFunction(this, 'Function', {
      handler: 'dlq-consumer',
      functionName: this.functionName,
      serviceName: 'dlq-consumer',
      description: "Records the shards' dead letters as failed deliveries of their webhooks and their health streaks",
      environment: {
        ENVIRONMENT_NAME: props.environmentName,
        FAILURE_RETENTION_DAYS: String(props.retentionDays ?? 14),
      },
    })
      .bindTable('WEBHOOKS_TABLE', props.tables.webhooks, 'write')
      .bindTable('FAILED_DELIVERIES_TABLE', props.tables.failedDeliveries, 'readWrite');
    this.grantShardQueues(props.environmentName);
  }

  /**
   * Lets `fn` list and replay failed deliveries (lambda/shared/failure-replay.ts):
   * the table read-write, and PutEvents on the environment's shard buses only
   * (a replay goes straight to its webhook's shard bus).
   */
  public grantReplay(fn: PlatformFunction): void {
    fn.addEnvironment('ENVIRONMENT_NAME', this.props.environmentName);
    fn.addEnvironment('FAILURE_RETENTION_DAYS', String(this.props.retentionDays ?? 14));
    fn.bindTable('FAILED_DELIVERIES_TABLE', this.props.tables.failedDeliveries, 'readWrite').allowOnNamePrefix({
      service: 'events',
      resource: 'event-bus',
      namePrefix: shardBusNamePrefix(this.props.environmentName),
      actions: ['events:PutEvents'],
      reason:
        "Replays failed deliveries onto their webhook's shard bus; the prefix covers exactly the environment's shard buses.",
    });
  }

  /** What an SQS event source needs, on the environment's shard dead-letter queues only. */
  private grantShardQueues(env: string): void {
    const queues = Stack.of(this).formatArn({ service: 'sqs', resource: `${shardsNamePrefix(env)}*-dlq` });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ConsumeShardDeadLetterQueues',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [queues],
      }),
    );
    if (!this.function.role) return;
    Validations.of(this.function.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${shardsNamePrefix(env)}*-dlq]`,
      reason:
        "The shards' dead-letter queues have fixed names pp-<env>-sNNN-dlq and live in the shard stacks; the prefix covers exactly them.",
    });
  }
}
