/**
 * Re-enabling a webhook endpoint health disabled, for both APIs and the
 * portal: one write of the record (the provisioner switches its rule back
 * on from it, config-owned or run-time), after the webhook is found in the
 * org the caller may see. Nothing is replayed unless `replaySince` asks.
 */
import type { z } from 'zod';
import type { Clock } from '../core/clock';
import { onReenabled } from '../core/endpoint-health';
import type { WebhooksRepository } from '../repositories/webhooks-repository';
import { type FailureRouteDependencies, replayFailures } from './failure-handlers';
import type { enableBody, enableView } from './routes';
import { webhookViewOf } from './views';

export interface HealthRouteDependencies extends FailureRouteDependencies {
  readonly webhooks: Pick<WebhooksRepository, 'require' | 'update'>;
  readonly clock: Clock;
}

/**
 * Re-enables `orgId`'s webhook; one that is not disabled is left as it is.
 * @throws NotFoundError when the org has no such webhook.
 */
export async function enableWebhook(
  deps: HealthRouteDependencies,
  orgId: string,
  webhookId: string,
  body: z.output<typeof enableBody>,
  requestedBy: string,
): Promise<z.input<typeof enableView>> {
  const saved = await deps.webhooks.update(orgId, webhookId, (current) => {
    const health = onReenabled(current.health, deps.clock.now(), requestedBy);
    return health === current.health ? current : { ...current, health };
  });
  const replay =
    body?.replaySince === undefined || body.requestId === undefined
      ? null
      : await replayFailures(
          deps,
          orgId,
          webhookId,
          { requestId: body.requestId, since: body.replaySince },
          requestedBy,
        );
  return { webhook: webhookViewOf(saved), replay };
}
