import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { alarmTopicName } from './config/naming';

/** How often every operator alarm looks at its metric. */
export const ALARM_PERIOD = Duration.minutes(5);

/**
 * The ARN alarms notify: `alarms.topicArn` when the config names a topic,
 * otherwise the topic the platform stack creates under a fixed name, built
 * in the caller's stack so a shard stack never imports an export.
 */
export function alarmTopicArn(scope: Construct, environmentName: string, topicArn?: string): string {
  return topicArn ?? Stack.of(scope).formatArn({ service: 'sns', resource: alarmTopicName(environmentName) });
}

/** An alarm action that publishes to a topic known only by its ARN (no imported construct). */
export function topicAlarmAction(topicArn: string): cloudwatch.IAlarmAction {
  return { bind: () => ({ alarmActionArn: topicArn }) };
}

/**
 * A CloudWatch Metrics Insights query summing one AWS/Events metric over
 * every rule on `busName`. EventBridge publishes FailedInvocations,
 * ThrottledRules and InvocationsFailedToBeSentToDlq per rule (dimensions
 * EventBusName + RuleName on a custom bus) or for the whole account, never
 * per bus; the query adds up the bus's rules, config and run-time ones,
 * however many there are, in one alarm. Metrics Insights' WHERE knows `=`
 * and `!=` only, so the bus is named exactly.
 */
export function eventBusRulesQuery(metricName: string, busName: string, label: string): cloudwatch.MathExpression {
  return eventRulesQuery(metricName, `EventBusName = '${busName}'`, label);
}

/**
 * The same sum for every custom bus but `busName` (the platform bus), one
 * series per bus: the shard buses on a dashboard, a new shard included.
 */
export function otherBusesRulesQuery(metricName: string, busName: string, label: string): cloudwatch.MathExpression {
  return eventRulesQuery(metricName, `EventBusName != '${busName}' GROUP BY EventBusName`, label);
}

function eventRulesQuery(metricName: string, where: string, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SELECT SUM(${metricName}) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE ${where}`,
    usingMetrics: {},
    label,
    period: ALARM_PERIOD,
  });
}

export interface OperatorAlarmProps {
  /** The alarm's physical name: what the operator reads in the notification. */
  readonly alarmName: string;
  /** What went wrong and where to look, in the notification. */
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  /** The alarm fires above this value. @default 0 */
  readonly threshold?: number;
  /** Consecutive periods over the threshold before it fires. @default 1 */
  readonly evaluationPeriods?: number;
  /** Where ALARM and OK go. */
  readonly action: cloudwatch.IAlarmAction;
}

/**
 * An alarm over `threshold` that notifies `action` when it fires and when it
 * clears. Missing data is not breaching: EventBridge and Lambda publish
 * their error metrics only when there are errors.
 */
export function operatorAlarm(scope: Construct, id: string, props: OperatorAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: props.alarmName,
    alarmDescription: props.description,
    metric: props.metric,
    threshold: props.threshold ?? 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: props.evaluationPeriods ?? 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(props.action);
  alarm.addOkAction(props.action);
  return alarm;
}
