/**
 * Each org's partner API token bucket against DynamoDB Local: the
 * conditional writes admit exactly the burst under concurrency, decide as the
 * pure GCRA does over any sequence, write nothing when they refuse, keep orgs
 * apart, and leave one short-lived item the tenants listing never shows.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { FakeClock } from '../../lambda/core/clock';
import { TenantsTable } from '../../lambda/core/data-model';
import {
  MICROS_PER_SECOND,
  type RateLimitPolicy,
  decideAdmission,
  emissionIntervalMicros,
  microsOf,
} from '../../lambda/core/rate-limit';
import { OrgRateLimit, PARTNER_API_RATE_LIMIT_KEY_PREFIX } from '../../lambda/repositories/org-rate-limit';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
const NOW = new Date('2026-12-07T12:00:00.000Z');

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'org-rate-limit');
}, 60_000);

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

let orgSequence = 0;
const newOrgId = () => `throttled-${++orgSequence}`;
const limitOf = (policy: RateLimitPolicy, clock = new FakeClock(NOW)) =>
  new OrgRateLimit(ddb.doc, tables.tenants, policy, clock);

async function bucketItem(orgId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await ddb.doc.send(
    new GetCommand({
      TableName: tables.tenants,
      Key: { [TenantsTable.partitionKey]: `${PARTNER_API_RATE_LIMIT_KEY_PREFIX}${orgId}` },
      ConsistentRead: true,
    }),
  );
  return Item;
}

describe('OrgRateLimit against DynamoDB Local', () => {
  it.each([
    [40, { requestsPerSecond: 10, burst: 10 }],
    [25, { requestsPerSecond: 2, burst: 1 }],
    [60, { requestsPerSecond: 50, burst: 23 }],
  ])('%i concurrent requests at one instant admit exactly the burst (%j)', async (requests, policy) => {
    const orgId = newOrgId();
    const limit = limitOf(policy);
    const decisions = await Promise.all(Array.from({ length: requests }, () => limit.take(orgId)));
    const interval = emissionIntervalMicros(policy);
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(policy.burst);
    // Every refusal saw the full burst taken: one interval to wait.
    for (const decision of decisions.filter((candidate) => !candidate.allowed)) {
      expect(decision).toEqual({
        allowed: false,
        retryAfterMicros: interval,
        retryAfterSeconds: Math.max(1, Math.ceil(interval / MICROS_PER_SECOND)),
      });
    }
    expect((await bucketItem(orgId))?.tatMicros).toBe(microsOf(NOW) + policy.burst * interval);
  });

  it('decides every request as the pure GCRA does, over random sequences on the fake clock', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ requestsPerSecond: fc.constantFrom(1, 4, 10, 30), burst: fc.integer({ min: 1, max: 6 }) }),
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 3_000 })), {
          minLength: 1,
          maxLength: 25,
        }),
        async (policy, gapsMs) => {
          const orgId = newOrgId();
          const clock = new FakeClock(NOW);
          const limit = limitOf(policy, clock);
          let tat: number | undefined;
          for (const gap of gapsMs) {
            clock.advance(gap);
            const expected = decideAdmission(microsOf(clock.now()), tat, policy);
            if (expected.allowed) tat = expected.tatMicros;
            expect(await limit.take(orgId)).toEqual(expected);
          }
          expect((await bucketItem(orgId))?.tatMicros).toBe(tat);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('a refused request writes nothing, and another org (even one whose id extends this one) keeps its own bucket', async () => {
    const orgId = newOrgId();
    const clock = new FakeClock(NOW);
    const limit = limitOf({ requestsPerSecond: 1, burst: 2 }, clock);
    expect((await limit.take(orgId)).allowed).toBe(true);
    expect((await limit.take(orgId)).allowed).toBe(true);
    const before = await bucketItem(orgId);
    expect(await limit.take(orgId)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(await bucketItem(orgId)).toEqual(before);
    expect((await limit.take(`${orgId}-evil`)).allowed).toBe(true);
    expect((await limit.take(`${orgId}-evil`)).allowed).toBe(true);
    // After one interval the first org has one request again, and only one.
    clock.advance(1_000);
    expect((await limit.take(orgId)).allowed).toBe(true);
    expect((await limit.take(orgId)).allowed).toBe(false);
  });

  it('an item whose TAT has passed (TTL removes it lazily) is a full bucket again', async () => {
    const orgId = newOrgId();
    await ddb.doc.send(
      new PutCommand({
        TableName: tables.tenants,
        Item: {
          [TenantsTable.partitionKey]: `${PARTNER_API_RATE_LIMIT_KEY_PREFIX}${orgId}`,
          tatMicros: microsOf(NOW) - 5 * MICROS_PER_SECOND,
          [TenantsTable.timeToLiveAttribute]: Math.floor(NOW.getTime() / 1_000) - 10,
        },
      }),
    );
    const limit = limitOf({ requestsPerSecond: 5, burst: 3 });
    const decisions = await Promise.all([0, 1, 2, 3].map(() => limit.take(orgId)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(3);
  });

  it('keeps one item per org with a TTL past the moment it is full again, which is no tenant and never listed', async () => {
    const orgId = newOrgId();
    await limitOf({ requestsPerSecond: 10, burst: 20 }).take(orgId);
    const item = await bucketItem(orgId);
    const fullAgainSeconds = NOW.getTime() / 1_000 + 2;
    expect(Object.keys(item ?? {}).sort()).toEqual(
      [TenantsTable.partitionKey, TenantsTable.timeToLiveAttribute, 'tatMicros'].sort(),
    );
    expect(item?.[TenantsTable.timeToLiveAttribute]).toBeGreaterThan(fullAgainSeconds);
    expect(item?.[TenantsTable.timeToLiveAttribute]).toBeLessThan(fullAgainSeconds + 120);
    const { tenants } = repositoriesFor(ddb.doc, tables, new FakeClock(NOW));
    expect(await tenants.get(orgId)).toBeUndefined();
    expect((await tenants.list({ limit: 100 })).items.map((tenant) => tenant.orgId)).not.toContain(
      `${PARTNER_API_RATE_LIMIT_KEY_PREFIX}${orgId}`,
    );
  });
});
