import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DEFAULT_DISABLE_AFTER_HOURS } from '../lambda/core/endpoint-health';
import { PlatformFunction } from './platform-function';
import type { PlatformTables } from './platform-tables';

export interface EndpointHealthSweepProps {
  readonly environmentName: string;
  readonly tables: PlatformTables;
  /** Where `partner-platform.webhook.disabled` is published. */
  readonly platformBus: events.IEventBus;
  /** The shard count, to name each webhook's rule and bus (lambda/core/delivery-names.ts). */
  readonly shardCount: number;
  /** Hours of nothing but failed deliveries before a webhook is disabled (`failures.disableAfterHours`). @default 120 */
  readonly disableAfterHours?: number;
  /** How often streaks are judged. @default Duration.minutes(15) */
  readonly interval?: Duration;
}

/**
 * The endpoint-health sweep (lambda/endpoint-health): on a schedule, judges
 * every failure streak old enough, with CloudWatch's per-rule
 * `SuccessfulInvocationAttempts` as the success evidence, saves `disabled`
 * and publishes `partner-platform.webhook.disabled` on the platform bus.
 * It changes no rule itself: the provisioner applies the record to the rule.
 */
export class EndpointHealthSweep extends Construct {
  public readonly function: PlatformFunction;

  constructor(scope: Construct, id: string, props: EndpointHealthSweepProps) {
    super(scope, id);
    this.function = new PlatformFunction(this, 'Function', {
      handler: 'endpoint-health',
      serviceName: 'endpoint-health',
      description: 'Disables webhooks whose deliveries have failed for the configured hours, and tells their owners',
      timeout: Duration.minutes(5),
      environment: {
        ENVIRONMENT_NAME: props.environmentName,
        SHARD_COUNT: String(props.shardCount),
        DISABLE_AFTER_HOURS: String(props.disableAfterHours ?? DEFAULT_DISABLE_AFTER_HOURS),
      },
    })
      .bindTable('WEBHOOKS_TABLE', props.tables.webhooks, 'readWrite')
      .bindEventBusPublish(props.platformBus);
    this.grantMetricsRead();
    new events.Rule(this, 'Schedule', {
      description: 'Judges failing webhook endpoints: disable after the configured hours of failures',
      schedule: events.Schedule.rate(props.interval ?? Duration.minutes(15)),
      targets: [new targets.LambdaFunction(this.function)],
    });
  }

  private grantMetricsRead(): void {
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadDeliveryMetrics',
        actions: ['cloudwatch:GetMetricData'],
        resources: ['*'],
      }),
    );
    if (!this.function.role) return;
    Validations.of(this.function.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricData has no resource-level permissions (AWS supports only *); it only reads the AWS/Events per-rule success counts.',
    });
  }
}
