import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DEAD_LETTERS_RETRIED_METRIC, METRICS_NAMESPACE } from '../lambda/core/contracts';
import type { RouteSpec } from '../lambda/api/route-table';
import { platformStackName } from './config/naming';
import { otherBusesRulesQuery } from './operator-alarm';
import type { PlatformFunction } from './platform-function';

export interface PlatformDashboardProps {
  readonly environmentName: string;
  /** The REST API serving the admin and partner APIs; its stage is named after the environment. */
  readonly api: apigateway.RestApi;
  /** The API's routes (lambda/api/routes.ts), split into the admin and the partner API by their auth. */
  readonly routes: readonly RouteSpec[];
  /** The partner API's key verification. */
  readonly authorizer: PlatformFunction;
  readonly deadLetterConsumer: PlatformFunction;
  /** Every house function of the platform stack. */
  readonly functions: readonly PlatformFunction[];
  /** The platform bus: its routing rules are left out of the per-bus delivery graphs. */
  readonly platformBusName: string;
  /** The partner portal's function (a Function URL). @default no portal panel */
  readonly portal?: PlatformFunction;
}

const PERIOD = Duration.minutes(5);
const WIDTH = 8;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the platform: deliveries and failures per
 * shard bus, dead letters, p99 key verification, 4xx/5xx per API (admin,
 * partner, portal) and function errors. The shard buses come from Metrics
 * Insights queries grouped by bus, so a new shard shows up without changing
 * this stack (one partner changes one shard stack, never the platform).
 */
export class PlatformDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PlatformDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: platformStackName(props.environmentName),
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          graph('Deliveries per shard bus', [
            otherBusesRulesQuery('Invocations', props.platformBusName, 'invocations'),
          ]),
          graph('Failed deliveries per shard bus', [
            otherBusesRulesQuery('FailedInvocations', props.platformBusName, 'failed for good'),
            otherBusesRulesQuery('InvocationsFailedToBeSentToDlq', props.platformBusName, 'lost (DLQ refused)'),
            otherBusesRulesQuery('ThrottledRules', props.platformBusName, 'throttled'),
          ]),
          graph('Dead letters recorded', [
            props.deadLetterConsumer.metricInvocations({ period: PERIOD, label: 'consumer batches' }),
            new cloudwatch.Metric({
              namespace: METRICS_NAMESPACE,
              metricName: DEAD_LETTERS_RETRIED_METRIC,
              dimensionsMap: { service: props.deadLetterConsumer.serviceName },
              period: PERIOD,
              statistic: 'Sum',
              label: 'not recorded, retried',
            }),
          ]),
        ],
        [
          graph('Key verification (authorizer duration, ms)', [
            props.authorizer.metricDuration({ period: PERIOD, statistic: 'p99', label: 'p99' }),
            props.authorizer.metricDuration({ period: PERIOD, statistic: 'p50', label: 'p50' }),
          ]),
          graph('Key verifications', [
            props.authorizer.metricInvocations({ period: PERIOD, label: 'invocations' }),
            props.authorizer.metricErrors({ period: PERIOD, label: 'errors' }),
          ]),
          graph('API latency (ms)', [props.api.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' })]),
        ],
        [
          graph('Admin API 4xx / 5xx', apiErrors(props, 'admin')),
          graph('Partner API 4xx / 5xx', apiErrors(props, 'partner')),
          ...(props.portal
            ? [
                graph('Portal 4xx / 5xx', [
                  props.portal.metric('Url4xxCount', { period: PERIOD, statistic: 'Sum', label: '4xx' }),
                  props.portal.metric('Url5xxCount', { period: PERIOD, statistic: 'Sum', label: '5xx' }),
                ]),
              ]
            : []),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            width: 24,
            height: HEIGHT,
            left: props.functions.map((fn) =>
              fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: fn.serviceName }),
            ),
          }),
        ],
      ],
    });
  }
}

function graph(title: string, left: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, width: WIDTH, height: HEIGHT, left });
}

/**
 * 4xx and 5xx of one API, summed over its routes' per-method metrics (the
 * stage has detailed metrics on). Public routes are served by the partner
 * API, so they count there.
 */
function apiErrors(props: PlatformDashboardProps, api: 'admin' | 'partner'): cloudwatch.IMetric[] {
  const routes = props.routes.filter((route) => (route.auth === 'admin') === (api === 'admin'));
  return (['4xx', '5xx'] as const).map((status) => {
    const metricName = `${status.toUpperCase()}Error`;
    // Ids are unique across the widget: both expressions share one graph.
    const usingMetrics = Object.fromEntries(
      routes.map((route, index) => [
        `s${status}${index}`,
        new cloudwatch.Metric({
          namespace: 'AWS/ApiGateway',
          metricName,
          dimensionsMap: {
            ApiName: props.api.restApiName,
            Stage: props.environmentName,
            Resource: route.path,
            Method: route.method,
          },
          period: PERIOD,
          statistic: 'Sum',
        }),
      ]),
    );
    return new cloudwatch.MathExpression({
      expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: status,
      period: PERIOD,
    });
  });
}
