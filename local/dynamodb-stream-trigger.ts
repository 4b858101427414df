/**
 * The local stand-in for a Lambda event source mapping on a DynamoDB
 * stream: it reads a table's stream in DynamoDB Local with the real
 * `@aws-sdk/client-dynamodb-streams` client and hands each batch, shaped as
 * Lambda's `DynamoDBStreamEvent`, to a handler answering with
 * `batchItemFailures` (partial batch response). As the mapping does, a
 * batch that reports failures is retried from its first failed record, in
 * order, after a delay; a handler that throws retries the whole batch.
 *
 * Every open shard is read; shards that appear later (DynamoDB rolls them
 * over) are read from their start, so no record written after
 * {@link DynamoStreamTrigger.start} is missed. What was written before the
 * start is the periodic reconcile's business, as in AWS after an outage.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export type StreamBatchHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export interface DynamoStreamTriggerOptions {
  readonly streams: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly handler: StreamBatchHandler;
  /** Pause between polls that found nothing. @default 100 */
  readonly pollIntervalMs?: number;
  /** Records per batch (the mapping's BatchSize). @default 100 */
  readonly batchSize?: number;
  /** Pause before a failed batch is retried. @default 500 */
  readonly retryDelayMs?: number;
  /** Told about failed polls and handler errors (never about record contents). */
  readonly onError?: (error: unknown) => void;
}

interface ShardCursor {
  iterator?: string;
  /** The shard is closed and fully read. */
  done: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The stream ARN of a table; throws when the table has no stream enabled. */
export async function latestStreamArn(dynamo: DynamoDBClient, tableName: string): Promise<string> {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn || Table.StreamSpecification?.StreamEnabled !== true) {
    throw new Error(`table ${tableName} has no DynamoDB stream: its template needs a StreamSpecification`);
  }
  return Table.LatestStreamArn;
}

export class DynamoStreamTrigger {
  private readonly shards = new Map<string, ShardCursor>();
  private running = false;
  private loop?: Promise<void>;
  private rounds = 0;
  private shardClosed = false;
  private readonly roundWaiters: Array<{ after: number; resolve: () => void }> = [];

  constructor(private readonly options: DynamoStreamTriggerOptions) {}

  /** Takes the current end of every open shard as the starting point, then reads on in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.discoverShards('LATEST');
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    for (const waiter of this.roundWaiters.splice(0)) waiter.resolve();
  }

  /**
   * Resolves once a full round after this call found no new records: every
   * write made before the call has been handed to the handler (or is being retried).
   */
  whenCaughtUp(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.roundWaiters.push({ after: this.rounds + 1, resolve }));
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delivered = 0;
      try {
        delivered = await this.pollOnce();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (delivered === 0) {
        this.rounds += 1;
        this.releaseWaiters();
        await sleep(this.options.pollIntervalMs ?? 100);
      }
    }
  }

  private releaseWaiters(): void {
    for (let index = this.roundWaiters.length - 1; index >= 0; index -= 1) {
      const waiter = this.roundWaiters[index];
      if (waiter.after > this.rounds) continue;
      this.roundWaiters.splice(index, 1);
      waiter.resolve();
    }
  }

  /** One GetRecords per open shard; returns how many records went to the handler. */
  private async pollOnce(): Promise<number> {
    if (this.shardClosed || this.rounds % 20 === 0) {
      this.shardClosed = false;
      await this.discoverShards('TRIM_HORIZON');
    }
    let delivered = 0;
    for (const [shardId, cursor] of this.shards) {
      if (cursor.done || cursor.iterator === undefined || !this.running) continue;
      const page = await this.options.streams.send(
        new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: this.options.batchSize ?? 100 }),
      );
      const records = page.Records ?? [];
      if (records.length > 0) {
        delivered += records.length;
        const retryFrom = await this.handle(records);
        if (retryFrom !== undefined) {
          cursor.iterator = await this.iterator(shardId, 'AT_SEQUENCE_NUMBER', retryFrom);
          await sleep(this.options.retryDelayMs ?? 500);
          continue;
        }
      }
      cursor.iterator = page.NextShardIterator;
      if (cursor.iterator === undefined) {
        cursor.done = true;
        this.shardClosed = true;
      }
    }
    return delivered;
  }

  /** Hands a batch over; returns the sequence number to retry from, if any record failed. */
  private async handle(records: readonly StreamRecord[]): Promise<string | undefined> {
    const event: DynamoDBStreamEvent = { Records: records.map((record) => this.lambdaRecord(record)) };
    let response: DynamoDBBatchResponse | void;
    try {
      response = await this.options.handler(event);
    } catch (error) {
      this.options.onError?.(error);
      return records[0].dynamodb?.SequenceNumber;
    }
    const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    if (failed.size === 0) return undefined;
    return records.find((record) => failed.has(record.dynamodb?.SequenceNumber ?? ''))?.dynamodb?.SequenceNumber;
  }

  /** The record as Lambda hands it over: epoch-second timestamps and the stream's ARN. */
  private lambdaRecord(record: StreamRecord): DynamoDBRecord {
    const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
    return {
      ...(record as Omit<DynamoDBRecord, 'dynamodb'>),
      eventSourceARN: this.options.streamArn,
      dynamodb: {
        ...(dynamodb as DynamoDBRecord['dynamodb']),
        ...(ApproximateCreationDateTime === undefined
          ? {}
          : { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }),
      },
    };
  }

  private async discoverShards(position: 'LATEST' | 'TRIM_HORIZON'): Promise<void> {
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.options.streams.send(
        new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        const shardId = shard.ShardId;
        if (shardId === undefined || this.shards.has(shardId)) continue;
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        // At start, a closed shard holds only what came before: nothing to read.
        if (position === 'LATEST' && closed) {
          this.shards.set(shardId, { done: true });
          continue;
        }
        this.shards.set(shardId, { iterator: await this.iterator(shardId, position), done: false });
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
  }

  private async iterator(
    shardId: string,
    type: ShardIteratorType,
    sequenceNumber?: string,
  ): Promise<string | undefined> {
    const { ShardIterator } = await this.options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shardId,
        ShardIteratorType: type,
        ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }),
      }),
    );
    return ShardIterator;
  }
}
