/**
 * Usage ingestion: one CloudWatch Logs subscription batch of API access-log
 * lines becomes per-key hourly counts (lambda/core/usage.ts) stored once per
 * batch (lambda/repositories/usage-repository.ts). A line that is not a key
 * request (not our JSON, or refused before the authorizer passed it) is
 * skipped and counted; its content is never logged.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type KeyRequest, parseAccessLogLine } from '../core/access-log';
import { aggregateKeyRequests } from '../core/usage';
import type { RecordedBatch, UsageRepository } from '../repositories/usage-repository';
import { batchIdOf, type SubscriptionData } from './subscription-event';

export interface UsageIngestDependencies {
  readonly usage: Pick<UsageRepository, 'recordBatch'>;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface IngestOutcome extends RecordedBatch {
  /** Log lines in the batch. */
  readonly lines: number;
  /** Key requests counted. */
  readonly counted: number;
  /** Lines that were not key requests. */
  readonly skipped: number;
}

const NOTHING_RECORDED: RecordedBatch = { chunksApplied: 0, chunksDuplicate: 0, keysAdvanced: 0 };

export async function ingestUsage(deps: UsageIngestDependencies, data: SubscriptionData): Promise<IngestOutcome> {
  // CloudWatch Logs checks a new destination with a control message: nothing to count.
  if (data.messageType === 'CONTROL_MESSAGE') {
    return { lines: 0, counted: 0, skipped: 0, ...NOTHING_RECORDED };
  }
  const requests: KeyRequest[] = [];
  const skippedIds: string[] = [];
  for (const event of data.logEvents) {
    const request = parseAccessLogLine(event.message);
    if (request === undefined) skippedIds.push(event.id);
    else requests.push(request);
  }
  const lines = data.logEvents.length;
  const skipped = skippedIds.length;
  const batchId = batchIdOf(data);
  const recorded =
    requests.length === 0 ? NOTHING_RECORDED : await deps.usage.recordBatch(batchId, aggregateKeyRequests(requests));
  const outcome = { lines, counted: requests.length, skipped, ...recorded };
  deps.logger?.info('usage batch ingested', { batchId, logGroup: data.logGroup, ...outcome });
  if (skipped > 0) {
    deps.logger?.warn('access-log lines skipped', {
      batchId,
      skipped,
      // Ids only (the first few): a line's content may hold whatever a caller sent.
      eventIds: skippedIds.slice(0, 10),
    });
  }
  return outcome;
}
