/**
 * One rule for a webhook's `events`, whichever door: a partner file
 * (lib/config's schema with config/event-types.yaml) and the admin API
 * (POST and PUT through the real handler against DynamoDB Local) accept and
 * refuse exactly the same lists, and a refusal names the unknown type and
 * points partners to GET /v1/partner/event-types.
 */
import { readEventCatalog } from '../../lib/config/load-config';
import { partnerSchema } from '../../lib/config/partner-schema';
import { EVENT_TYPES_PATH } from '../../lambda/core/contracts';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { type ApiWorld, createApiWorld } from '../api/api-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

const ROOT = `${__dirname}/../..`;
const configCatalog = readEventCatalog(ROOT);
const eventTypes = configCatalog.types.map((type) => type.name);

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let world: ApiWorld;
let webhookId = '';

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'evlist');
  world = await createApiWorld(ddb, tables);
  await world.callAdmin('POST', '/tenants/alpha/register', {
    body: { orgName: 'Alpha', ownerEmail: 'o@alpha.example' },
  });
  const created = await world.callAdmin('POST', '/tenants/alpha/webhooks', {
    body: { url: 'https://alpha.example/hook', events: ['*'] },
  });
  webhookId = created.body.aggregateId;
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

function configAccepts(events: string[]): boolean {
  const schema = partnerSchema({ eventTypes, allowHttp: false });
  const file = {
    orgId: 'alpha',
    orgName: 'Alpha',
    ownerEmail: 'o@alpha.example',
    webhooks: [{ id: 'primary', url: 'https://alpha.example/hook', events }],
  };
  return schema.safeParse(file).success;
}

const cases: [label: string, events: string[], accepted: boolean][] = [
  ['"*" alone', ['*'], true],
  ['one catalog type', ['LockCreated'], true],
  ['the type with a space, from its own source', ['Shadow Update'], true],
  ['every catalog type', [...PLATFORM_EVENT_CATALOG.types.map((type) => type.name)], true],
  ['an empty list', [], false],
  ['a made-up name', ['order.created'], false],
  ['a catalog name and an unknown one', ['LockCreated', 'LockExploded'], false],
  ['a wrong case', ['lockcreated'], false],
  ['surrounding spaces', [' LockCreated'], false],
  ['a wildcard pattern', ['Lock*'], false],
  ['"*" mixed with a name', ['*', 'KeyAdded'], false],
  ['"*" twice', ['*', '*'], false],
  ['a duplicate', ['KeyAdded', 'KeyAdded'], false],
];

describe('webhook event lists: partner files and the admin API agree', () => {
  it('the config catalog and the bundled one the handlers use are the same', () => {
    expect(eventTypes).toEqual(PLATFORM_EVENT_CATALOG.types.map((type) => type.name));
  });

  it.each(cases)('%s: config and API both %s', async (_label, events, accepted) => {
    expect(configAccepts(events)).toBe(accepted);
    const created = await world.callAdmin('POST', '/tenants/alpha/webhooks', {
      body: { url: 'https://alpha.example/other', events },
    });
    expect(created.status).toBe(accepted ? 201 : 400);
    const changed = await world.callAdmin('PUT', `/tenants/alpha/webhooks/${webhookId}`, { body: { events } });
    expect(changed.status).toBe(accepted ? 200 : 400);
    if (!accepted) expect(changed.body.error.code).toBe('validation_error');
  });

  it('names the unknown type and points to the public catalog route', async () => {
    const refused = await world.callAdmin('POST', '/tenants/alpha/webhooks', {
      body: { url: 'https://alpha.example/other', events: ['LockCreated', 'LockExploded'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('unknown event type "LockExploded"');
    expect(refused.body.error.message).toContain(`GET ${EVENT_TYPES_PATH}`);
  });

  it('a refused change leaves the webhook as it was', async () => {
    const before = await world.webhooks.require('alpha', webhookId);
    await world.callAdmin('PUT', `/tenants/alpha/webhooks/${webhookId}`, { body: { events: ['Nope'] } });
    expect((await world.webhooks.require('alpha', webhookId)).events).toEqual(before.events);
  });
});
