/**
 * The provisioner Lambda (see provisioner.ts): the webhooks table's DynamoDB
 * stream (answers `{batchItemFailures}`, so only failed records are
 * retried), the 15-minute schedule, and on demand a direct invoke
 * `{"action":"reconcile"}`, e.g.
 * `aws lambda invoke --function-name <Provisioner> --payload '{"action":"reconcile"}' out.json`.
 *
 * A new or changed pending webhook is verified at once, in this invocation,
 * with the verification handler's challenge sender (never loopback here).
 * Environment: environment.ts, set by lib/webhook-provisioner.ts.
 */
import { systemClock } from '../core/clock';
import { TenantsRepository } from '../repositories/tenants-repository';
import { WebhooksRepository } from '../repositories/webhooks-repository';
import { awsClients } from '../shared/aws-clients';
import { createObservability, publishMetrics } from '../shared/observability';
import { SecretsManagerSecretStore } from '../shared/secret-store';
import { RepositoryWebhookStore, SecretStoreReader } from '../verification/adapters';
import { ChallengeSender } from '../verification/send-challenge';
import { createVerificationHandler } from '../verification/verification-handler';
import { readProvisionerEnvironment } from './environment';
import { createProvisioner } from './provisioner';
import { dispatchProvisionerEvent } from './provisioner-events';
import { provisionerSettingsFromEnvironment } from './settings';

const env = readProvisionerEnvironment();
const settings = provisionerSettingsFromEnvironment();
const { logger, metrics } = createObservability('webhook-provisioner');
const clients = awsClients();
const webhooks = new WebhooksRepository({ doc: clients.doc, tableName: env.WEBHOOKS_TABLE, clock: systemClock });
const secrets = new SecretsManagerSecretStore(clients.secretsManager);

const verify = createVerificationHandler({
  store: new RepositoryWebhookStore(webhooks),
  secrets: new SecretStoreReader(secrets),
  transport: new ChallengeSender({ allowHttp: env.ALLOW_HTTP_WEBHOOKS }),
  clock: systemClock,
  logger,
  metrics,
});

const provisioner = createProvisioner({
  eventBridge: clients.eventBridge,
  repositories: {
    tenants: new TenantsRepository({ doc: clients.doc, tableName: env.TENANTS_TABLE, clock: systemClock }),
    webhooks,
  },
  secrets,
  clock: systemClock,
  settings,
  verify: (orgId, webhookId) => verify({ orgId, webhookId }),
  logger,
});

export async function handler(event: unknown): Promise<unknown> {
  try {
    return await dispatchProvisionerEvent(provisioner, event);
  } finally {
    publishMetrics(metrics);
  }
}
