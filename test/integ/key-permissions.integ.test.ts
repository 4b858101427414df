/**
 * Dying keys do ordinary work only (issue 13, the two High findings): a key
 * that is in grace, revoked, rotated away at 0 h or past its expiry may not
 * issue, rotate or revoke keys or change webhook URLs, even when the
 * authorizer's cached answer still calls it `active`. Each case builds its
 * own org through the real handlers against DynamoDB Local, then makes the
 * refused call: 403 `key_not_permitted`, and no table or secret changes.
 */
import { FakeClock, HOUR_MS } from '../../lambda/core/clock';
import { type ApiResponse, type ApiWorld, createApiWorld } from '../api/api-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let world: ApiWorld;
let orgCounter = 0;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'keyperm');
  world = await createApiWorld(ddb, tables);
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

interface PartnerKey {
  readonly apiKey: string;
  readonly id: string;
  /** The authorizer's answer when the key was new: what API Gateway may still have cached. */
  readonly context: Record<string, unknown>;
}

interface Org {
  readonly orgId: string;
  readonly webhookId: string;
  readonly first: PartnerKey;
}

async function keyFrom(response: ApiResponse): Promise<PartnerKey> {
  const apiKey = response.body.apiKey ?? response.body.newKey?.apiKey;
  const id = response.body.id ?? response.body.newKey?.id;
  return { apiKey, id, context: await world.authorizerContext(apiKey) };
}

async function newOrg(expiresAt?: string): Promise<Org> {
  const orgId = `perm-${++orgCounter}`;
  const registered = await world.callAdmin('POST', `/tenants/${orgId}/register`, {
    body: { orgName: orgId, ownerEmail: `owner@${orgId}.example` },
  });
  expect(registered.status).toBe(201);
  const issued = await world.callAdmin('POST', '/api-keys', {
    body: { orgId, orgName: orgId, ...(expiresAt === undefined ? {} : { expiresAt }) },
  });
  expect(issued.status).toBe(201);
  const hook = await world.callAdmin('POST', `/tenants/${orgId}/webhooks`, {
    body: { url: `https://${orgId}.example/hook`, events: ['*'] },
  });
  expect(hook.status).toBe(201);
  return { orgId, webhookId: hook.body.aggregateId, first: await keyFrom(issued) };
}

async function rotate(by: PartnerKey, graceHours: number): Promise<PartnerKey> {
  const rotated = await world.callPartner('POST', `/v1/partner/credentials/${by.id}/rotate`, by.apiKey, {
    body: { graceHours },
  });
  expect(rotated.status).toBe(201);
  return keyFrom(rotated);
}

async function revoke(by: PartnerKey, target: PartnerKey): Promise<void> {
  const revoked = await world.callPartner('POST', `/v1/partner/credentials/${target.id}/revoke`, by.apiKey);
  expect(revoked.status).toBe(200);
}

type Call = () => Promise<ApiResponse>;
const as = (key: PartnerKey, method: string, path: string, body?: unknown): Call => {
  return () => world.callPartnerCached(method, path, key, { body });
};
const issueAs = (key: PartnerKey) => as(key, 'POST', '/v1/partner/credentials');
const rotateAs = (key: PartnerKey, target: PartnerKey, graceHours = 0) =>
  as(key, 'POST', `/v1/partner/credentials/${target.id}/rotate`, { graceHours });
const revokeAs = (key: PartnerKey, target: PartnerKey) =>
  as(key, 'POST', `/v1/partner/credentials/${target.id}/revoke`);
const patchUrlAs = (key: PartnerKey, org: Org) =>
  as(key, 'PATCH', `/webhooks/${org.webhookId}`, { url: `https://${org.orgId}.attacker.example/hook` });

interface RefusedCase {
  readonly name: string;
  /** Builds the org and returns the call that must be refused. */
  readonly arrange: () => Promise<Call>;
}

