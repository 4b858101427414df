/**
 * Named keys per environment and the key policy through the real admin and
 * partner API handlers (in process) against DynamoDB Local: create with a
 * name, environment and expiry; 409 `key_limit_reached` naming the
 * environment and limit; lists that never show a hash or plaintext; the
 * probe answering each key's environment; bad input refused with 400 and
 * nothing changed; racing creates held to the limit.
 */
import { DAY_MS } from '../../lambda/core/clock';
import { ActivityRepository } from '../../lambda/repositories/activity-repository';
import { type ApiWorld, TEST_SOURCE_IP, createApiWorld } from '../api/api-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import {
  createPlatformTables,
  deletePlatformTables,
  type TestTableNames,
  usageRepositoryOver,
} from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: TestTableNames;
/** The environment's default policy: one live key per environment. */
let single: ApiWorld;
/** An environment whose config raises the limit to 2. */
let double: ApiWorld;
let orgCounter = 0;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'keyapi');
  single = await createApiWorld(ddb, tables);
  double = await createApiWorld(ddb, tables, { maxActivePerEnvironment: 2 });
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

async function registered(world: ApiWorld): Promise<string> {
  const orgId = `keyapi-${++orgCounter}`;
  const response = await world.callAdmin('POST', `/tenants/${orgId}/register`, {
    body: { orgName: orgId, ownerEmail: `owner@${orgId}.example` },
  });
  expect(response.status).toBe(201);
  return orgId;
}

describe('admin POST /api-keys', () => {
  it('keeps the documented 409 at the default limit, as key_limit_reached naming production and 1', async () => {
    const orgId = await registered(single);
    const first = await single.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: 'Default', environment: 'production', createdBy: 'ops@example.com' });
    const before = await single.snapshot();
    const second = await single.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('key_limit_reached');
    expect(second.body.error.message).toMatch(/1 active production API key \(the limit for production\)/);
    expect(await single.snapshot()).toEqual(before);
  });

  it('creates a development key named CI expiring in 30 days beside the production key', async () => {
    const orgId = await registered(single);
    await single.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } });
    const ci = await single.callAdmin('POST', '/api-keys', {
      body: { orgId, orgName: orgId, name: 'CI', environment: 'development', expiry: 30 },
    });
    expect(ci.status).toBe(201);
    expect(ci.body).toMatchObject({ name: 'CI', environment: 'development' });
    expect(Date.parse(ci.body.expiresAt) - single.clock.now().getTime()).toBe(30 * DAY_MS);
    const never = await single.callAdmin('POST', '/api-keys', {
      body: { orgId, orgName: orgId, environment: 'development' },
    });
    expect(never.status).toBe(409);
    expect(never.body.error.message).toMatch(/development/);
  });

  it.each([
    ['a name over 64 characters', { name: 'x'.repeat(65) }],
    ['a blank name', { name: '   ' }],
    ['a name with a control character', { name: 'CI\u0007' }],
    ['an unknown environment', { environment: 'staging' }],
    ['an expiry that is not a choice', { expiry: 45 }],
    ['both expiresAt and expiry', { expiry: 30, expiresAt: '2026-06-01T00:00:00Z' }],
  ])('refuses %s with 400 and changes nothing', async (_, extra) => {
    const orgId = await registered(single);
    const before = await single.snapshot();
    const response = await single.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId, ...extra } });
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
    expect(await single.snapshot()).toEqual(before);
  });

  it('lists the keys with name, environment, dates, status and createdBy, never a hash or plaintext', async () => {
    const orgId = await registered(single);
    const issued = await single.callAdmin('POST', '/api-keys', {
      body: { orgId, orgName: orgId, name: 'Production App', expiry: 'never' },
    });
    const listing = async () => {
      const listed = await single.callAdmin('GET', `/tenants/${orgId}/api-keys`);
      expect(listed.status).toBe(200);
      return listed;
    };
    const expected = {
      id: issued.body.id,
      name: 'Production App',
      environment: 'production',
      status: 'active',
      createdAt: issued.body.createdAt,
      expiresAt: null,
      createdBy: 'ops@example.com',
    };
    expect((await listing()).body.apiKeys).toEqual([expect.objectContaining({ ...expected, lastUsedAt: null })]);
    // Last use comes from the access logs: usage ingestion advances it, as here.
    const usedAt = single.clock.now().toISOString();
    const usage = usageRepositoryOver(ddb.doc, tables, single.keys, single.clock);
    expect(await usage.advanceLastUsed(orgId, issued.body.id, usedAt)).toBe(true);
    const listed = await listing();
    expect(listed.body.apiKeys).toEqual([expect.objectContaining({ ...expected, lastUsedAt: usedAt })]);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(issued.body.apiKey);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect((await single.callAdmin('GET', '/tenants/nobody-here/api-keys')).status).toBe(404);
  });
});

