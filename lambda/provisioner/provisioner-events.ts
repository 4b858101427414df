/**
 * What invokes the provisioner, parsed: a batch from the webhooks table's
 * DynamoDB stream (answered with the partial-failure shape, so only the
 * failed records are retried), the 15-minute schedule, or a direct invoke
 * `{"action":"reconcile"}` (on demand).
 */
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { WebhooksTable } from '../core/data-model';
import { ValidationError } from '../core/errors';
import type { Provisioner, WebhookKey } from './provisioner';
import type { ReconcileReport } from './reconcile';

/** Items in the webhooks table that are not webhooks (secret-overlap markers) have this in their sort key. */
const MARKER_SEPARATOR = '#';

export function keyOfStreamRecord(record: DynamoDBRecord): WebhookKey | undefined {
  const keys = record.dynamodb?.Keys;
  const orgId = keys?.[WebhooksTable.partitionKey]?.S;
  const webhookId = keys?.[WebhooksTable.sortKey]?.S;
  if (orgId === undefined || webhookId === undefined || webhookId.includes(MARKER_SEPARATOR)) return undefined;
  return { orgId, webhookId };
}

/** Converges every webhook in the batch; the records of the ones that failed are reported for retry. */
export async function handleStreamBatch(
  provisioner: Provisioner,
  records: readonly DynamoDBRecord[],
): Promise<DynamoDBBatchResponse> {
  const keyed = records.map((record) => ({ record, key: keyOfStreamRecord(record) }));
  const keys = keyed.flatMap(({ key }) => (key === undefined ? [] : [key]));
  const outcomes = await provisioner.handleChanges(keys);
  const failed = new Set(
    outcomes.filter((outcome) => outcome.outcome === 'error').map((outcome) => `${outcome.orgId}/${outcome.webhookId}`),
  );
  return {
    batchItemFailures: keyed
      .filter(({ key }) => key !== undefined && failed.has(`${key.orgId}/${key.webhookId}`))
      .map(({ record }) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })),
  };
}

function isStreamBatch(event: unknown): event is { Records: DynamoDBRecord[] } {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.every((record) => (record as DynamoDBRecord).eventSource === 'aws:dynamodb');
}

function isReconcileRequest(event: unknown): boolean {
  const candidate = event as { action?: unknown; source?: unknown; 'detail-type'?: unknown } | null;
  return (
    candidate?.action === 'reconcile' ||
    (candidate?.source === 'aws.events' && candidate['detail-type'] === 'Scheduled Event')
  );
}

/** Dispatches one invocation. @throws ValidationError for an event that is none of the three. */
export async function dispatchProvisionerEvent(
  provisioner: Provisioner,
  event: unknown,
): Promise<DynamoDBBatchResponse | ReconcileReport> {
  if (isStreamBatch(event)) return handleStreamBatch(provisioner, event.Records);
  if (isReconcileRequest(event)) return provisioner.reconcile();
  throw new ValidationError('expected a DynamoDB stream batch, a scheduled event or {"action":"reconcile"}', {
    field: 'event',
  });
}
