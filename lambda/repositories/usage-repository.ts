/**
 * Per-key hourly usage in DynamoDB (see `UsageTable` in
 * lambda/core/data-model.ts): written by the ingestion of the API access
 * logs, read by the usage APIs and the portal with one Query per key.
 *
 * Counting once: a CloudWatch Logs subscription may deliver the same batch
 * twice. The buckets of a batch are written in chunks, each one transaction
 * of the ADDs plus a marker item `batch#<batchId>` / `chunk#<n>` put on the
 * condition that it does not exist yet. A redelivered batch aggregates to the
 * same buckets in the same order (`aggregateKeyRequests`), so each of its
 * chunks meets its own marker and changes nothing; a delivery that stopped
 * half-way redoes exactly the chunks that did not commit. Markers expire by
 * TTL after {@link BATCH_MARKER_DAYS}, long after any redelivery.
 *
 * `lastUsedAt` on the key moves only forward: a conditional UpdateItem, so an
 * older batch arriving late never moves it back.
 */
import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../core/clock';
import { DAY_MS } from '../core/clock';
import { ApiKeysTable, UsageTable, usagePartition } from '../core/data-model';
import { type KeyHourUsage, type UsageBucket, type UsageWindow, usageExpiry } from '../core/usage';
import type { ApiKeysRepository } from './api-keys-repository';
import { optionalString } from '../shared/env';
import { CONFLICT_RETRIES, cancellationReasons, isConditionalCheckFailed } from './dynamo-support';

/** The usage table's variable for the functions that read usage; unset, their usage routes answer 500. */
export const usageReadEnvironment = { USAGE_TABLE: optionalString };

/** The usage store a function's environment names, over its keys repository. */
export function usageFromEnv(
  env: { readonly USAGE_TABLE?: string; readonly API_KEYS_TABLE: string },
  doc: DynamoDBDocumentClient,
  keys: UsageRepositoryProps['keys'],
  clock: Clock,
): UsageRepository | undefined {
  if (env.USAGE_TABLE === undefined) return undefined;
  return new UsageRepository({
    doc,
    usageTableName: env.USAGE_TABLE,
    apiKeysTableName: env.API_KEYS_TABLE,
    keys,
    clock,
  });
}

/** How long a batch marker is kept: CloudWatch Logs stops redelivering long before. */
export const BATCH_MARKER_DAYS = 7;

/** Buckets per transaction (plus the chunk's marker): well inside DynamoDB's 100 items. */
export const USAGE_CHUNK_SIZE = 50;

const PK = UsageTable.partitionKey;
const SK = UsageTable.sortKey;
const STATUS_ATTRIBUTE = /^s([1-5]\d\d)$/;

export interface UsageRepositoryProps {
  readonly doc: DynamoDBDocumentClient;
  readonly usageTableName: string;
  /** The keys table, whose items carry `lastUsedAt`. */
  readonly apiKeysTableName: string;
  /** Finds a key's hash from its org and id (a Query of the org's keys). */
  readonly keys: Pick<ApiKeysRepository, 'findById'>;
  readonly clock: Clock;
}

export interface RecordedBatch {
  /** Chunks written now. */
  readonly chunksApplied: number;
  /** Chunks a previous delivery of the same batch had written already. */
  readonly chunksDuplicate: number;
  /** Keys whose `lastUsedAt` moved forward. */
  readonly keysAdvanced: number;
}

/** The batch marker's partition: never a usage partition (those hold an orgId, which has no `#` prefix). */
function markerPartition(batchId: string): string {
  return `batch#${batchId}`;
}

function bucketUpdate(tableName: string, bucket: KeyHourUsage) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':requests': bucket.requests,
    ':orgId': bucket.orgId,
    ':keyId': bucket.keyId,
    ':expiresAt': usageExpiry(bucket.start),
  };
  const adds = ['requests :requests'];
  Object.entries(bucket.byStatus).forEach(([status, count], index) => {
    names[`#s${index}`] = `s${status}`;
    values[`:s${index}`] = count;
    adds.push(`#s${index} :s${index}`);
  });
  return {
    Update: {
      TableName: tableName,
      Key: { [PK]: usagePartition(bucket.orgId, bucket.keyId), [SK]: bucket.start },
      UpdateExpression: `ADD ${adds.join(', ')} SET orgId = :orgId, keyId = :keyId, #ttl = :expiresAt`,
      ExpressionAttributeNames: { ...names, '#ttl': UsageTable.timeToLiveAttribute },
      ExpressionAttributeValues: values,
    },
  };
}

