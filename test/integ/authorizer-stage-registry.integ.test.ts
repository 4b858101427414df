/**
 * The registry of stages that attach PartnerKeyAuthorizer, in the tenants
 * table of DynamoDB Local (created from the synthesized template): the item
 * the construct's custom resource writes is what the flush reads back with
 * one Query, a removed stage is gone, and the admin tenant listing never
 * sees a registration.
 */
import { FakeClock } from '../../lambda/core/clock';
import { isValidOrgId } from '../../lambda/core/contracts';
import { authorizerStageItem } from '../../lambda/core/data-model';
import { AuthorizerStageRegistry } from '../../lambda/repositories/authorizer-stage-registry';
import { TenantsRepository } from '../../lambda/repositories/tenants-repository';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let registry: AuthorizerStageRegistry;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'stageregistry');
  registry = new AuthorizerStageRegistry(ddb.doc, tables.tenants);
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

describe('AuthorizerStageRegistry', () => {
  it('lists every registered stage once, and forgets an unregistered one', async () => {
    await registry.register({ restApiId: 'data1api', stageName: 'v1' });
    await registry.register({ restApiId: 'data2api', stageName: 'prod' });
    // A redeploy registers the same stage again: still one entry.
    await registry.register({ restApiId: 'data1api', stageName: 'v1' });
    expect(await registry.list()).toEqual(
      expect.arrayContaining([
        { restApiId: 'data1api', stageName: 'v1' },
        { restApiId: 'data2api', stageName: 'prod' },
      ]),
    );
    expect(await registry.list()).toHaveLength(2);

    await registry.unregister({ restApiId: 'data2api', stageName: 'prod' });
    expect(await registry.list()).toEqual([{ restApiId: 'data1api', stageName: 'v1' }]);
  });

  it('keeps registrations out of the tenant listing, and its key can never be an orgId', async () => {
    const tenants = new TenantsRepository({
      doc: ddb.doc,
      tableName: tables.tenants,
      clock: new FakeClock('2026-01-01T00:00:00.000Z'),
    });
    await tenants.create({ orgId: 'acme', orgName: 'Acme', ownerEmail: 'owner@acme.example' });
    expect((await tenants.list()).items.map((tenant) => tenant.orgId)).toEqual(['acme']);
    // Every door refuses an orgId with `#`, so no tenant call can reach a registration.
    expect(isValidOrgId(authorizerStageItem({ restApiId: 'data1api', stageName: 'v1' }).orgId)).toBe(false);
  });
});
