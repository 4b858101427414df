/**
 * The failed-deliveries routes of both APIs: list and replay, each after
 * the webhook is found in the org the caller may see (the partner's own,
 * or the admin's path orgId), so another org's webhook is simply not found.
 */
import type { z } from 'zod';
import type { FailedDelivery } from '../core/failed-deliveries';
import type { WebhooksRepository } from '../repositories/webhooks-repository';
import type { FailureReplayPort, ReplayOutcome } from '../shared/failure-replay';
import type { failedDeliveryView, replayView } from './routes';

export interface FailureRouteDependencies {
  readonly webhooks: Pick<WebhooksRepository, 'require'>;
  /** @default none: the routes answer 500 (a function deployed without the failures table) */
  readonly failureReplay?: FailureReplayPort;
}

export function failedDeliveryViewOf(failure: FailedDelivery): z.input<typeof failedDeliveryView> {
  return {
    eventId: failure.eventId,
    detailType: failure.detailType,
    source: failure.source,
    eventTime: failure.eventTime,
    failedAt: failure.failedAt,
    httpStatus: failure.httpStatus ?? null,
    errorCode: failure.errorCode,
    errorMessage: failure.errorMessage,
    failures: failure.failures,
    status: failure.status,
    replayedAt: failure.replayedAt ?? null,
    event: failure.event,
  };
}

export function replayViewOf(outcome: ReplayOutcome): z.input<typeof replayView> {
  return {
    replayId: outcome.replayId,
    state: outcome.state,
    published: outcome.published ?? 0,
    failedToPublish: outcome.failedToPublish ?? 0,
    requestedAt: outcome.requestedAt,
    duplicate: outcome.duplicate,
  };
}

function replayOf(deps: FailureRouteDependencies): FailureReplayPort {
  if (deps.failureReplay === undefined) throw new Error('failed deliveries are not configured for this function');
  return deps.failureReplay;
}

/** Lists one webhook's failures, after checking it is in `orgId`. */
export async function listFailures(
  deps: FailureRouteDependencies,
  orgId: string,
  webhookId: string,
  query: { limit?: number; cursor?: string },
) {
  await deps.webhooks.require(orgId, webhookId);
  const page = await replayOf(deps).list(orgId, webhookId, query);
  return { failures: page.items.map(failedDeliveryViewOf), nextCursor: page.nextCursor ?? null };
}

/** Replays one webhook's failures, after checking it is in `orgId`. */
export async function replayFailures(
  deps: FailureRouteDependencies,
  orgId: string,
  webhookId: string,
  body: { requestId: string; since?: string; eventIds?: string[] },
  requestedBy: string,
) {
  await deps.webhooks.require(orgId, webhookId);
  const outcome = await replayOf(deps).replay({ orgId, webhookId, ...body, requestedBy });
  return replayViewOf(outcome);
}