describe('partner POST /v1/partner/credentials and the probe', () => {
  it('an active key creates a development key; the probe answers each key its environment', async () => {
    const orgId = await registered(single);
    const production = await single.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } });
    const development = await single.callPartner('POST', '/v1/partner/credentials', production.body.apiKey, {
      body: { name: 'CI', environment: 'development', expiry: 90 },
    });
    expect(development.status).toBe(201);
    expect(development.body).toMatchObject({ name: 'CI', environment: 'development' });
    for (const [key, environment] of [
      [production.body.apiKey, 'production'],
      [development.body.apiKey, 'development'],
    ]) {
      const probe = await single.callPartner('GET', '/partner-auth-probe', key);
      expect(probe.status).toBe(200);
      expect(probe.body).toMatchObject({ orgId, environment });
      expect((await single.callPartner('GET', '/v1/partner/me', key)).body.key).toMatchObject({ environment });
    }
    const listed = await single.callPartner('GET', '/v1/partner/credentials', production.body.apiKey);
    expect(listed.body.credentials.map((key: { name: string }) => key.name).sort()).toEqual(['CI', 'Default']);
  });

  it('at the raised limit of 2: a third development key is 409 naming development and 2', async () => {
    const orgId = await registered(double);
    const seed = await double.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } });
    const create = () =>
      double.callPartner('POST', '/v1/partner/credentials', seed.body.apiKey, { body: { environment: 'development' } });
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    const third = await create();
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('key_limit_reached');
    expect(third.body.error.message).toMatch(/2 active development API keys \(the limit for development\)/);
  });

  it('racing creates through the API never exceed the limit', async () => {
    const orgId = await registered(double);
    const seed = await double.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } });
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        double.callPartner('POST', '/v1/partner/credentials', seed.body.apiKey, { body: { name: `racer ${index}` } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    const listed = await double.callAdmin('GET', `/tenants/${orgId}/api-keys`);
    expect(listed.body.apiKeys.filter((key: { status: string }) => key.status === 'active')).toHaveLength(2);
  });
});

describe('key and webhook actions in the activity log', () => {
  const activityOf = (orgId: string) => new ActivityRepository(ddb.doc, tables.tenants).list(orgId);

  it('every key and webhook change by the admin and partner APIs is recorded with actor, source IP and user agent, never key material', async () => {
    const orgId = await registered(single);
    const agent = { 'User-Agent': 'ci-script/1.0' };
    const adminHeaders = { ...(await single.adminHeaders()), ...agent };
    const admin = await single.callAdmin('POST', '/api-keys', {
      headers: adminHeaders,
      body: { orgId, orgName: orgId, name: 'Ops' },
    });
    const hook = await single.callAdmin('POST', `/tenants/${orgId}/webhooks`, {
      headers: adminHeaders,
      body: { url: `https://${orgId}.example/hook`, events: ['*'] },
    });
    const webhookId = hook.body.aggregateId;
    await single.callAdmin('PUT', `/tenants/${orgId}/webhooks/${webhookId}`, {
      headers: adminHeaders,
      body: { events: ['LockCreated'] },
    });
    const partnerKey = admin.body.apiKey;
    const dev = await single.callPartner('POST', '/v1/partner/credentials', partnerKey, {
      headers: agent,
      body: { name: 'CI', environment: 'development' },
    });
    const rotated = await single.callPartner('POST', `/v1/partner/credentials/${dev.body.id}/rotate`, partnerKey, {
      headers: agent,
      body: { graceHours: 0 },
    });
    await single.callPartner('POST', `/v1/partner/credentials/${rotated.body.newKey.id}/revoke`, partnerKey, {
      headers: agent,
    });
    await single.callPartner('PATCH', `/webhooks/${webhookId}`, partnerKey, {
      headers: agent,
      body: { url: `https://${orgId}.example/hook2` },
    });
    await single.callAdmin('DELETE', `/tenants/${orgId}/webhooks/${webhookId}`, { headers: adminHeaders });

    const entries = await activityOf(orgId);
    const byAdmin = `admin:ops@example.com`;
    const byPartner = `partner:${admin.body.id}`;
    // One instant on the test clock, so compared as a set: one entry per action, each with its actor.
    const recorded = entries.map((entry) => `${entry.action} ${entry.actor}`).sort();
    const expected = [
      ['key.created', byAdmin],
      ['webhook.created', byAdmin],
      ['webhook.updated', byAdmin],
      ['key.created', byPartner],
      ['key.rotated', byPartner],
      ['key.revoked', byPartner],
      ['webhook.updated', byPartner],
      ['webhook.deleted', byAdmin],
    ].map(([action, actor]) => `${action} ${actor}`);
    expect(recorded).toEqual(expected.sort());
    for (const entry of entries) {
      expect(entry).toMatchObject({ sourceIp: TEST_SOURCE_IP, userAgent: 'ci-script/1.0' });
    }
    expect(entries.find((entry) => entry.action === 'key.rotated')?.subject).toBe(`CI (development, ${dev.body.id})`);
    const text = JSON.stringify(entries);
    for (const plaintext of [partnerKey, dev.body.apiKey, rotated.body.newKey.apiKey]) {
      expect(text).not.toContain(plaintext);
      expect(text).not.toContain(plaintext.slice(0, 8));
    }
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    // The admin API reads the same log.
    const listed = await single.callAdmin('GET', `/tenants/${orgId}/activity`);
    expect(listed.body.activity).toHaveLength(entries.length);
  });

  it('a refused change records nothing', async () => {
    const orgId = await registered(single);
    await single.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } });
    const before = await activityOf(orgId);
    expect((await single.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } })).status).toBe(409);
    expect(await activityOf(orgId)).toEqual(before);
  });
});
