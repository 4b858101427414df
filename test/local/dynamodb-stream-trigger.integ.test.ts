/**
 * The local stream trigger against DynamoDB Local's own stream, read with
 * the real DynamoDB Streams client: every write after start reaches the
 * handler once, in order, shaped as Lambda's stream event; a reported
 * failure is retried from the failed record; a throwing handler gets the
 * whole batch again.
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoStreamTrigger, latestStreamArn, type StreamBatchHandler } from '../../local/dynamodb-stream-trigger';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { uniqueTablePrefix } from '../support/unique-table-prefix';

describe('DynamoStreamTrigger on DynamoDB Local', () => {
  let db: IntegDynamoDb;
  let streams: DynamoDBStreamsClient;
  let table: string;
  let trigger: DynamoStreamTrigger | undefined;

  beforeAll(async () => {
    db = await connectToDynamoDbLocal();
    streams = new DynamoDBStreamsClient({
      endpoint: db.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  beforeEach(async () => {
    table = `${uniqueTablePrefix()}webhooks`;
    await db.client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'orgId', KeyType: 'HASH' },
          { AttributeName: 'webhookId', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'orgId', AttributeType: 'S' },
          { AttributeName: 'webhookId', AttributeType: 'S' },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' },
      }),
    );
  });

  afterEach(async () => {
    await trigger?.stop();
    trigger = undefined;
    await db.client.send(new DeleteTableCommand({ TableName: table }));
  });

  afterAll(async () => {
    streams.destroy();
    await db.close();
  });

  const startTrigger = async (handler: StreamBatchHandler) => {
    trigger = new DynamoStreamTrigger({
      streams,
      streamArn: await latestStreamArn(db.client, table),
      handler,
      pollIntervalMs: 20,
      retryDelayMs: 20,
    });
    await trigger.start();
    return trigger;
  };
  const keysOf = (event: DynamoDBStreamEvent) =>
    event.Records.map((r) => `${r.eventName}:${r.dynamodb?.Keys?.orgId?.S}/${r.dynamodb?.Keys?.webhookId?.S}`);

  it('hands every write after start to the handler once, in order, as a Lambda stream event', async () => {
    await db.doc.send(new PutCommand({ TableName: table, Item: { orgId: 'before', webhookId: 'start' } }));
    const seen: string[] = [];
    let sample: DynamoDBStreamEvent['Records'][number] | undefined;
    const started = await startTrigger(async (event) => {
      sample ??= event.Records[0];
      seen.push(...keysOf(event));
    });
    const writeTimes: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      writeTimes.push(Date.now());
      await db.doc.send(new PutCommand({ TableName: table, Item: { orgId: 'acme', webhookId: `w${index}` } }));
    }
    await db.doc.send(new DeleteCommand({ TableName: table, Key: { orgId: 'acme', webhookId: 'w0' } }));
    await started.whenCaughtUp();
    await started.whenCaughtUp();
    expect(seen).toEqual([...[0, 1, 2, 3, 4].map((i) => `INSERT:acme/w${i}`), 'REMOVE:acme/w0']);
    expect(sample).toMatchObject({ eventSource: 'aws:dynamodb', eventSourceARN: expect.stringContaining(table) });
    expect(typeof sample?.dynamodb?.ApproximateCreationDateTime).toBe('number');
  });

  it('retries a batch from its first reported failure, and a throwing handler’s whole batch', async () => {
    const calls: string[][] = [];
    let failOnce = true;
    let throwOnce = true;
    const started = await startTrigger(async (event) => {
      const keys = keysOf(event);
      calls.push(keys);
      if (keys.includes('INSERT:acme/fail') && failOnce) {
        failOnce = false;
        const failed = event.Records.find((r) => r.dynamodb?.Keys?.webhookId?.S === 'fail');
        return { batchItemFailures: [{ itemIdentifier: failed!.dynamodb!.SequenceNumber! }] };
      }
      if (keys.includes('INSERT:acme/throw') && throwOnce) {
        throwOnce = false;
        throw new Error('handler crashed');
      }
      return { batchItemFailures: [] };
    });
    await db.doc.send(new PutCommand({ TableName: table, Item: { orgId: 'acme', webhookId: 'ok' } }));
    await db.doc.send(new PutCommand({ TableName: table, Item: { orgId: 'acme', webhookId: 'fail' } }));
    await started.whenCaughtUp();
    await db.doc.send(new PutCommand({ TableName: table, Item: { orgId: 'acme', webhookId: 'throw' } }));
    await started.whenCaughtUp();
    await started.whenCaughtUp();
    const flat = calls.flat();
    // 'ok' is handed over once; 'fail' twice (failed, then retried); 'throw' twice.
    expect(flat.filter((key) => key === 'INSERT:acme/ok')).toHaveLength(1);
    expect(flat.filter((key) => key === 'INSERT:acme/fail')).toHaveLength(2);
    expect(flat.filter((key) => key === 'INSERT:acme/throw')).toHaveLength(2);
  });

  it('refuses a table without a stream, naming the fix', async () => {
    const plain = `${uniqueTablePrefix()}plain`;
    await db.client.send(
      new CreateTableCommand({
        TableName: plain,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    try {
      await expect(latestStreamArn(db.client, plain)).rejects.toThrow(/has no DynamoDB stream.*StreamSpecification/);
    } finally {
      await db.client.send(new DeleteTableCommand({ TableName: plain }));
    }
  });
});
