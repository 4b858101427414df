/**
 * Failed deliveries and replays in DynamoDB (lambda/core/data-model.ts
 * `FailedDeliveriesTable`): every read is a Query or GetItem on one
 * webhook's partition `orgId#webhookId`; nothing scans.
 *
 * The list cursor is the last sort key seen, base64url JSON `{ "k": ... }`,
 * checked against the sort-key shape before it reaches DynamoDB, so a
 * crafted cursor is a 400 and never another partition's key.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommandInput,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { FailedDeliveriesTable } from '../core/data-model';
import { ValidationError } from '../core/errors';
import type { FailedDelivery } from '../core/failed-deliveries';
import { isConditionalCheckFailed, type Page, type PageRequest, pageSize } from './dynamo-support';

const PK = FailedDeliveriesTable.partitionKey;
const SK = FailedDeliveriesTable.sortKey;
const FAILURE = 'f#';
const REPLAY = 'r#';
/** Sorts after every ISO time, so `f#<since>` .. `f#~` is "since". */
const AFTER_ALL = '~';
const FAILURE_KEY = /^f#\d{4}-\d{2}-\d{2}T[\d:.]+Z#[\w-]{1,128}$/;

export type ReplayState = 'in_progress' | 'completed';

/** A replay request as recorded: what was asked, by whom, and what it re-published. */
export interface ReplayRecord {
  readonly orgId: string;
  readonly webhookId: string;
  readonly replayId: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly since?: string;
  readonly eventIds?: readonly string[];
  readonly state: ReplayState;
  readonly published?: number;
  readonly failedToPublish?: number;
  readonly expiresAt: number;
}

export interface FailedDeliveriesRepositoryProps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

export const webhookKeyOf = (orgId: string, webhookId: string) => `${orgId}#${webhookId}`;
const failureKeyOf = (failure: Pick<FailedDelivery, 'eventTime' | 'eventId'>) =>
  `${FAILURE}${failure.eventTime}#${failure.eventId}`;

export class FailedDeliveriesRepository {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  public constructor(props: FailedDeliveriesRepositoryProps) {
    this.doc = props.doc;
    this.tableName = props.tableName;
  }

  /**
   * Records a dead letter: a first failure, or the same event failing again
   * after a replay (its status goes back to `failed`, `failures` counts up).
   */
  public async record(failure: FailedDelivery): Promise<void> {
    const { failures: _failures, replayId: _replayId, replayedAt: _replayedAt, ...fields } = failure;
    const names: Record<string, string> = {
      '#failures': 'failures',
      '#replayId': 'replayId',
      '#replayedAt': 'replayedAt',
    };
    const values: Record<string, unknown> = { ':one': 1 };
    const sets = Object.entries(fields).map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: webhookKeyOf(failure.orgId, failure.webhookId), [SK]: failureKeyOf(failure) },
        UpdateExpression: `SET ${sets.join(', ')} ADD #failures :one REMOVE #replayId, #replayedAt`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** One webhook's failures, newest first, a page at a time. */
  public async list(orgId: string, webhookId: string, page: PageRequest = {}): Promise<Page<FailedDelivery>> {
    const webhookKey = webhookKeyOf(orgId, webhookId);
    const start = decodeFailureCursor(page.cursor);
    const result = await this.doc.send(
      new QueryCommand({
        ...this.failuresQuery(webhookKey),
        ScanIndexForward: false,
        Limit: pageSize(page.limit),
        ...(start === undefined ? {} : { ExclusiveStartKey: { [PK]: webhookKey, [SK]: start } }),
      }),
    );
    const items = (result.Items ?? []).map(failureOf);
    const last = result.LastEvaluatedKey?.[SK];
    return typeof last === 'string' ? { items, nextCursor: encodeFailureCursor(last) } : { items };
  }

