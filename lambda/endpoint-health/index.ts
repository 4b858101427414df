/**
 * The endpoint-health sweep Lambda (see health-sweep.ts), run by an
 * EventBridge schedule; a direct invoke runs it on demand.
 * Environment: environment.ts, set by lib/endpoint-health-sweep.ts.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { systemClock } from '../core/clock';
import { EndpointHealthRepository } from '../repositories/endpoint-health-repository';
import { WebhooksRepository } from '../repositories/webhooks-repository';
import { awsClients } from '../shared/aws-clients';
import { EventPublisher } from '../shared/event-publisher';
import { createObservability, publishMetrics } from '../shared/observability';
import { CloudWatchDeliveryEvidence } from './delivery-evidence';
import { healthSweepSettingsOf, readHealthSweepEnvironment } from './environment';
import { type HealthSweepDependencies, type HealthSweepReport, sweepEndpointHealth } from './health-sweep';

const { logger, metrics } = createObservability('endpoint-health');
let deps: HealthSweepDependencies | undefined;

function resolveDependencies(): HealthSweepDependencies {
  if (deps !== undefined) return deps;
  const env = readHealthSweepEnvironment();
  const { doc, eventBridge } = awsClients();
  const webhooks = new WebhooksRepository({ doc, tableName: env.WEBHOOKS_TABLE, clock: systemClock });
  deps = {
    webhooks,
    health: new EndpointHealthRepository({ doc, tableName: env.WEBHOOKS_TABLE, webhooks }),
    evidence: new CloudWatchDeliveryEvidence(new CloudWatchClient({})),
    publisher: new EventPublisher({ client: eventBridge, busName: env.PLATFORM_BUS_NAME }),
    clock: systemClock,
    settings: healthSweepSettingsOf(env),
    logger,
  };
  return deps;
}

export async function handler(): Promise<HealthSweepReport> {
  try {
    const report = await sweepEndpointHealth(resolveDependencies());
    metrics.addMetric('WebhooksDisabled', 'Count', report.disabled);
    return report;
  } finally {
    publishMetrics(metrics);
  }
}
