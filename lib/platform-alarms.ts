import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DEAD_LETTERS_RETRIED_METRIC, METRICS_NAMESPACE } from '../lambda/core/contracts';
import { platformAlarmPrefix } from './config/naming';
import { ALARM_PERIOD, eventBusRulesQuery, operatorAlarm } from './operator-alarm';
import type { PlatformFunction } from './platform-function';

export interface PlatformAlarmsProps {
  readonly environmentName: string;
  /** The REST API serving the admin and partner APIs. */
  readonly api: apigateway.RestApi;
  /** Every house function of the platform stack; each gets an errors alarm. */
  readonly functions: readonly PlatformFunction[];
  /** The DLQ consumer, whose partial batch failures are alarmed on too. */
  readonly deadLetterConsumer: PlatformFunction;
  /** The platform bus, whose routing rules put the shards' events on their buses. */
  readonly platformBusName: string;
  /** Where ALARM and OK go. */
  readonly action: cloudwatch.IAlarmAction;
}

/**
 * The platform stack's alarms: API 5xx, errors of every house function, the
 * DLQ consumer's retried dead letters, and the routing rules' failed and
 * lost invocations on the platform bus. Their number follows the functions,
 * never the partners or shards, so a new partner never changes this stack.
 */
export class PlatformAlarms extends Construct {
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    const prefix = platformAlarmPrefix(props.environmentName);
    const { action } = props;
    const api = props.api.restApiName;
    const bus = props.platformBusName;
    const functionAlarms = props.functions.map((fn) =>
      operatorAlarm(this, `Errors-${fn.serviceName}`, {
        alarmName: `${prefix}-${fn.serviceName}-errors`,
        description: `The ${fn.serviceName} function failed (errors or timeouts); see its log group for the request and error.`,
        metric: fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
        action,
      }),
    );
    this.alarms = [
      operatorAlarm(this, 'Api5xx', {
        alarmName: `${prefix}-api-5xx`,
        description: `The ${api} API answered 5xx: the admin or partner API is failing (see the dashboard's per-API panels and the API's access logs).`,
        metric: props.api.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }),
        action,
      }),
      ...functionAlarms,
      operatorAlarm(this, 'DeadLettersRetried', {
        alarmName: `${prefix}-dlq-consumer-retries`,
        description:
          'The DLQ consumer could not record some dead letters (SQS hands them back after the visibility timeout); see its log group.',
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: DEAD_LETTERS_RETRIED_METRIC,
          dimensionsMap: { service: props.deadLetterConsumer.serviceName },
          period: ALARM_PERIOD,
          statistic: 'Sum',
        }),
        action,
      }),
      operatorAlarm(this, 'RoutingFailedInvocations', {
        alarmName: `${prefix}-routing-failed-invocations`,
        description: `Routing rules on ${bus} could not put events on their shard bus after retries (those events went to the shard's DLQ).`,
        metric: eventBusRulesQuery('FailedInvocations', bus, 'failed routings'),
        action,
      }),
      operatorAlarm(this, 'RoutingDeadLetterSendFailures', {
        alarmName: `${prefix}-routing-dlq-send-failures`,
        description: `Routing rules on ${bus} could not put dead letters into a shard DLQ: those events are lost.`,
        metric: eventBusRulesQuery('InvocationsFailedToBeSentToDlq', bus, 'routing dead letters not stored'),
        action,
      }),
    ];
  }
}
