/**
 * The repositories against DynamoDB Local, with tables created from the
 * synthesized platform template: conditional writes, transactions and the
 * key policy's live-key counts hold in DynamoDB itself.
 */
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DAY_MS, FakeClock, HOUR_MS } from '../../lambda/core/clock';
import { ConflictError, KeyLimitReachedError, NotFoundError } from '../../lambda/core/errors';
import { createWebhook, onVerificationSucceeded } from '../../lambda/core/webhooks';
import { ApiKeyLookup } from '../../lambda/repositories/api-key-lookup';
import { ApiKeysRepository } from '../../lambda/repositories/api-keys-repository';
import { TenantsRepository, liveKeyCount } from '../../lambda/repositories/tenants-repository';
import type { UsageRepository } from '../../lambda/repositories/usage-repository';
import { WebhooksRepository } from '../../lambda/repositories/webhooks-repository';
import { localGetItemClient } from '../../local/dynamodb-local';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import {
  createPlatformTables,
  deletePlatformTables,
  type TestTableNames,
  usageRepositoryOver,
} from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: TestTableNames;
let clock: FakeClock;
let tenants: TenantsRepository;
let keys: ApiKeysRepository;
let webhooks: WebhooksRepository;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'repos');
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

beforeEach(() => {
  clock = new FakeClock('2025-03-01T00:00:00.000Z');
  ({ tenants, keys, webhooks } = repositoriesFor(ddb.doc, tables, clock));
});

let orgSequence = 0;
function newOrgId(): string {
  orgSequence += 1;
  return `org-${orgSequence}-${Date.now().toString(36)}`;
}

async function registered(): Promise<string> {
  const orgId = newOrgId();
  await tenants.create({ orgId, orgName: 'Acme', ownerEmail: 'owner@acme.example' });
  return orgId;
}

/** Usage storage over the same tables: it writes keys' lastUsedAt. */
function usageOf(): UsageRepository {
  return usageRepositoryOver(ddb.doc, tables, keys, clock);
}

async function keysOf(orgId: string) {
  const page = await keys.listByOrg(orgId, { limit: 100 });
  return page.items;
}

