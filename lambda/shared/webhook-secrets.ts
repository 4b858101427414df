/**
 * Where a webhook's signing secret lives: one Secrets Manager secret per
 * webhook, named `<prefix><orgId>/<webhookId>` and tagged with its orgId.
 * Shared by every door that creates webhooks at run time (admin API, portal).
 */
import { randomAlphanumeric } from '../core/random';
import type { SecretStore } from './secret-store';

/** Webhook secrets generated for the partner: 32 alphanumerics, about 190 bits. */
export const GENERATED_WEBHOOK_SECRET_LENGTH = 32;

export function generateWebhookSecret(): string {
  return randomAlphanumeric(GENERATED_WEBHOOK_SECRET_LENGTH);
}

/**
 * Stores `value` as the webhook's secret: a new version of the secret it
 * already has, or a new secret under the prefix (a new version when one by
 * that name exists already, so a retried create succeeds).
 * @returns the secret's ARN (or name) to record as the webhook's `secretArn`.
 */
export async function storeWebhookSecret(
  secrets: SecretStore,
  prefix: string,
  webhook: { readonly orgId: string; readonly webhookId: string; readonly secretArn?: string },
  value: string,
): Promise<string> {
  if (webhook.secretArn !== undefined) {
    await secrets.putSecretValue({ secretId: webhook.secretArn, value });
    return webhook.secretArn;
  }
  const name = `${prefix}${webhook.orgId}/${webhook.webhookId}`;
  const created = await secrets.createSecret({
    name,
    value,
    description: `Webhook secret of ${webhook.orgId}/${webhook.webhookId}`,
    tags: { orgId: webhook.orgId },
  });
  if (created.created) return created.arn;
  await secrets.putSecretValue({ secretId: name, value });
  return name;
}
