import { createApiWorld } from '../api/api-harness';
import { apiFlowSuite, type FlowWorld } from '../api/api-flow';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let world: FlowWorld;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'apiflow');
  world = {
    ...(await createApiWorld(ddb, tables)),
    webhookSecretPrefix: 'pp/test/webhooks/',
    adminEmail: 'ops@example.com',
  };
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

apiFlowSuite('the admin and partner flow, in process', () => world);