describe('TenantsRepository', () => {
  it('registers a tenant once and refuses a second registration with ConflictError', async () => {
    const orgId = await registered();
    await expect(tenants.create({ orgId, orgName: 'Other', ownerEmail: 'x@y.example' })).rejects.toThrow(ConflictError);
    expect(await tenants.get(orgId)).toMatchObject({ orgId, orgName: 'Acme', status: 'active' });
  });

  it('ensure updates the profile of an existing tenant and re-enables a disabled one', async () => {
    const orgId = await registered();
    await tenants.disable(orgId);
    const { tenant, created } = await tenants.ensure({ orgId, orgName: 'Acme Corp', ownerEmail: 'new@acme.example' });
    expect(created).toBe(false);
    expect(tenant).toMatchObject({ orgName: 'Acme Corp', ownerEmail: 'new@acme.example', status: 'active' });
    expect(tenant.disabledAt).toBeUndefined();
  });

  it('lists tenants a page at a time with an opaque cursor', async () => {
    const created = [await registered(), await registered(), await registered()];
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await tenants.list({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((tenant) => tenant.orgId));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(expect.arrayContaining(created));
    // A Query of the list index: in orgId order, without bookkeeping attributes.
    expect(seen).toEqual([...seen].sort());
    const [first] = (await tenants.list({ limit: 1 })).items;
    expect(Object.keys(first)).not.toContain('listBucket');
  });

  it('update of an unknown org is NotFoundError', async () => {
    await expect(tenants.update('nobody-here', { orgName: 'X' })).rejects.toThrow(NotFoundError);
  });
});

describe('ApiKeysRepository', () => {
  it('issues a key, stores only hash, prefix and last 4, and counts it live in its environment', async () => {
    const orgId = await registered();
    const issued = await keys.issue({ orgId });
    const stored = await keys.getByHash(issued.record.keyHash);
    expect(stored).toMatchObject({ orgId, status: 'active', prefix: issued.plaintext.slice(0, 8) });
    expect(JSON.stringify(stored)).not.toContain(issued.plaintext);
    expect(stored).toMatchObject({ name: 'Default', environment: 'production' });
    expect(liveKeyCount((await tenants.get(orgId))!, 'production')).toBe(1);
    expect(liveKeyCount((await tenants.get(orgId))!, 'development')).toBe(0);
  });

  it('refuses a second key with ConflictError and an unregistered org with NotFoundError', async () => {
    const orgId = await registered();
    await keys.issue({ orgId });
    await expect(keys.issue({ orgId })).rejects.toThrow(KeyLimitReachedError);
    await expect(keys.issue({ orgId })).rejects.toThrow(/already has 1 active production API key/);
    await expect(keys.issue({ orgId: 'never-registered' })).rejects.toThrow(NotFoundError);
    expect(await keysOf(orgId)).toHaveLength(1);
  });

  it('rotation with 24 h grace keeps the old key valid until the grace ends, in one transaction', async () => {
    const orgId = await registered();
    const first = await keys.issue({ orgId });
    const { newKey, oldKey } = await keys.rotate({ orgId, keyId: first.record.keyId, graceHours: 24 });
    expect(oldKey.status).toBe('grace');
    expect(await keys.getByHash(first.record.keyHash)).toMatchObject({
      status: 'grace',
      graceEndsAt: '2025-03-02T00:00:00.000Z',
    });
    expect(await keys.getActive(orgId)).toMatchObject({ keyHash: newKey.record.keyHash, status: 'active' });
  });

  it('rotation with 0 h grace revokes the old key at once', async () => {
    const orgId = await registered();
    const first = await keys.issue({ orgId });
    await keys.rotate({ orgId, graceHours: 0 });
    expect(await keys.getByHash(first.record.keyHash)).toMatchObject({ status: 'revoked' });
  });

  it('50 concurrent rotations of the same key leave exactly one active key; the others fail with ConflictError', async () => {
    const orgId = await registered();
    const first = await keys.issue({ orgId });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => keys.rotate({ orgId, keyId: first.record.keyId, graceHours: 24 })),
    );
    const succeeded = results.filter((result) => result.status === 'fulfilled');
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(succeeded).toHaveLength(1);
    for (const failure of failed) expect(failure.reason).toBeInstanceOf(ConflictError);

    const all = await keysOf(orgId);
    expect(all.filter((key) => key.status === 'active')).toHaveLength(1);
    expect(all.every((key) => ['active', 'grace', 'revoked'].includes(key.status))).toBe(true);
    expect(all).toHaveLength(2);
  });

  it('20 concurrent rotations of whatever key is live all succeed one after another, leaving one active key', async () => {
    const orgId = await registered();
    await keys.issue({ orgId });
    const racing = new ApiKeysRepository({
      doc: ddb.doc,
      apiKeysTableName: tables.apiKeys,
      tenantsTableName: tables.tenants,
      clock,
      conflictRetries: 100,
    });
    await Promise.all(Array.from({ length: 20 }, () => racing.rotate({ orgId, graceHours: 24 })));
    const all = await keysOf(orgId);
    expect(all).toHaveLength(21);
    expect(all.filter((key) => key.status === 'active')).toHaveLength(1);
    expect(all.filter((key) => key.status === 'grace')).toHaveLength(20);
  });

  it('revoking the live key frees its place so a new key can be issued', async () => {
    const orgId = await registered();
    const first = await keys.issue({ orgId });
    await keys.revoke({ orgId, keyId: first.record.keyId });
    expect(liveKeyCount((await tenants.get(orgId))!, 'production')).toBe(0);
    await expect(keys.revoke({ orgId, keyId: first.record.keyId })).rejects.toThrow(ConflictError);
    await keys.issue({ orgId });
    expect((await keysOf(orgId)).map((key) => key.status).sort()).toEqual(['active', 'revoked']);
  });

  it('another org cannot address a key by id', async () => {
    const orgId = await registered();
    const other = await registered();
    const issued = await keys.issue({ orgId });
    await expect(keys.revoke({ orgId: other, keyId: issued.record.keyId })).rejects.toThrow(NotFoundError);
  });

  it('a lastUsedAt written by usage ingestion is not undone by a rotation', async () => {
    const orgId = await registered();
    const first = await keys.issue({ orgId });
    await usageOf().advanceLastUsed(orgId, first.record.keyId, '2025-02-28T23:59:00.000Z');
    await keys.rotate({ orgId, graceHours: 24 });
    expect(await keys.getByHash(first.record.keyHash)).toMatchObject({
      status: 'grace',
      lastUsedAt: '2025-02-28T23:59:00.000Z',
    });
  });

  it('sweep revokes a grace key at its end and clears nothing else', async () => {
    const orgId = await registered();
    const first = await keys.issue({ orgId });
    const { newKey } = await keys.rotate({ orgId, graceHours: 24 });
    clock.advance(24 * HOUR_MS);
    const due = await keys.dueForSweep(clock.now());
    expect(due.items.map((key) => key.keyHash)).toContain(first.record.keyHash);
    expect(await keys.sweep(first.record.keyHash, clock.now())).toMatchObject({
      kind: 'transitioned',
      transition: { from: 'grace', to: 'revoked', reason: 'grace-ended' },
    });
    // The rotated-in key still counts, and only it: the grace key never did.
    expect(liveKeyCount((await tenants.get(orgId))!, 'production')).toBe(1);
    expect(await keys.getActive(orgId)).toMatchObject({ keyHash: newKey.record.keyHash });
  });

  it('sweep of an expired live key revokes it and frees its place', async () => {
    const orgId = await registered();
    const issued = await keys.issue({ orgId, validityDays: 30 });
    clock.advance(30 * DAY_MS);
    expect(await keys.sweep(issued.record.keyHash, clock.now())).toMatchObject({
      kind: 'transitioned',
      transition: { to: 'revoked', reason: 'expired' },
    });
    expect(liveKeyCount((await tenants.get(orgId))!, 'production')).toBe(0);
  });

  it("the authorizer's lookup (signed GetItem, no SDK) reads exactly the repository's record, projected", async () => {
    const orgId = await registered();
    const issued = await keys.issue({ orgId });
    await keys.rotate({ orgId, graceHours: 24 });
    await usageOf().advanceLastUsed(orgId, issued.record.keyId, clock.now().toISOString());
    const lookup = new ApiKeyLookup(localGetItemClient(ddb.endpoint), tables.apiKeys);
    const stored = await keys.getByHash(issued.record.keyHash);
    expect(stored).toMatchObject({ status: 'grace', graceEndsAt: expect.any(String), lastUsedAt: expect.any(String) });
    const { keyHash, keyId, prefix, status, expiresAt, graceEndsAt, environment } = stored!;
    expect(environment).toBe('production');
    expect(await lookup.getByHash(issued.record.keyHash)).toEqual({
      keyHash,
      keyId,
      orgId,
      prefix,
      status,
      expiresAt,
      graceEndsAt,
      environment,
    });
    expect(await lookup.getByHash('0'.repeat(64))).toBeUndefined();
  });

  it('revokeAllForOrg revokes every key and is safe to repeat', async () => {
    const orgId = await registered();
    await keys.issue({ orgId });
    await keys.rotate({ orgId, graceHours: 48 });
    expect(await keys.revokeAllForOrg(orgId)).toBe(2);
    expect(await keys.revokeAllForOrg(orgId)).toBe(0);
    expect((await keysOf(orgId)).every((key) => key.status === 'revoked')).toBe(true);
  });
});

