import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { ALARM_PERIOD, eventBusRulesQuery, operatorAlarm, topicAlarmAction } from './operator-alarm';
import type { PartnerShard } from './partner-shard';

export interface ShardAlarmsProps {
  /** The shard whose queue and bus are watched. */
  readonly shard: PartnerShard;
  /** Physical name of the shard bus (the alarms' Metrics Insights queries name it). */
  readonly shardBusName: string;
  /** The shard's name prefix (`pp-<env>-sNNN`); every alarm name starts with it. */
  readonly namePrefix: string;
  /** Where the alarms notify (`alarms.topicArn`, or the platform stack's topic). */
  readonly topicArn: string;
  /** A dead letter older than this means the DLQ consumer is failing. @default Duration.minutes(30) */
  readonly deadLetterMaxAge?: Duration;
}

/** Periods the queue must hold visible messages before the depth alarm fires (the consumer takes them in seconds). */
const DEPTH_PERIODS = 3;

/**
 * Five alarms per shard, whatever the number of its partners: the
 * dead-letter queue's oldest message and depth, and the shard bus's failed
 * invocations, throttled rules and dead letters EventBridge could not put
 * into the queue (lost events). The bus metrics are per rule in AWS/Events,
 * so each is one Metrics Insights query over the bus, not an alarm per rule.
 */
export class ShardAlarms extends Construct {
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ShardAlarmsProps) {
    super(scope, id);
    const action = topicAlarmAction(props.topicArn);
    const queue = props.shard.deadLetterQueue;
    const maxAge = props.deadLetterMaxAge ?? Duration.minutes(30);
    const prefix = props.namePrefix;
    const bus = props.shardBusName;
    const shardQueue = `the dead-letter queue of ${bus}`;
    this.alarms = [
      operatorAlarm(this, 'DeadLetterAge', {
        alarmName: `${prefix}-dlq-oldest-message`,
        description: `A dead letter has waited over ${maxAge.toMinutes()} min in ${shardQueue}: the DLQ consumer is not recording failed deliveries (check its errors and logs).`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period: ALARM_PERIOD, statistic: 'Maximum' }),
        threshold: maxAge.toSeconds(),
        action,
      }),
      operatorAlarm(this, 'DeadLetterDepth', {
        alarmName: `${prefix}-dlq-depth`,
        description: `Dead letters have been visible in ${shardQueue} for ${DEPTH_PERIODS * ALARM_PERIOD.toMinutes()} min: the DLQ consumer is not taking them.`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
        evaluationPeriods: DEPTH_PERIODS,
        action,
      }),
      operatorAlarm(this, 'FailedInvocations', {
        alarmName: `${prefix}-failed-invocations`,
        description: `Deliveries on ${bus} failed for good after their retries (the partners see them as failed deliveries); many at once point at the platform, one webhook at its endpoint.`,
        metric: eventBusRulesQuery('FailedInvocations', bus, 'failed invocations'),
        action,
      }),
      operatorAlarm(this, 'ThrottledRules', {
        alarmName: `${prefix}-throttled-rules`,
        description: `Rules on ${bus} were throttled: deliveries are delayed (account invocation quota or API destination rate limits).`,
        metric: eventBusRulesQuery('ThrottledRules', bus, 'throttled rules'),
        action,
      }),
      operatorAlarm(this, 'DeadLetterSendFailures', {
        alarmName: `${prefix}-dlq-send-failures`,
        description: `EventBridge could not put dead letters of ${bus} into ${shardQueue}: those events are lost (check the queue policy and encryption).`,
        metric: eventBusRulesQuery('InvocationsFailedToBeSentToDlq', bus, 'dead letters not stored'),
        action,
      }),
    ];
  }
}