const cases: RefusedCase[] = [
  {
    name: 'a revoked key still in the authorizer cache issues a new key (finding: revoke 200, then 201)',
    arrange: async () => {
      const org = await newOrg();
      await revoke(org.first, org.first);
      return issueAs(org.first);
    },
  },
  {
    name: 'a key in its 24 h grace rotates the new key away with graceHours 0 (finding: takeover)',
    arrange: async () => {
      const org = await newOrg();
      const next = await rotate(org.first, 24);
      return rotateAs(org.first, next, 0);
    },
  },
  {
    name: 'a key in grace revokes the new active key',
    arrange: async () => {
      const org = await newOrg();
      const next = await rotate(org.first, 24);
      return revokeAs(org.first, next);
    },
  },
  {
    name: 'a key in grace issues a key once the active key is revoked',
    arrange: async () => {
      const org = await newOrg();
      const next = await rotate(org.first, 48);
      await revoke(next, next);
      return issueAs(org.first);
    },
  },
  {
    name: 'a key in grace changes a webhook URL',
    arrange: async () => {
      const org = await newOrg();
      await rotate(org.first, 72);
      return patchUrlAs(org.first, org);
    },
  },
  {
    name: 'a key in grace whose expiry is near (expiring, then rotated) rotates the new key',
    arrange: async () => {
      const org = await newOrg(new Date(world.clock.now().getTime() + 100 * HOUR_MS).toISOString());
      const next = await rotate(org.first, 72);
      return rotateAs(org.first, next, 24);
    },
  },
  {
    name: 'a key rotated away at 0 h, still cached, rotates the new key',
    arrange: async () => {
      const org = await newOrg();
      const next = await rotate(org.first, 0);
      return rotateAs(org.first, next, 0);
    },
  },
  {
    name: 'a revoked key, still cached, revokes the active key',
    arrange: async () => {
      const org = await newOrg();
      const next = await rotate(org.first, 0);
      return revokeAs(org.first, next);
    },
  },
  {
    name: 'a revoked key, still cached, changes a webhook URL',
    arrange: async () => {
      const org = await newOrg();
      await revoke(org.first, org.first);
      return patchUrlAs(org.first, org);
    },
  },
  {
    name: 'an expired key the sweep has not reached, still cached, rotates itself',
    arrange: async () => {
      const org = await newOrg(new Date(world.clock.now().getTime() + HOUR_MS).toISOString());
      world.clock.advance(2 * HOUR_MS);
      return rotateAs(org.first, org.first, 24);
    },
  },
  {
    name: 'an expired key the sweep has not reached, still cached, revokes itself',
    arrange: async () => {
      const org = await newOrg(new Date(world.clock.now().getTime() + HOUR_MS).toISOString());
      world.clock.advance(2 * HOUR_MS);
      return revokeAs(org.first, org.first);
    },
  },
];

describe('credential changes by keys that are not active', () => {
  it.each(cases)('$name -> 403 key_not_permitted, and no data changes', async ({ arrange }) => {
    const call = await arrange();
    const before = await world.snapshot();
    const response = await call();
    expect({ status: response.status, body: response.body }).toEqual({
      status: 403,
      body: { error: { code: 'key_not_permitted', message: expect.stringMatching(/only the org's active key/) } },
    });
    expect(await world.snapshot()).toEqual(before);
  });

  it('the active key may still rotate, revoke and change webhook URLs', async () => {
    const org = await newOrg();
    expect((await patchUrlAs(org.first, org)()).status).toBe(200);
    const rotated = await rotateAs(org.first, org.first, 24)();
    expect(rotated.status).toBe(201);
    const next = await keyFrom(rotated);
    expect((await revokeAs(next, org.first)()).status).toBe(200);
    expect((await revokeAs(next, next)()).status).toBe(200);
  });
});

describe('the probe and /v1/partner/me report the live key, not the cached answer', () => {
  it('a key rotated into grace reads as grace, with its own expiry, while the cache still says active', async () => {
    const org = await newOrg();
    expect(org.first.context.status).toBe('active');
    await rotate(org.first, 24);
    const probe = await as(org.first, 'GET', '/partner-auth-probe')();
    const me = await as(org.first, 'GET', '/v1/partner/me')();
    expect(probe).toMatchObject({ status: 200, body: { orgId: org.orgId, status: 'grace' } });
    expect(me).toMatchObject({ status: 200, body: { orgId: org.orgId, key: { id: org.first.id, status: 'grace' } } });
  });

  it.each([
    ['revoked', async (org: Org) => revoke(org.first, org.first)],
    ['rotated away at 0 h', async (org: Org) => void (await rotate(org.first, 0))],
    [
      'past its grace end',
      async (org: Org) => {
        await rotate(org.first, 24);
        (world.clock as FakeClock).advance(25 * HOUR_MS);
      },
    ],
  ])('a key %s, still cached, gets 401 from both', async (_label, kill) => {
    const org = await newOrg();
    await kill(org);
    for (const path of ['/partner-auth-probe', '/v1/partner/me']) {
      expect(await as(org.first, 'GET', path)()).toEqual({
        status: 401,
        body: { error: { code: 'unauthorized', message: 'Unauthorized' } },
      });
    }
  });
});
