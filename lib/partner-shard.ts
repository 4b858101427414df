import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RoutePlan } from './config/delivery-plan';

/** How EventBridge retries a delivery before it gives up and dead-letters it. */
export interface DeliveryRetryPolicy {
  readonly maxEventAgeSeconds: number;
  readonly retryAttempts: number;
}

export interface PartnerShardProps {
  /** Physical name of the platform bus the routing rules sit on. */
  readonly platformBusName: string;
  /** Physical name of this shard's own bus. */
  readonly shardBusName: string;
  /** Prefix of every EventBridge name in the shard; IAM and the DLQ policy match it. */
  readonly namePrefix: string;
  /** Routing rules from the platform bus to this shard's bus, one per non-empty slot. */
  readonly routes: readonly RoutePlan[];
  readonly retryPolicy: DeliveryRetryPolicy;
  /**
   * Physical names of the invocation role and the dead-letter queue, so the
   * provisioner can name them in the targets it creates at run time (and
   * pass only these roles). @default names CloudFormation generates
   */
  readonly invocationRoleName?: string;
  readonly deadLetterQueueName?: string;
  /**
   * The DLQ consumer (`DeadLetterConsumer`, in the platform stack) this
   * shard's dead-letter queue feeds. @default no consumer: dead letters stay in the queue
   */
  readonly deadLetterConsumerFunctionName?: string;
}

/** SQS wants a queue's visibility timeout at least the consumer's timeout (30 s); six times is AWS's advice. */
const DEAD_LETTER_VISIBILITY = Duration.minutes(3);

/**
 * The resources a shard's partners share: the shard bus, the routing rules
 * that bring the shard's partners' events to it, one dead-letter queue and
 * one invocation role. Policies match names by prefix, so they stay the same
 * size however many partners the shard holds (no per-partner role or policy
 * statement, the thing that caps naive CDK apps at ~100 destinations a stack).
 */
export class PartnerShard extends Construct {
  public readonly eventBus: events.EventBus;
  public readonly deadLetterQueue: sqs.Queue;
  /** Assumed by EventBridge to call the shard's API destinations and put to its bus. */
  public readonly invocationRole: iam.Role;
  public readonly retryPolicy: DeliveryRetryPolicy;

  constructor(scope: Construct, id: string, props: PartnerShardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.retryPolicy = props.retryPolicy;

    this.eventBus = new events.EventBus(this, 'Bus', {
      eventBusName: props.shardBusName,
      description: `partner-platform: events of the partners in ${props.namePrefix}`,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: props.deadLetterQueueName,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: DEAD_LETTER_VISIBILITY,
      // Undelivered events are data: they outlive the shard.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const ruleArn = (busName: string, rulePrefix: string) =>
      stack.formatArn({
        service: 'events',
        resource: 'rule',
        resourceName: `${busName}/${rulePrefix}*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': [
              ruleArn(props.shardBusName, `${props.namePrefix}-`),
              ruleArn(props.platformBusName, `${props.namePrefix}-route-`),
            ],
          },
        },
      }),
    );
    Validations.of(this.deadLetterQueue.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the dead-letter queue of the shard's EventBridge targets; a DLQ has no DLQ of its own.",
    });

    if (props.deadLetterConsumerFunctionName !== undefined) {
      new lambda.CfnEventSourceMapping(this, 'DeadLetterConsumer', {
        functionName: props.deadLetterConsumerFunctionName,
        eventSourceArn: this.deadLetterQueue.queueArn,
        batchSize: 10,
        maximumBatchingWindowInSeconds: 5,
        functionResponseTypes: ['ReportBatchItemFailures'],
      });
    }

    this.invocationRole = new iam.Role(this, 'InvocationRole', {
      roleName: props.invocationRoleName,
      description: `EventBridge delivers the events of ${props.namePrefix} to partner API destinations`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      inlinePolicies: {
        Deliver: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'InvokeShardApiDestinations',
              actions: ['events:InvokeApiDestination'],
              resources: [
                stack.formatArn({
                  service: 'events',
                  resource: 'api-destination',
                  resourceName: `${props.namePrefix}-*`,
                  arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
                }),
              ],
            }),
            new iam.PolicyStatement({
              sid: 'RouteToShardBus',
              actions: ['events:PutEvents'],
              resources: [this.eventBus.eventBusArn],
            }),
          ],
        }),
      },
    });
    Validations.of(this.invocationRole.node.defaultChild!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:api-destination/${props.namePrefix}-*]`,
      reason:
        "Scoped by name prefix to this shard's API destinations, so the policy stays one statement however many partners the shard holds.",
    });

    const platformBusArn = stack.formatArn({
      service: 'events',
      resource: 'event-bus',
      resourceName: props.platformBusName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    for (const route of props.routes) {
      new events.CfnRule(this, `Route${route.slot}`, {
        name: route.ruleName,
        description: `Routes the events of ${route.orgIds.length} partner(s) to ${props.shardBusName}`,
        eventBusName: platformBusArn,
        eventPattern: route.pattern,
        state: 'ENABLED',
        targets: [this.ruleTarget('shard-bus', this.eventBus.eventBusArn)],
      });
    }
  }

  /** A rule target that delivers with the shard's role, retry policy and DLQ. */
  public ruleTarget(id: string, arn: string): events.CfnRule.TargetProperty {
    return {
      id,
      arn,
      roleArn: this.invocationRole.roleArn,
      retryPolicy: {
        maximumEventAgeInSeconds: this.retryPolicy.maxEventAgeSeconds,
        maximumRetryAttempts: this.retryPolicy.retryAttempts,
      },
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
    };
  }
}
