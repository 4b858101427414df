/**
 * The key policy against DynamoDB Local: at most `maxActivePerEnvironment`
 * live (active or expiring) keys per org and environment, held by the tenant
 * item's per-environment counters in the same transactions as the keys, so
 * racing creates never exceed it; and tenant items from before environments
 * (one `activeKeyHash` pointer) keep working.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type KeyEnvironment, issueKey } from '../../lambda/core/api-keys';
import { FakeClock, HOUR_MS } from '../../lambda/core/clock';
import { TenantsTable } from '../../lambda/core/data-model';
import { KeyLimitReachedError } from '../../lambda/core/errors';
import { ApiKeysRepository } from '../../lambda/repositories/api-keys-repository';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { type TenantsRepository, liveKeyCount } from '../../lambda/repositories/tenants-repository';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let clock: FakeClock;
let tenants: TenantsRepository;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'keypolicy');
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

beforeEach(() => {
  clock = new FakeClock('2026-03-01T00:00:00.000Z');
  ({ tenants } = repositoriesFor(ddb.doc, tables, clock));
});

let orgSequence = 0;
async function registered(maxActivePerEnvironment?: number): Promise<string> {
  orgSequence += 1;
  const orgId = `policy-${orgSequence}-${Date.now().toString(36)}`;
  await tenants.create({
    orgId,
    orgName: 'Acme',
    ownerEmail: 'owner@acme.example',
    ...(maxActivePerEnvironment === undefined ? {} : { maxActivePerEnvironment }),
  });
  return orgId;
}

function keysWithLimit(limit?: number, conflictRetries?: number): ApiKeysRepository {
  return new ApiKeysRepository({
    doc: ddb.doc,
    apiKeysTableName: tables.apiKeys,
    tenantsTableName: tables.tenants,
    clock,
    ...(limit === undefined ? {} : { maxActivePerEnvironment: limit }),
    ...(conflictRetries === undefined ? {} : { conflictRetries }),
  });
}

async function counts(orgId: string): Promise<Record<KeyEnvironment, number>> {
  const tenant = (await tenants.get(orgId))!;
  return { development: liveKeyCount(tenant, 'development'), production: liveKeyCount(tenant, 'production') };
}

type Step =
  | { readonly create: KeyEnvironment; readonly expect: 'ok' | 'limit' }
  | { readonly revokeFirst: KeyEnvironment }
  | { readonly rotateFirst: KeyEnvironment; readonly graceHours: 0 | 24 };

interface PolicyCase {
  readonly title: string;
  readonly limit: number;
  readonly steps: readonly Step[];
  readonly live: Record<KeyEnvironment, number>;
}

const CASES: readonly PolicyCase[] = [
  {
    title: 'limit 1: the second production key is refused with 409 key_limit_reached',
    limit: 1,
    steps: [
      { create: 'production', expect: 'ok' },
      { create: 'production', expect: 'limit' },
    ],
    live: { development: 0, production: 1 },
  },
  {
    title: 'limit 1: development at its limit does not block production',
    limit: 1,
    steps: [
      { create: 'development', expect: 'ok' },
      { create: 'development', expect: 'limit' },
      { create: 'production', expect: 'ok' },
    ],
    live: { development: 1, production: 1 },
  },
  {
    title: 'limit 2: two keys per environment, the third refused',
    limit: 2,
    steps: [
      { create: 'development', expect: 'ok' },
      { create: 'development', expect: 'ok' },
      { create: 'development', expect: 'limit' },
      { create: 'production', expect: 'ok' },
      { create: 'production', expect: 'ok' },
      { create: 'production', expect: 'limit' },
    ],
    live: { development: 2, production: 2 },
  },
  {
    title: 'limit 1: revoking a key frees its slot',
    limit: 1,
    steps: [
      { create: 'production', expect: 'ok' },
      { revokeFirst: 'production' },
      { create: 'production', expect: 'ok' },
      { create: 'production', expect: 'limit' },
    ],
    live: { development: 0, production: 1 },
  },
  {
    title: 'limit 1: a rotated-out key in grace does not count',
    limit: 1,
    steps: [
      { create: 'development', expect: 'ok' },
      { rotateFirst: 'development', graceHours: 24 },
      { create: 'development', expect: 'limit' },
    ],
    live: { development: 1, production: 0 },
  },
  {
    title: 'limit 2: grace keys leave room for a second live key',
    limit: 2,
    steps: [
      { create: 'production', expect: 'ok' },
      { rotateFirst: 'production', graceHours: 24 },
      { create: 'production', expect: 'ok' },
      { create: 'production', expect: 'limit' },
    ],
    live: { development: 0, production: 2 },
  },
];

describe('the key policy (live keys per org and environment)', () => {
  it.each(CASES)('$title', async ({ limit, steps, live }) => {
    const orgId = await registered();
    const keys = keysWithLimit(limit);
    for (const step of steps) {
      if ('create' in step) {
        const attempt = keys.issue({ orgId, name: `key ${step.create}`, environment: step.create });
        if (step.expect === 'ok') await expect(attempt).resolves.toBeDefined();
        else await expect(attempt).rejects.toThrow(KeyLimitReachedError);
        continue;
      }
      const environment = 'revokeFirst' in step ? step.revokeFirst : step.rotateFirst;
      const [first] = await keys.listLive(orgId, environment);
      if ('revokeFirst' in step) await keys.revoke({ orgId, keyId: first.keyId });
      else await keys.rotate({ orgId, keyId: first.keyId, graceHours: step.graceHours });
    }
    expect(await counts(orgId)).toEqual(live);
    for (const environment of ['development', 'production'] as const) {
      expect(await keys.listLive(orgId, environment)).toHaveLength(live[environment]);
    }
  });

  it('the refusal names the environment and the limit', async () => {
    const orgId = await registered();
    const keys = keysWithLimit(2);
    await keys.issue({ orgId, environment: 'development' });
    await keys.issue({ orgId, environment: 'development' });
    const refusal = await keys.issue({ orgId, environment: 'development' }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(KeyLimitReachedError);
    expect(refusal).toMatchObject({ environment: 'development', limit: 2 });
    expect((refusal as Error).message).toMatch(/2 active development API keys \(the limit for development\)/);
  });

  it("the org's own limit (from its partner file) wins over the environment's", async () => {
    const orgId = await registered(3);
    const keys = keysWithLimit(1);
    for (let index = 0; index < 3; index++) await keys.issue({ orgId, environment: 'production' });
    await expect(keys.issue({ orgId, environment: 'production' })).rejects.toThrow(/3 active production API keys/);
  });

  it('rotation keeps the name and environment and the count', async () => {
    const orgId = await registered();
    const keys = keysWithLimit(1);
    const first = await keys.issue({ orgId, name: 'CI', environment: 'development', validityDays: 30 });
    const { newKey } = await keys.rotate({ orgId, keyId: first.record.keyId, graceHours: 0 });
    expect(newKey.record).toMatchObject({ name: 'CI', environment: 'development' });
    expect(await counts(orgId)).toEqual({ development: 1, production: 0 });
  });

  it('racing creates never exceed the limit: 12 at once with limit 2 leave exactly 2 live keys', async () => {
    const orgId = await registered();
    const keys = keysWithLimit(2, 20);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, index) =>
        keys.issue({ orgId, name: `racer ${index}`, environment: 'production' }),
      ),
    );
    const created = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(created).toHaveLength(2);
    for (const refusal of refused) expect(refusal.reason).toBeInstanceOf(KeyLimitReachedError);
    expect(await keys.listLive(orgId, 'production')).toHaveLength(2);
    expect((await keys.listByOrg(orgId, { limit: 100 })).items).toHaveLength(2);
    expect(await counts(orgId)).toEqual({ development: 0, production: 2 });
  });

  it('racing creates and revokes keep the count equal to the live keys', async () => {
    const orgId = await registered();
    const keys = keysWithLimit(3, 30);
    const seeded = [await keys.issue({ orgId }), await keys.issue({ orgId })];
    await Promise.allSettled([
      ...seeded.map((issued) => keys.revoke({ orgId, keyId: issued.record.keyId })),
      ...Array.from({ length: 6 }, () => keys.issue({ orgId })),
    ]);
    const live = await keys.listLive(orgId, 'production');
    expect(live.length).toBeLessThanOrEqual(3);
    expect((await counts(orgId)).production).toBe(live.length);
  });
});

describe('tenant items from before environments', () => {
  /** A tenant and key as the one-pointer version stored them: no counters, no name or environment. */
  async function legacyOrg(): Promise<{ orgId: string; keyId: string; keyHash: string }> {
    const orgId = await registered();
    const { record } = issueKey({ orgId, clock });
    const { name: _name, environment: _environment, ...legacyKey } = record;
    await ddb.doc.send(new PutCommand({ TableName: tables.apiKeys, Item: legacyKey }));
    const tenant = (await tenants.get(orgId))!;
    await ddb.doc.send(
      new PutCommand({
        TableName: tables.tenants,
        Item: {
          ...tenant,
          listBucket: 'tenant',
          activeKeyHash: record.keyHash,
          activeKeyId: record.keyId,
          [TenantsTable.partitionKey]: orgId,
        },
      }),
    );
    return { orgId, keyId: record.keyId, keyHash: record.keyHash };
  }

  it('read the old key as the production key "Default" and keep the one-key limit', async () => {
    const legacy = await legacyOrg();
    const keys = keysWithLimit(1);
    expect(await counts(legacy.orgId)).toEqual({ development: 0, production: 1 });
    await expect(keys.issue({ orgId: legacy.orgId })).rejects.toThrow(KeyLimitReachedError);
    // Converted on the way: the pointer is gone and the count carries the key.
    const tenant = (await tenants.get(legacy.orgId))!;
    expect(tenant.activeKeyHash).toBeUndefined();
    expect(tenant.liveProductionKeys).toBe(1);
    // A development key has its own slot.
    await keys.issue({ orgId: legacy.orgId, environment: 'development' });
    expect(await counts(legacy.orgId)).toEqual({ development: 1, production: 1 });
  });

  it('rotate and revoke the old key by id', async () => {
    const legacy = await legacyOrg();
    const keys = keysWithLimit(1);
    const { newKey } = await keys.rotate({ orgId: legacy.orgId, keyId: legacy.keyId, graceHours: 24 });
    expect(newKey.record).toMatchObject({ name: 'Default', environment: 'production' });
    expect(await counts(legacy.orgId)).toEqual({ development: 0, production: 1 });

    const other = await legacyOrg();
    await keys.revoke({ orgId: other.orgId, keyId: other.keyId });
    expect(await counts(other.orgId)).toEqual({ development: 0, production: 0 });
    await expect(keys.issue({ orgId: other.orgId })).resolves.toBeDefined();
  });

  it('the sweep ends an expired old key and frees its place', async () => {
    const legacy = await legacyOrg();
    const keys = keysWithLimit(1);
    clock.advance(366 * 24 * HOUR_MS);
    expect(await keys.sweep(legacy.keyHash, clock.now())).toMatchObject({ kind: 'transitioned' });
    expect(await counts(legacy.orgId)).toEqual({ development: 0, production: 0 });
  });
});
