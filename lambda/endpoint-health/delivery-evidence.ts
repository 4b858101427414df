/**
 * Success evidence for endpoint health: whether a webhook's rule delivered
 * anything in a time window. EventBridge does not tell anyone about a
 * success (only failures reach the dead-letter queue), but it counts every
 * attempt per rule in CloudWatch: `AWS/Events` `SuccessfulInvocationAttempts`
 * with dimensions `EventBusName` and `RuleName`. A webhook's rule has exactly
 * one target, its API destination, so the rule's successful attempts are the
 * endpoint's 2xx answers (a 5xx, a 4xx, a timeout is a failed attempt).
 * The local runtime answers the same question from its own delivery log.
 */
import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';

/** Which rule delivers a webhook. */
export interface WebhookRule {
  readonly ruleName: string;
  readonly busName: string;
}

export interface DeliveryEvidence {
  /** Successful deliveries through `rule` from `from` to `to` (0 when none, or no data). */
  successfulDeliveries(rule: WebhookRule, from: Date, to: Date): Promise<number>;
}

/** Five-minute data is kept 63 days, longer than any disable window; one-minute data only 15. */
const PERIOD_SECONDS = 300;

export class CloudWatchDeliveryEvidence implements DeliveryEvidence {
  public constructor(private readonly client: CloudWatchClient) {}

  public async successfulDeliveries(rule: WebhookRule, from: Date, to: Date): Promise<number> {
    let total = 0;
    let next: string | undefined;
    do {
      const page = await this.client.send(
        new GetMetricDataCommand({
          StartTime: from,
          EndTime: to,
          NextToken: next,
          MetricDataQueries: [
            {
              Id: 'successes',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/Events',
                  MetricName: 'SuccessfulInvocationAttempts',
                  Dimensions: [
                    { Name: 'EventBusName', Value: rule.busName },
                    { Name: 'RuleName', Value: rule.ruleName },
                  ],
                },
                Period: PERIOD_SECONDS,
                Stat: 'Sum',
              },
            },
          ],
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        total += (result.Values ?? []).reduce((sum, value) => sum + value, 0);
      }
      next = page.NextToken;
    } while (next !== undefined);
    return total;
  }
}
