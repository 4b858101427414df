/**
 * The usage ingestion Lambda (see usage-ingest.ts), the destination of a
 * CloudWatch Logs subscription filter on each API stage's access-log group
 * (lib/usage-accounting.ts). A thrown error makes CloudWatch Logs deliver the
 * batch again, which the per-batch markers make safe.
 * Environment: environment.ts.
 */
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { systemClock } from '../core/clock';
import { USAGE_LINES_COUNTED_METRIC, USAGE_LINES_SKIPPED_METRIC } from '../core/contracts';
import { ApiKeysRepository } from '../repositories/api-keys-repository';
import { UsageRepository } from '../repositories/usage-repository';
import { awsClients } from '../shared/aws-clients';
import { createObservability, publishMetrics } from '../shared/observability';
import { readUsageIngestEnvironment } from './environment';
import { decodeSubscriptionEvent } from './subscription-event';
import { ingestUsage, type UsageIngestDependencies } from './usage-ingest';

const { logger, metrics } = createObservability('usage-ingest');
let deps: UsageIngestDependencies | undefined;

function resolveDependencies(): UsageIngestDependencies {
  if (deps !== undefined) return deps;
  const env = readUsageIngestEnvironment();
  const { doc } = awsClients();
  const keys = new ApiKeysRepository({
    doc,
    apiKeysTableName: env.API_KEYS_TABLE,
    tenantsTableName: env.TENANTS_TABLE,
    clock: systemClock,
  });
  deps = {
    usage: new UsageRepository({
      doc,
      usageTableName: env.USAGE_TABLE,
      apiKeysTableName: env.API_KEYS_TABLE,
      keys,
      clock: systemClock,
    }),
    logger,
  };
  return deps;
}

export async function handler(event: CloudWatchLogsEvent): Promise<void> {
  try {
    const outcome = await ingestUsage(resolveDependencies(), decodeSubscriptionEvent(event));
    metrics.addMetric(USAGE_LINES_COUNTED_METRIC, 'Count', outcome.counted);
    metrics.addMetric(USAGE_LINES_SKIPPED_METRIC, 'Count', outcome.skipped);
  } finally {
    publishMetrics(metrics);
  }
}
