/**
 * The DLQ consumer Lambda (see dlq-consumer.ts), fed by one SQS event source
 * per shard dead-letter queue with `ReportBatchItemFailures`, so only the
 * messages it could not record are retried.
 * Environment: environment.ts, set by lib/dead-letter-consumer.ts.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { systemClock } from '../core/clock';
import { DEAD_LETTERS_RETRIED_METRIC } from '../core/contracts';
import { EndpointHealthRepository } from '../repositories/endpoint-health-repository';
import { FailedDeliveriesRepository } from '../repositories/failed-deliveries-repository';
import { WebhooksRepository } from '../repositories/webhooks-repository';
import { awsClients } from '../shared/aws-clients';
import { createObservability, publishMetrics } from '../shared/observability';
import { consumeDeadLetters, type DlqConsumerDependencies, healthRecorder } from './dlq-consumer';
import { readDlqConsumerEnvironment } from './environment';

const { logger, metrics } = createObservability('dlq-consumer');
let deps: DlqConsumerDependencies | undefined;

function resolveDependencies(): DlqConsumerDependencies {
  if (deps !== undefined) return deps;
  const env = readDlqConsumerEnvironment();
  const { doc } = awsClients();
  const webhooks = new WebhooksRepository({ doc, tableName: env.WEBHOOKS_TABLE, clock: systemClock });
  deps = {
    failures: new FailedDeliveriesRepository({ doc, tableName: env.FAILED_DELIVERIES_TABLE }),
    webhooks,
    environmentName: env.ENVIRONMENT_NAME,
    retentionDays: env.FAILURE_RETENTION_DAYS,
    logger,
    onRecorded: healthRecorder(
      new EndpointHealthRepository({ doc, tableName: env.WEBHOOKS_TABLE, webhooks }),
      systemClock,
    ),
  };
  return deps;
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  try {
    const response = await consumeDeadLetters(resolveDependencies(), event.Records);
    metrics.addMetric(DEAD_LETTERS_RETRIED_METRIC, 'Count', response.batchItemFailures.length);
    return response;
  } finally {
    publishMetrics(metrics);
  }
}
