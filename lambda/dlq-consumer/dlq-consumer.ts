/**
 * The DLQ consumer: each message of a shard's dead-letter queue becomes a
 * failed delivery of its webhook (lambda/core/failed-deliveries.ts). SQS
 * batches with partial failures: a message whose write failed is retried by
 * SQS, the rest are deleted. A dead letter that names no webhook (a routing
 * rule's, or a webhook deleted since) is logged by rule and org and dropped:
 * there is nobody to show it to, and keeping it would retry it forever.
 *
 * Nothing of the event is logged (it is the partner's data) and the
 * messages hold no secret: EventBridge puts the event and its error there,
 * never the connection's credentials.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import {
  type DeadLetterMessage,
  type FailedDelivery,
  failureOf,
  parseDeadLetter,
  UnattributableDeadLetterError,
  webhookOfRule,
} from '../core/failed-deliveries';
import type { Clock } from '../core/clock';
import type { EndpointHealthRepository } from '../repositories/endpoint-health-repository';
import type { FailedDeliveriesRepository } from '../repositories/failed-deliveries-repository';
import type { WebhooksRepository } from '../repositories/webhooks-repository';

export interface DlqConsumerDependencies {
  readonly failures: Pick<FailedDeliveriesRepository, 'record'>;
  readonly webhooks: Pick<WebhooksRepository, 'listAll'>;
  /** The environment name the shard rule names carry (`pp-<env>-sNNN-...`). */
  readonly environmentName: string;
  readonly retentionDays: number;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Told of every recorded failure (endpoint health). @default nothing */
  readonly onRecorded?: (failure: FailedDelivery) => Promise<void>;
}

export type DlqOutcome = 'recorded' | 'unattributed';

/** The SQS event source's batch: the ids of messages to retry. */
export async function consumeDeadLetters(
  deps: DlqConsumerDependencies,
  records: readonly SQSRecord[],
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of records) {
    try {
      await consumeOne(deps, deadLetterOf(record));
    } catch (error) {
      deps.logger.error('dead letter not recorded; SQS retries it', {
        messageId: record.messageId,
        error: error instanceof Error ? error.name : 'unknown',
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** Records one dead letter; throws only for a failure worth retrying (a DynamoDB error). */
export async function consumeOne(deps: DlqConsumerDependencies, message: DeadLetterMessage): Promise<DlqOutcome> {
  let parsed;
  try {
    parsed = parseDeadLetter(message, deps.environmentName);
  } catch (error) {
    if (!(error instanceof UnattributableDeadLetterError)) throw error;
    deps.logger.warn('dead letter dropped', { reason: error.message, rule: ruleOf(message) });
    return 'unattributed';
  }
  const webhooks = await deps.webhooks.listAll(parsed.orgId);
  const webhookId = webhookOfRule(
    parsed,
    webhooks.map((webhook) => webhook.webhookId),
    deps.environmentName,
  );
  if (webhookId === undefined) {
    deps.logger.warn('dead letter names no webhook of its org', { orgId: parsed.orgId, rule: parsed.ruleName });
    return 'unattributed';
  }
  const failure = failureOf(parsed, webhookId, deps.retentionDays);
  await deps.failures.record(failure);
  deps.logger.info('failed delivery recorded', {
    orgId: failure.orgId,
    webhookId,
    eventId: failure.eventId,
    errorCode: failure.errorCode,
    httpStatus: failure.httpStatus,
  });
  await deps.onRecorded?.(failure);
  return 'recorded';
}

/**
 * Endpoint health's part of a dead letter: the webhook's failure streak
 * starts or grows as the consumer sees it (its clock, so the streak and
 * the sweep's judgement run on the same time).
 */
export function healthRecorder(
  health: Pick<EndpointHealthRepository, 'recordFailure'>,
  clock: Clock,
): (failure: FailedDelivery) => Promise<void> {
  return async (failure) => {
    await health.recordFailure(failure.orgId, failure.webhookId, clock.now());
  };
}

/** The SQS record as the core reads it: body, string attributes, and when the queue got it. */
export function deadLetterOf(record: SQSRecord): DeadLetterMessage {
  const attributes = Object.fromEntries(
    Object.entries(record.messageAttributes ?? {}).map(([name, value]) => [name, value.stringValue]),
  );
  const sent = Number(record.attributes?.SentTimestamp);
  return {
    body: record.body,
    attributes,
    receivedAt: new Date(Number.isFinite(sent) && sent > 0 ? sent : Date.now()).toISOString(),
  };
}

function ruleOf(message: DeadLetterMessage): string {
  return (message.attributes.RULE_ARN ?? '').split('/').pop() ?? '';
}
