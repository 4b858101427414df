/**
 * Creating a webhook at run time, the one flow behind every door that does
 * it (admin API, portal): the tenant must be registered, the core checks
 * the URL and events, the signing secret is stored under the prefix, and
 * the record is written with its secret's ARN.
 */
import type { Clock } from '../core/clock';
import { NotFoundError } from '../core/errors';
import type { UrlPolicyOptions } from '../core/url-policy';
import { type WebhookSource, createWebhook, isRuntimeOwned } from '../core/webhooks';
import type { TenantsRepository } from '../repositories/tenants-repository';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import type { SecretStore } from './secret-store';
import { generateWebhookSecret, storeWebhookSecret } from './webhook-secrets';

export interface RuntimeWebhookDependencies {
  readonly tenants: Pick<TenantsRepository, 'get'>;
  readonly webhooks: Pick<WebhooksRepository, 'create'>;
  readonly secrets: SecretStore;
  /** Secrets Manager name prefix of webhook secrets: `<prefix><orgId>/<webhookId>`. */
  readonly webhookSecretPrefix: string;
  readonly urlPolicy: UrlPolicyOptions;
  readonly clock: Clock;
}

export interface NewRuntimeWebhook {
  readonly orgId: string;
  readonly url: string;
  readonly events: readonly string[];
  /** The door it came through; config webhooks are made by onboarding, never here. */
  readonly source: Exclude<WebhookSource, 'config'>;
  /** The signing secret the partner chose. @default a generated one */
  readonly secret?: string;
}

/**
 * @throws NotFoundError when the tenant is not registered; ValidationError
 * for a URL or event list the core refuses (nothing is written then).
 */
export async function createRuntimeWebhook(
  deps: RuntimeWebhookDependencies,
  input: NewRuntimeWebhook,
): Promise<StoredWebhook> {
  if ((await deps.tenants.get(input.orgId)) === undefined) throw new NotFoundError('Tenant not registered');
  const record = createWebhook({
    orgId: input.orgId,
    url: input.url,
    events: input.events,
    source: input.source,
    clock: deps.clock,
    urlPolicy: deps.urlPolicy,
  });
  const secretArn = await storeWebhookSecret(
    deps.secrets,
    deps.webhookSecretPrefix,
    record,
    input.secret ?? generateWebhookSecret(),
  );
  return deps.webhooks.create({ ...record, secretArn });
}

/**
 * After a tenant is disabled or enabled again: its run-time webhooks' rules
 * must follow at once, not at the next reconcile. Each one's delivery state
 * goes back to `provisioning` (with no spec), a change the webhooks table's
 * stream carries to the provisioner, which reads the tenant again and sets
 * the rules' State. Config webhooks are the templates'; they are skipped.
 * @returns how many webhooks were marked.
 */
export async function reprovisionRuntimeWebhooks(
  webhooks: WebhooksRepository,
  orgId: string,
  clock: Clock,
): Promise<number> {
  const runtime = (await webhooks.listAll(orgId)).filter(isRuntimeOwned);
  const updatedAt = clock.now().toISOString();
  for (const hook of runtime) {
    try {
      await webhooks.update(orgId, hook.webhookId, (current) => ({
        ...current,
        delivery: { state: 'provisioning', updatedAt },
      }));
    } catch (error) {
      // Deleted meanwhile: its delete is on the stream already.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return runtime.length;
}
