/**
 * Proves the DynamoDB Local harness: tables come from a template object, and
 * the behaviours the repositories rely on (conditional writes, all-or-nothing
 * transactions, GSI queries, TTL) work against it.
 */
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createTablesFromTemplate, deleteTables } from '../../local/tables-from-template';
import { uniqueTablePrefix } from '../support/unique-table-prefix';

const template = {
  Resources: {
    Keys: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
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
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'expiresAtEpoch', Enabled: true },
      },
    },
    Tenants: {
      Type: 'AWS::DynamoDB::GlobalTable',
      Properties: {
        KeySchema: [{ AttributeName: 'orgId', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'orgId', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        Replicas: [{ Region: 'us-east-1', DeletionProtectionEnabled: true }],
      },
    },
  },
};

let ddb: IntegDynamoDb;
let tables: Record<string, string>;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  const prefix = uniqueTablePrefix('harness');
  tables = await createTablesFromTemplate(ddb.client, template, { nameFor: (logicalId) => `${prefix}${logicalId}` });
});

afterAll(async () => {
  if (ddb === undefined) return;
  if (tables !== undefined) await deleteTables(ddb.client, Object.values(tables));
  await ddb.close();
});

describe('DynamoDB Local harness', () => {
  it('creates the template tables with their keys, GSI, stream and TTL', async () => {
    const { Table: keys } = await ddb.client.send(new DescribeTableCommand({ TableName: tables.Keys }));
    expect(keys?.TableStatus).toBe('ACTIVE');
    expect(keys?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(keys?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.Projection?.ProjectionType])).toEqual([
      ['byOrg', 'ALL'],
    ]);
    const ttl = await ddb.client.send(new DescribeTimeToLiveCommand({ TableName: tables.Keys }));
    expect(ttl.TimeToLiveDescription).toEqual({ AttributeName: 'expiresAtEpoch', TimeToLiveStatus: 'ENABLED' });

    const { Table: tenants } = await ddb.client.send(new DescribeTableCommand({ TableName: tables.Tenants }));
    expect(tenants?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('reads back a put item, and finds it through the GSI', async () => {
    const key = { keyHash: 'hash-read-back', orgId: 'acme-corp', createdAt: '2025-01-01T00:00:00Z', status: 'active' };
    await ddb.doc.send(new PutCommand({ TableName: tables.Keys, Item: key }));

    const { Item } = await ddb.doc.send(
      new GetCommand({ TableName: tables.Keys, Key: { keyHash: 'hash-read-back' }, ConsistentRead: true }),
    );
    expect(Item).toEqual(key);

    const { Items } = await ddb.doc.send(
      new QueryCommand({
        TableName: tables.Keys,
        IndexName: 'byOrg',
        KeyConditionExpression: 'orgId = :orgId',
        ExpressionAttributeValues: { ':orgId': 'acme-corp' },
      }),
    );
    expect(Items).toEqual([key]);
  });

  it('fails a conditional put on an existing key with ConditionalCheckFailedException, keeping the first item', async () => {
    const put = (status: string): PutCommand =>
      new PutCommand({
        TableName: tables.Tenants,
        Item: { orgId: 'globex', status },
        ConditionExpression: 'attribute_not_exists(orgId)',
      });
    await ddb.doc.send(put('registered'));

    await expect(ddb.doc.send(put('overwritten'))).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    const { Item } = await ddb.doc.send(new GetCommand({ TableName: tables.Tenants, Key: { orgId: 'globex' } }));
    expect(Item).toEqual({ orgId: 'globex', status: 'registered' });
  });

  it('writes nothing from a transaction when one of its conditions fails', async () => {
    await ddb.doc.send(new PutCommand({ TableName: tables.Tenants, Item: { orgId: 'initech', status: 'disabled' } }));

    const transaction = ddb.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tables.Keys, Item: { keyHash: 'hash-new', orgId: 'initech', createdAt: 't2' } } },
          {
            Update: {
              TableName: tables.Keys,
              Key: { keyHash: 'hash-old' },
              UpdateExpression: 'SET #status = :grace',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':grace': 'grace' },
            },
          },
          {
            ConditionCheck: {
              TableName: tables.Tenants,
              Key: { orgId: 'initech' },
              ConditionExpression: '#status = :registered',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':registered': 'registered' },
            },
          },
        ],
      }),
    );

    const error = await transaction.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code)).toEqual([
      'None',
      'None',
      'ConditionalCheckFailed',
    ]);
    for (const keyHash of ['hash-new', 'hash-old']) {
      const get = new GetCommand({ TableName: tables.Keys, Key: { keyHash }, ConsistentRead: true });
      const { Item } = await ddb.doc.send(get);
      expect(Item).toBeUndefined();
    }
  });
});