  /** Failures whose event happened at or after `since`, oldest first (at most `max`). */
  public async since(orgId: string, webhookId: string, since: string, max: number): Promise<FailedDelivery[]> {
    const query = {
      ...this.failuresQuery(webhookKeyOf(orgId, webhookId)),
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': webhookKeyOf(orgId, webhookId),
        ':from': `${FAILURE}${since}`,
        ':to': `${FAILURE}${AFTER_ALL}`,
      },
    };
    return this.queryAll(query, max);
  }

  /** The named events' failures (a Query of the webhook's partition, filtered). */
  public async byEventIds(orgId: string, webhookId: string, eventIds: readonly string[]): Promise<FailedDelivery[]> {
    const wanted = new Set(eventIds);
    const all = await this.queryAll(this.failuresQuery(webhookKeyOf(orgId, webhookId)), Number.MAX_SAFE_INTEGER);
    return all.filter((failure) => wanted.has(failure.eventId));
  }

  /** Marks failures as re-published by `replayId`; one a consumer rewrote meanwhile is marked too (it is being re-sent). */
  public async markReplayed(failures: readonly FailedDelivery[], replayId: string, at: string): Promise<void> {
    for (const failure of failures) {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: webhookKeyOf(failure.orgId, failure.webhookId), [SK]: failureKeyOf(failure) },
          UpdateExpression: 'SET #status = :replayed, #replayId = :replayId, #replayedAt = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#replayId': 'replayId',
            '#replayedAt': 'replayedAt',
            '#pk': PK,
          },
          ExpressionAttributeValues: { ':replayed': 'replayed', ':replayId': replayId, ':at': at },
        }),
      );
    }
  }

  /** Puts a failure back to `failed` after its re-publish was refused. */
  public async unmarkReplayed(failure: FailedDelivery): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: webhookKeyOf(failure.orgId, failure.webhookId), [SK]: failureKeyOf(failure) },
        UpdateExpression: 'SET #status = :failed REMOVE #replayId, #replayedAt',
        ExpressionAttributeNames: { '#status': 'status', '#replayId': 'replayId', '#replayedAt': 'replayedAt' },
        ExpressionAttributeValues: { ':failed': 'failed' },
      }),
    );
  }

  /**
   * Claims a replay id: true when this call made the record, false when a
   * replay with this id exists already (the caller answers with that one).
   */
  public async claimReplay(record: ReplayRecord): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [PK]: webhookKeyOf(record.orgId, record.webhookId), [SK]: `${REPLAY}${record.replayId}`, ...record },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  public async completeReplay(record: ReplayRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { [PK]: webhookKeyOf(record.orgId, record.webhookId), [SK]: `${REPLAY}${record.replayId}`, ...record },
      }),
    );
  }

  public async getReplay(orgId: string, webhookId: string, replayId: string): Promise<ReplayRecord | undefined> {
    const result = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: webhookKeyOf(orgId, webhookId), [SK]: `${REPLAY}${replayId}` },
        ConsistentRead: true,
      }),
    );
    if (result.Item === undefined) return undefined;
    const { [PK]: _pk, [SK]: _sk, ...record } = result.Item;
    return record as ReplayRecord;
  }

  private failuresQuery(webhookKey: string): QueryCommandInput {
    return {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :failure)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': webhookKey, ':failure': FAILURE },
    };
  }

  private async queryAll(query: QueryCommandInput, max: number): Promise<FailedDelivery[]> {
    const found: FailedDelivery[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.doc.send(
        new QueryCommand({
          ...query,
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      found.push(...(result.Items ?? []).map(failureOf));
      start = result.LastEvaluatedKey;
    } while (start !== undefined && found.length < max);
    return found.slice(0, max);
  }
}

function failureOf(item: Record<string, unknown>): FailedDelivery {
  const { [PK]: _pk, [SK]: _sk, ...failure } = item;
  return failure as unknown as FailedDelivery;
}

function encodeFailureCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify({ k: sortKey }), 'utf8').toString('base64url');
}

/** @throws ValidationError for anything but a cursor {@link encodeFailureCursor} made. */
export function decodeFailureCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const key = (value as { k?: unknown } | undefined)?.k;
  const onlyKey = typeof value === 'object' && value !== null && Object.keys(value).length === 1;
  if (!onlyKey || typeof key !== 'string' || !FAILURE_KEY.test(key)) {
    throw new ValidationError('cursor is not one this API returned', { field: 'cursor' });
  }
  return key;
}
