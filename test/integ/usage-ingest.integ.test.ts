/**
 * The ingestion handler's core over a real subscription payload (base64
 * gzip, as CloudWatch Logs sends it) against DynamoDB Local: lines become
 * hourly counts, a redelivered batch counts once, control messages and lines
 * that are not key requests are skipped and counted, and a skipped line's
 * content never reaches the log.
 */
import type { CloudWatchLogsDecodedData } from 'aws-lambda';
import { type AccessLogLine, formatAccessLogLine } from '../../lambda/core/access-log';
import { FakeClock } from '../../lambda/core/clock';
import { summarizeUsage } from '../../lambda/core/usage';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import {
  decodeSubscriptionEvent,
  encodeSubscriptionEvent,
  type SubscriptionData,
} from '../../lambda/usage-ingest/subscription-event';
import { ingestUsage } from '../../lambda/usage-ingest/usage-ingest';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import {
  createPlatformTables,
  deletePlatformTables,
  type TestTableNames,
  usageRepositoryOver,
} from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: TestTableNames;
const clock = new FakeClock('2026-12-07T15:00:00.000Z');
const WINDOW = { from: new Date('2026-12-07T00:00:00.000Z'), to: new Date('2026-12-08T00:00:00.000Z') };

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'ingest');
}, 60_000);

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

function world() {
  const { keys } = repositoriesFor(ddb.doc, tables, clock);
  const usage = usageRepositoryOver(ddb.doc, tables, keys, clock);
  const logger = { info: jest.fn(), warn: jest.fn() };
  return { usage, logger, keys };
}

function line(overrides: Partial<AccessLogLine>): string {
  return formatAccessLogLine({
    requestId: 'req',
    requestTimeEpoch: String(Date.parse('2026-12-07T14:30:00Z')),
    apiId: 'abc',
    stage: 'dev',
    httpMethod: 'GET',
    resourcePath: '/partner-auth-probe',
    status: '200',
    responseLatency: '5',
    orgId: 'acme',
    keyId: 'key_1',
    keyEnvironment: 'production',
    ...overrides,
  });
}

function payload(messages: string[], stream = 'stream-1'): SubscriptionData {
  return {
    messageType: 'DATA_MESSAGE' as const,
    owner: '000000000000',
    logGroup: 'api-access',
    logStream: stream,
    subscriptionFilters: ['usage'],
    logEvents: messages.map((message, index) => ({ id: `${stream}-${index}`, timestamp: 0, message })),
  };
}

describe('usage ingestion against DynamoDB Local', () => {
  it('counts the key lines of a gzip batch once, even delivered twice, and skips the rest by id only', async () => {
    const { usage, logger } = world();
    const orgId = `ingest-${Date.now().toString(36)}`;
    const secretLooking = 'Bearer sk_live_do_not_log_me';
    const messages = [
      line({ orgId, requestId: 'a', status: '200' }),
      line({ orgId, requestId: 'b', status: '200' }),
      line({ orgId, requestId: 'c', status: '429' }),
      line({ orgId, requestId: 'd', status: '502' }),
      // Refused by the authorizer: no key.
      line({ orgId: '', keyId: '', requestId: 'e', status: '401' }),
      `not json ${secretLooking}`,
    ];
    const event = encodeSubscriptionEvent(payload(messages));
    const first = await ingestUsage({ usage, logger }, decodeSubscriptionEvent(event));
    expect(first).toMatchObject({ lines: 6, counted: 4, skipped: 2, chunksApplied: 1, chunksDuplicate: 0 });
    const again = await ingestUsage({ usage, logger }, decodeSubscriptionEvent(event));
    expect(again).toMatchObject({ counted: 4, chunksApplied: 0, chunksDuplicate: 1 });

    const summary = summarizeUsage(await usage.hourly(orgId, 'key_1', WINDOW));
    expect(summary).toMatchObject({ requests: 4, byStatus: { '200': 2, '429': 1, '502': 1 } });
    expect(summary.statusClasses).toMatchObject({ '2xx': 2, '4xx': 1, '5xx': 1 });
    expect(logger.warn).toHaveBeenCalledWith(
      'access-log lines skipped',
      expect.objectContaining({ skipped: 2, eventIds: ['stream-1-4', 'stream-1-5'] }),
    );
    expect(JSON.stringify([logger.info.mock.calls, logger.warn.mock.calls])).not.toContain(secretLooking);
  });

  it('another batch with the same lines (another stream) counts again: batches differ by their events', async () => {
    const { usage } = world();
    const orgId = `ingest2-${Date.now().toString(36)}`;
    const messages = [line({ orgId })];
    await ingestUsage({ usage }, payload(messages, 'stream-a'));
    await ingestUsage({ usage }, payload(messages, 'stream-b'));
    expect(summarizeUsage(await usage.hourly(orgId, 'key_1', WINDOW)).requests).toBe(2);
  });

  it('a control message counts nothing', async () => {
    const { usage } = world();
    const recordBatch = jest.spyOn(usage, 'recordBatch');
    const outcome = await ingestUsage({ usage }, { ...payload([]), messageType: 'CONTROL_MESSAGE' });
    expect(outcome).toMatchObject({ lines: 0, counted: 0 });
    expect(recordBatch).not.toHaveBeenCalled();
  });

  it.each<[string, unknown]>([
    ['no awslogs', {}],
    ['data not gzip', { awslogs: { data: Buffer.from('hello').toString('base64') } }],
    ['gzip of the wrong shape', encodeSubscriptionEvent({ nope: true } as unknown as CloudWatchLogsDecodedData)],
  ])('a malformed event (%s) fails, so CloudWatch Logs retries it', (_name, event) => {
    expect(() => decodeSubscriptionEvent(event)).toThrow();
  });
});