describe('WebhooksRepository', () => {
  function newHook(orgId: string, webhookId: string) {
    return createWebhook({
      orgId,
      webhookId,
      url: `https://${orgId}.example/hooks`,
      events: ['*'],
      source: 'api',
      clock,
    });
  }

  it('creates, finds by id, lists with total/limit/offset and deletes', async () => {
    const orgId = newOrgId();
    for (const id of ['a', 'b', 'c']) {
      await webhooks.create(newHook(orgId, `${orgId}-${id}`));
      clock.advance(1_000);
    }
    await expect(webhooks.create(newHook(orgId, `${orgId}-a`))).rejects.toThrow(ConflictError);
    expect(await webhooks.findById(`${orgId}-b`)).toMatchObject({ orgId, version: 1, status: 'pending' });
    const page = await webhooks.list(orgId, { limit: 2, offset: 1 });
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 1 });
    expect(page.items.map((hook) => hook.webhookId)).toEqual([`${orgId}-b`, `${orgId}-c`]);
    await webhooks.delete(orgId, `${orgId}-a`);
    await expect(webhooks.delete(orgId, `${orgId}-a`)).rejects.toThrow(NotFoundError);
    expect((await webhooks.list(orgId)).total).toBe(2);
  });

  it('save refuses a record read before someone else wrote it', async () => {
    const orgId = newOrgId();
    const stored = await webhooks.create(newHook(orgId, 'wh'));
    await webhooks.saveTransition(stored, onVerificationSucceeded(stored, clock));
    await expect(webhooks.save({ ...stored, events: ['A'] })).rejects.toThrow(/changed or deleted since it was read/);
    expect(await webhooks.get(orgId, 'wh')).toMatchObject({ status: 'active', version: 2 });
  });

  it('pending webhooks are due for verification through the byDue index; active ones are not', async () => {
    const orgId = newOrgId();
    await webhooks.create(newHook(orgId, 'pending'));
    const verified = await webhooks.create(newHook(orgId, 'verified'));
    await webhooks.saveTransition(verified, onVerificationSucceeded(verified, clock));
    const due = await webhooks.dueForVerification(clock.now(), { limit: 100 });
    const mine = due.items.filter((hook) => hook.orgId === orgId).map((hook) => hook.webhookId);
    expect(mine).toEqual(['pending']);
  });

  it('a secret overlap is due once it ends and never shows up as a webhook', async () => {
    const orgId = newOrgId();
    await webhooks.create(newHook(orgId, 'wh'));
    const overlapEndsAt = new Date(clock.now().getTime() + HOUR_MS).toISOString();
    await webhooks.beginSecretRotation(orgId, 'wh', { newVersionId: 'v2', previousVersionId: 'v1', overlapEndsAt });
    await webhooks.enterSecretOverlap(orgId, 'wh', 'v2');
    expect((await webhooks.list(orgId)).total).toBe(1);
    expect((await webhooks.dueSecretOverlapEnds(clock.now())).items.filter((due) => due.orgId === orgId)).toEqual([]);
    clock.advance(HOUR_MS);
    const due = (await webhooks.dueSecretOverlapEnds(clock.now())).items.filter((item) => item.orgId === orgId);
    expect(due).toEqual([{ orgId, webhookId: 'wh', overlapEndsAt }]);
    await webhooks.endSecretOverlap(due[0]);
    await webhooks.endSecretOverlap(due[0]);
    expect((await webhooks.get(orgId, 'wh'))?.secretRotation).toBeUndefined();
    expect((await webhooks.dueSecretOverlapEnds(clock.now())).items.filter((item) => item.orgId === orgId)).toEqual([]);
  });
});

it('no item in any table holds a plaintext key: the keys table holds hashes, prefix and last 4 only', async () => {
  // Its own keys, so the check does not depend on which tests ran before.
  const orgId = await registered();
  const issued = await keys.issue({ orgId });
  const { newKey } = await keys.rotate({ orgId, graceHours: 24 });
  const plaintexts = [issued.plaintext, newKey.plaintext];
  let scanned = 0;
  for (const tableName of [tables.tenants, tables.apiKeys, tables.webhooks]) {
    const { Items } = await ddb.doc.send(new ScanCommand({ TableName: tableName }));
    for (const item of Items ?? []) {
      scanned += 1;
      const text = JSON.stringify(item);
      for (const plaintext of plaintexts) expect(text).not.toContain(plaintext);
      expect(Object.keys(item)).not.toContain('plaintext');
      if (tableName === tables.apiKeys) expect(item.keyHash).toMatch(/^[0-9a-f]{64}$/);
    }
  }
  expect(scanned).toBeGreaterThanOrEqual(3);
});
