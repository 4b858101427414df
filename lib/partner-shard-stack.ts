import { ArnFormat, Duration, Stack, StackProps, Token } from 'aws-cdk-lib';
import { DISABLE_CREATION_STACK_TRACES } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import type { ShardPlan } from './config/delivery-plan';
import { DeliveryRetryPolicy, PartnerShard } from './partner-shard';
import { Partner } from './partner';
import { alarmTopicArn } from './operator-alarm';
import { ShardAlarms } from './shard-alarms';

/** Where a shard's alarms notify, from `alarms` in config/<env>.yaml. */
export interface ShardAlarmSettings {
  /** Names the platform stack's alarm topic when `topicArn` is not set. */
  readonly environmentName: string;
  /** An SNS topic the operators run. @default the platform stack's `partner-platform-<env>-alarms` */
  readonly topicArn?: string;
  /** @default 30 */
  readonly deadLetterMaxAgeMinutes?: number;
}

export interface PartnerShardStackProps extends StackProps {
  /** Which partners this stack holds, with their names and patterns. */
  readonly plan: ShardPlan;
  readonly platformBusName: string;
  readonly retryPolicy: DeliveryRetryPolicy;
  /** Name of the platform's onboarding provider function. */
  readonly onboardingProviderFunctionName: string;
  /** The DLQ consumer the shard's dead-letter queue feeds. @default none */
  readonly deadLetterConsumerFunctionName?: string;
  /** The shard's CloudWatch alarms and where they notify. */
  readonly alarms: ShardAlarmSettings;
}

/**
 * A stable group of partners: the shard's shared resources plus, per partner,
 * its webhooks. A partner is here because of its own orgId only (see
 * lib/config/sharding.ts), so changing one partner changes only this stack.
 */
export class PartnerShardStack extends Stack {
  public readonly shard: PartnerShard;
  public readonly partners: readonly Partner[];
  public readonly alarms: ShardAlarms;

  constructor(scope: Construct, id: string, props: PartnerShardStackProps) {
    super(scope, id, props);
    // A shard holds hundreds of resources that all come from the same few
    // lines; recording where each was created costs about 1 s of synth per
    // 3,000 partners and writes machine-specific paths into cdk.out.
    // `cdk synth --debug` records them again.
    if (this.node.tryGetContext(DISABLE_CREATION_STACK_TRACES) === undefined) {
      this.node.setContext(DISABLE_CREATION_STACK_TRACES, true);
    }
    this.shard = new PartnerShard(this, 'Shard', {
      platformBusName: props.platformBusName,
      shardBusName: props.plan.busName,
      namePrefix: props.plan.namePrefix,
      routes: props.plan.routes,
      retryPolicy: props.retryPolicy,
      invocationRoleName: props.plan.invocationRoleName,
      deadLetterQueueName: props.plan.deadLetterQueueName,
      deadLetterConsumerFunctionName: props.deadLetterConsumerFunctionName,
    });
    this.alarms = new ShardAlarms(this, 'Alarms', {
      shard: this.shard,
      shardBusName: props.plan.busName,
      namePrefix: props.plan.namePrefix,
      topicArn: alarmTopicArn(this, props.alarms.environmentName, props.alarms.topicArn),
      deadLetterMaxAge: Duration.minutes(props.alarms.deadLetterMaxAgeMinutes ?? 30),
    });
    // Resolved once: the ARN holds only pseudo parameters, and every partner's
    // custom resource would otherwise re-resolve the same three tokens.
    const onboardingServiceToken = Token.asString(
      this.resolve(
        this.formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: props.onboardingProviderFunctionName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
    );
    this.partners = props.plan.partners.map(
      (partner) =>
        new Partner(this, `Partner-${partner.config.orgId}`, {
          plan: partner,
          shard: this.shard,
          onboardingServiceToken,
        }),
    );
  }
}
