/**
 * Usage storage against DynamoDB Local: a batch's buckets are added once per
 * batch id however often (and however concurrently) it is delivered, a
 * delivery that stopped half-way is completed without double counting, the
 * key's lastUsedAt only moves forward, and reads are one key's range only.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyRequest } from '../../lambda/core/access-log';
import { FakeClock } from '../../lambda/core/clock';
import { UsageTable } from '../../lambda/core/data-model';
import { aggregateKeyRequests, summarizeUsage, usageExpiry } from '../../lambda/core/usage';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { USAGE_CHUNK_SIZE, UsageRepository } from '../../lambda/repositories/usage-repository';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, usageRepositoryOver } from '../support/platform-tables';
import type { TestTableNames } from '../../scripts/lib/platform-tables';

let ddb: IntegDynamoDb;
let tables: TestTableNames;
const clock = new FakeClock('2026-12-07T15:00:00.000Z');
const WINDOW = { from: new Date('2026-12-01T00:00:00.000Z'), to: new Date('2026-12-08T00:00:00.000Z') };

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'usage');
}, 60_000);

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

function usageRepository(): UsageRepository {
  const { keys } = repositoriesFor(ddb.doc, tables, clock);
  return usageRepositoryOver(ddb.doc, tables, keys, clock);
}

let sequence = 0;
/** A registered org with one issued key. */
async function orgWithKey(): Promise<{ orgId: string; keyId: string }> {
  const orgId = `usage-${++sequence}-${Date.now().toString(36)}`;
  const { tenants, keys } = repositoriesFor(ddb.doc, tables, clock);
  await tenants.create({ orgId, orgName: 'Acme', ownerEmail: 'owner@acme.example' });
  const issued = await keys.issue({ orgId, validityDays: 'never' });
  return { orgId, keyId: issued.record.keyId };
}

function requestsOf(orgId: string, keyId: string, times: string[], status = 200): KeyRequest[] {
  return times.map((at, index) => ({ requestId: `r-${orgId}-${at}-${index}`, orgId, keyId, at: new Date(at), status }));
}

describe('UsageRepository against DynamoDB Local', () => {
  it('stores one item per key and hour with its counters and a 90-day TTL', async () => {
    const { orgId, keyId } = await orgWithKey();
    const usage = usageRepository();
    const requests = [
      ...requestsOf(orgId, keyId, ['2026-12-07T14:10:00Z', '2026-12-07T14:50:00Z']),
      ...requestsOf(orgId, keyId, ['2026-12-07T15:05:00Z'], 404),
      ...requestsOf(orgId, keyId, ['2026-12-07T15:06:00Z'], 503),
    ];
    await usage.recordBatch('batch-a', aggregateKeyRequests(requests));
    expect(await usage.hourly(orgId, keyId, WINDOW)).toEqual([
      { start: '2026-12-07T14:00:00.000Z', requests: 2, byStatus: { '200': 2 } },
      { start: '2026-12-07T15:00:00.000Z', requests: 2, byStatus: { '404': 1, '503': 1 } },
    ]);
    const { Items } = await ddb.doc.send(
      new QueryCommand({
        TableName: tables.usage,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': UsageTable.partitionKey },
        ExpressionAttributeValues: { ':pk': `${orgId}#${keyId}` },
      }),
    );
    expect(Items?.map((item) => item[UsageTable.timeToLiveAttribute])).toEqual([
      usageExpiry('2026-12-07T14:00:00.000Z'),
      usageExpiry('2026-12-07T15:00:00.000Z'),
    ]);
  });

  it('a redelivered batch is counted once, even when both deliveries run at the same time', async () => {
    const { orgId, keyId } = await orgWithKey();
    const usage = usageRepository();
    const buckets = aggregateKeyRequests(
      requestsOf(orgId, keyId, ['2026-12-06T01:00:00Z', '2026-12-06T02:00:00Z', '2026-12-06T02:30:00Z']),
    );
    await usage.recordBatch('batch-b', buckets);
    const again = await usage.recordBatch('batch-b', buckets);
    expect(again).toMatchObject({ chunksApplied: 0, chunksDuplicate: 1 });
    const racing = await Promise.allSettled([
      usage.recordBatch('batch-c', buckets),
      usage.recordBatch('batch-c', buckets),
    ]);
    expect(racing.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
    // batch-b once and batch-c once: twice the three requests.
    expect(summarizeUsage(await usage.hourly(orgId, keyId, WINDOW)).requests).toBe(6);
  });

  it('a delivery that stopped after its first chunk is completed by the redelivery, each chunk once', async () => {
    const { orgId, keyId } = await orgWithKey();
    const usage = usageRepository();
    // One request in each of USAGE_CHUNK_SIZE + 10 hours: two chunks.
    const hours = Array.from({ length: USAGE_CHUNK_SIZE + 10 }, (_, hour) =>
      new Date(Date.parse('2026-12-02T00:00:00Z') + hour * 3_600_000).toISOString(),
    );
    const buckets = aggregateKeyRequests(requestsOf(orgId, keyId, hours));
    await usage.recordBatch('batch-d', buckets.slice(0, USAGE_CHUNK_SIZE));
    expect(await usage.recordBatch('batch-d', buckets)).toMatchObject({ chunksApplied: 1, chunksDuplicate: 1 });
    const stored = await usage.hourly(orgId, keyId, WINDOW);
    expect(stored).toHaveLength(hours.length);
    expect(stored.every((bucket) => bucket.requests === 1)).toBe(true);
  });

  it("lastUsedAt moves forward only: an older batch arriving late leaves the key's newer time", async () => {
    const { orgId, keyId } = await orgWithKey();
    const usage = usageRepository();
    const { keys } = repositoriesFor(ddb.doc, tables, clock);
    await usage.recordBatch('batch-new', aggregateKeyRequests(requestsOf(orgId, keyId, ['2026-12-07T14:59:59.123Z'])));
    expect((await keys.findById(orgId, keyId))?.lastUsedAt).toBe('2026-12-07T14:59:59.123Z');
    const late = await usage.recordBatch(
      'batch-old',
      aggregateKeyRequests(requestsOf(orgId, keyId, ['2026-12-07T13:00:00Z'])),
    );
    expect(late.keysAdvanced).toBe(0);
    expect((await keys.findById(orgId, keyId))?.lastUsedAt).toBe('2026-12-07T14:59:59.123Z');
  });

  it("reads one key's range only: other keys, other orgs with the same key id, and hours outside are left out", async () => {
    const mine = await orgWithKey();
    const other = await orgWithKey();
    const usage = usageRepository();
    await usage.recordBatch(
      'batch-e',
      aggregateKeyRequests([
        ...requestsOf(mine.orgId, mine.keyId, [
          '2026-11-30T23:59:59Z',
          '2026-12-01T00:00:00Z',
          '2026-12-07T23:59:59Z',
          '2026-12-08T00:00:00Z',
        ]),
        ...requestsOf(other.orgId, other.keyId, ['2026-12-03T00:00:00Z']),
        // A line naming my key id under another org (never valid, but must not leak into mine).
        ...requestsOf(other.orgId, mine.keyId, ['2026-12-03T00:00:00Z']),
      ]),
    );
    const stored = await usage.hourly(mine.orgId, mine.keyId, WINDOW);
    expect(stored.map((bucket) => bucket.start)).toEqual(['2026-12-01T00:00:00.000Z', '2026-12-07T23:00:00.000Z']);
  });
});