/** A stored item as a bucket: its counters, without the keys or TTL. */
function bucketOf(item: Record<string, unknown>): UsageBucket {
  const byStatus: Record<string, number> = {};
  for (const [attribute, value] of Object.entries(item)) {
    const status = STATUS_ATTRIBUTE.exec(attribute)?.[1];
    if (status !== undefined) byStatus[status] = Number(value);
  }
  return { start: String(item[SK]), requests: Number(item.requests ?? 0), byStatus };
}

export class UsageRepository {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  public constructor(private readonly props: UsageRepositoryProps) {
    this.doc = props.doc;
    this.table = props.usageTableName;
  }

  /**
   * Adds a batch's buckets (from `aggregateKeyRequests`) once per `batchId`,
   * and moves each key's `lastUsedAt` forward to its newest request.
   */
  public async recordBatch(batchId: string, buckets: readonly KeyHourUsage[]): Promise<RecordedBatch> {
    let chunksApplied = 0;
    let chunksDuplicate = 0;
    for (let index = 0; index * USAGE_CHUNK_SIZE < buckets.length; index++) {
      const chunk = buckets.slice(index * USAGE_CHUNK_SIZE, (index + 1) * USAGE_CHUNK_SIZE);
      if (await this.writeChunk(batchId, index, chunk)) chunksApplied++;
      else chunksDuplicate++;
    }
    const newest = new Map<string, KeyHourUsage>();
    for (const bucket of buckets) {
      const id = usagePartition(bucket.orgId, bucket.keyId);
      const seen = newest.get(id);
      if (seen === undefined || bucket.lastUsedAt > seen.lastUsedAt) newest.set(id, bucket);
    }
    let keysAdvanced = 0;
    for (const bucket of newest.values()) {
      if (await this.advanceLastUsed(bucket.orgId, bucket.keyId, bucket.lastUsedAt)) keysAdvanced++;
    }
    return { chunksApplied, chunksDuplicate, keysAdvanced };
  }

  /** @returns false when this chunk's marker already existed (a redelivery): nothing was written. */
  private async writeChunk(batchId: string, index: number, chunk: readonly KeyHourUsage[]): Promise<boolean> {
    const markerExpiry = Math.floor((this.props.clock.now().getTime() + BATCH_MARKER_DAYS * DAY_MS) / 1000);
    const marker = {
      Put: {
        TableName: this.table,
        Item: {
          [PK]: markerPartition(batchId),
          [SK]: `chunk#${index}`,
          buckets: chunk.length,
          [UsageTable.timeToLiveAttribute]: markerExpiry,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [marker, ...chunk.map((bucket) => bucketUpdate(this.table, bucket))],
          }),
        );
        return true;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons?.[0] === 'ConditionalCheckFailed') return false;
        if (!reasons?.includes('TransactionConflict') || attempt >= CONFLICT_RETRIES) throw error;
      }
    }
  }

  /**
   * Sets the key's `lastUsedAt` to `at` unless it is already as new.
   * @returns false when it was (or the key does not exist in that org).
   */
  public async advanceLastUsed(orgId: string, keyId: string, at: string): Promise<boolean> {
    const key = await this.props.keys.findById(orgId, keyId);
    if (key === undefined) return false;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.props.apiKeysTableName,
          Key: { [ApiKeysTable.partitionKey]: key.keyHash },
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :at)',
          ExpressionAttributeNames: { '#pk': ApiKeysTable.partitionKey },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** One key's hourly buckets in `[window.from, window.to)`, oldest first: one Query, paged. */
  public async hourly(orgId: string, keyId: string, window: Pick<UsageWindow, 'from' | 'to'>): Promise<UsageBucket[]> {
    const buckets: UsageBucket[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :last',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: {
            ':pk': usagePartition(orgId, keyId),
            ':from': window.from.toISOString(),
            ':last': new Date(window.to.getTime() - 1).toISOString(),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      buckets.push(...(page.Items ?? []).map(bucketOf));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return buckets;
  }
}
