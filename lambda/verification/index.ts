/**
 * The webhook verification Lambda: a scheduled sweep (`{"action":"sweep"}`)
 * of pending webhooks whose next attempt is due, and a direct invoke
 * (`{"orgId","webhookId"}`) that verifies one webhook now.
 *
 * Environment, validated at cold start (environment.ts):
 * - `WEBHOOKS_TABLE`      the webhooks table name
 * - `ENVIRONMENT_NAME`    dev | stage | nonprod | prod
 * - `ALLOW_HTTP_WEBHOOKS` optional, `true` only in dev: plain http:// URLs
 *
 * Loopback receivers can never be allowed here: `allowLoopback` is not read
 * from the environment at all. The local runtime builds its own handler with
 * `createVerificationHandler` and a `ChallengeSender({ allowLoopback: true })`.
 * The connect-time address check (no loopback, private, link-local or
 * metadata addresses) is on in every environment, dev included, as DESIGN.md
 * requires of every deployable environment.
 */
import { systemClock } from '../core/clock';
import { WebhooksRepository } from '../repositories/webhooks-repository';
import { awsClients } from '../shared/aws-clients';
import { createObservability } from '../shared/observability';
import { SecretsManagerSecretStore } from '../shared/secret-store';
import { RepositoryWebhookStore, SecretStoreReader } from './adapters';
import { readVerificationEnvironment } from './environment';
import { ChallengeSender } from './send-challenge';
import { type InvocationContext, createVerificationHandler } from './verification-handler';

const env = readVerificationEnvironment();
const { logger, metrics } = createObservability('webhook-verification');
const clients = awsClients();

const verify = createVerificationHandler({
  store: new RepositoryWebhookStore(
    new WebhooksRepository({ doc: clients.doc, tableName: env.WEBHOOKS_TABLE, clock: systemClock }),
  ),
  secrets: new SecretStoreReader(new SecretsManagerSecretStore(clients.secretsManager)),
  transport: new ChallengeSender({ allowHttp: env.ALLOW_HTTP_WEBHOOKS }),
  clock: systemClock,
  logger,
  metrics,
});

export async function handler(event: unknown, context?: InvocationContext): Promise<unknown> {
  try {
    return await verify(event, context);
  } finally {
    metrics.publishStoredMetrics();
  }
}
