import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createTablesFromTemplate, TemplateTableError } from '../../local/tables-from-template';

/** A small hand-written template in the shape `cdk synth` emits. */
function template(): { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } {
  return {
    Resources: {
      ApiKeys: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          TableName: 'prod-api-keys',
          KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
          AttributeDefinitions: [
            { AttributeName: 'keyHash', AttributeType: 'S' },
            { AttributeName: 'orgId', AttributeType: 'S' },
            { AttributeName: 'createdAt', AttributeType: 'S' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
          GlobalSecondaryIndexes: [
            {
              IndexName: 'byOrg',
              KeySchema: [
                { AttributeName: 'orgId', KeyType: 'HASH' },
                { AttributeName: 'createdAt', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status'] },
              ContributorInsightsSpecification: { Enabled: true },
              OnDemandThroughput: { MaxReadRequestUnits: 10 },
            },
          ],
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
          Tags: [{ Key: 'component', Value: 'keys' }],
        },
      },
      Webhooks: {
        Type: 'AWS::DynamoDB::GlobalTable',
        Properties: {
          KeySchema: [
            { AttributeName: 'orgId', KeyType: 'HASH' },
            { AttributeName: 'webhookId', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'orgId', AttributeType: 'S' },
            { AttributeName: 'webhookId', AttributeType: 'S' },
            { AttributeName: 'updatedAt', AttributeType: 'S' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
          LocalSecondaryIndexes: [
            {
              IndexName: 'byUpdatedAt',
              KeySchema: [
                { AttributeName: 'orgId', KeyType: 'HASH' },
                { AttributeName: 'updatedAt', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          ],
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
          StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          Replicas: [
            {
              Region: 'us-east-1',
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
              DeletionProtectionEnabled: true,
              Tags: [{ Key: 'component', Value: 'webhooks' }],
            },
          ],
        },
      },
      Tenants: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [{ AttributeName: 'orgId', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'orgId', AttributeType: 'S' }],
          TimeToLiveSpecification: { AttributeName: 'unused', Enabled: false },
        },
      },
      PlatformBus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'platform' } },
    },
  };
}

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const prefixed = (logicalId: string): string => `t-${logicalId}`;

beforeEach(() => {
  ddb.reset();
  ddb.on(CreateTableCommand).resolves({});
  ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
  ddb.on(UpdateTimeToLiveCommand).resolves({});
});

function createTableInput(tableName: string): unknown {
  return ddb.commandCalls(CreateTableCommand).find((call) => call.args[0].input.TableName === tableName)?.args[0].input;
}

describe('createTablesFromTemplate', () => {
  it('creates every table resource, ignores other resources, and returns logical id -> table name', async () => {
    const names = await createTablesFromTemplate(client, template(), { nameFor: prefixed });

    expect(names).toEqual({ ApiKeys: 't-ApiKeys', Webhooks: 't-Webhooks', Tenants: 't-Tenants' });
    expect(ddb.commandCalls(CreateTableCommand)).toHaveLength(3);
  });

  it('passes nameFor the template properties, so a name can derive from TableName', async () => {
    const names = await createTablesFromTemplate(client, template(), {
      nameFor: (logicalId, properties) =>
        typeof properties.TableName === 'string' ? `x-${properties.TableName}` : `x-${logicalId}`,
    });

    expect(names.ApiKeys).toBe('x-prod-api-keys');
    expect(names.Tenants).toBe('x-Tenants');
  });

  it('keeps keys, GSI projection and stream, and drops SSE, PITR, deletion protection, tags and index throughput', async () => {
    await createTablesFromTemplate(client, template(), { nameFor: prefixed });

    expect(createTableInput('t-ApiKeys')).toEqual({
      TableName: 't-ApiKeys',
      KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'keyHash', AttributeType: 'S' },
        { AttributeName: 'orgId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byOrg',
          KeySchema: [
            { AttributeName: 'orgId', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status'] },
        },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('creates a global table as one local table with its LSI and stream, without replicas or SSE', async () => {
    await createTablesFromTemplate(client, template(), { nameFor: prefixed });

    expect(createTableInput('t-Webhooks')).toEqual({
      TableName: 't-Webhooks',
      KeySchema: [
        { AttributeName: 'orgId', KeyType: 'HASH' },
        { AttributeName: 'webhookId', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'orgId', AttributeType: 'S' },
        { AttributeName: 'webhookId', AttributeType: 'S' },
        { AttributeName: 'updatedAt', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      LocalSecondaryIndexes: [
        {
          IndexName: 'byUpdatedAt',
          KeySchema: [
            { AttributeName: 'orgId', KeyType: 'HASH' },
            { AttributeName: 'updatedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('creates a table without BillingMode in the template as on demand', async () => {
    await createTablesFromTemplate(client, template(), { nameFor: prefixed });

    expect(createTableInput('t-Tenants')).toEqual({
      TableName: 't-Tenants',
      KeySchema: [{ AttributeName: 'orgId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'orgId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('enables TTL once the table is ACTIVE, and only where the template enables it', async () => {
    ddb
      .on(DescribeTableCommand, { TableName: 't-Webhooks' })
      .resolvesOnce({ Table: { TableStatus: 'CREATING' } })
      .resolves({ Table: { TableStatus: 'ACTIVE' } });

    await createTablesFromTemplate(client, template(), { nameFor: prefixed });

    const ttlCalls = ddb.commandCalls(UpdateTimeToLiveCommand);
    expect(ttlCalls.map((call) => call.args[0].input)).toEqual([
      { TableName: 't-Webhooks', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } },
    ]);
    const webhookDescribes = ddb.commandCalls(DescribeTableCommand, { TableName: 't-Webhooks' });
    expect(webhookDescribes).toHaveLength(2);
    expect(ttlCalls[0].calledAfter(webhookDescribes[1])).toBe(true);
  });

  it('waits until every global secondary index is ACTIVE, not just the table', async () => {
    const withIndex = (IndexStatus: 'CREATING' | 'ACTIVE') => ({
      Table: { TableStatus: 'ACTIVE' as const, GlobalSecondaryIndexes: [{ IndexName: 'byOrg', IndexStatus }] },
    });
    ddb
      .on(DescribeTableCommand, { TableName: 't-ApiKeys' })
      .resolvesOnce(withIndex('CREATING'))
      .resolves(withIndex('ACTIVE'));

    await createTablesFromTemplate(client, template(), { nameFor: prefixed });

    expect(ddb.commandCalls(DescribeTableCommand, { TableName: 't-ApiKeys' })).toHaveLength(2);
  });

  it('fails with the table name when a table never becomes ACTIVE', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'CREATING' } });

    await expect(
      createTablesFromTemplate(client, template(), { nameFor: prefixed, activeTimeoutMs: 120 }),
    ).rejects.toThrow(/Table t-\w+ is still CREATING after 120 ms/);
  });

  it('rejects two tables mapped to the same name before creating anything', async () => {
    await expect(createTablesFromTemplate(client, template(), { nameFor: () => 'same' })).rejects.toThrow(
      'Tables ApiKeys and Webhooks would both be created as "same"; nameFor must give distinct names',
    );
    expect(ddb.commandCalls(CreateTableCommand)).toHaveLength(0);
  });

  it('fails on a table that already exists, unless reuseExisting is set', async () => {
    ddb.on(CreateTableCommand).rejects(new ResourceInUseException({ message: 'Table already exists', $metadata: {} }));
    ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED' } });

    await expect(createTablesFromTemplate(client, template(), { nameFor: prefixed })).rejects.toThrow(
      /Creating table t-\w+ for \w+ failed: Table already exists/,
    );

    ddb.resetHistory();
    await expect(
      createTablesFromTemplate(client, template(), { nameFor: prefixed, reuseExisting: true }),
    ).resolves.toEqual({ ApiKeys: 't-ApiKeys', Webhooks: 't-Webhooks', Tenants: 't-Tenants' });
    expect(ddb.commandCalls(UpdateTimeToLiveCommand)).toHaveLength(0);
  });

  type Mutation = (properties: Record<string, unknown>) => void;
  it.each<[string, Mutation, string]>([
    [
      'an unresolved Ref as a key attribute',
      (properties) => {
        properties.KeySchema = [{ AttributeName: { Ref: 'KeyName' }, KeyType: 'HASH' }];
      },
      'Table ApiKeys: KeySchema[0].AttributeName is {"Ref":"KeyName"}, expected a literal string',
    ],
    [
      'a missing KeySchema',
      (properties) => {
        delete properties.KeySchema;
      },
      'Table ApiKeys: KeySchema is undefined, expected a list',
    ],
    [
      'a GSI without a projection',
      (properties) => {
        properties.GlobalSecondaryIndexes = [{ IndexName: 'byOrg', KeySchema: [] }];
      },
      'Table ApiKeys: GlobalSecondaryIndexes[0].Projection is undefined, expected an object',
    ],
  ])('rejects %s, naming the table and property', async (_case, mutate, message) => {
    const broken = template();
    mutate(broken.Resources.ApiKeys.Properties);

    const attempt = createTablesFromTemplate(client, broken, { nameFor: prefixed });

    await expect(attempt).rejects.toThrow(TemplateTableError);
    await expect(attempt).rejects.toThrow(message);
    expect(ddb.commandCalls(CreateTableCommand)).toHaveLength(0);
  });
});
