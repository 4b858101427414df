import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiKeysTable, FailedDeliveriesTable, TenantsTable, WebhooksTable } from '../../lambda/core/data-model';
import { PlatformStack } from '../../lib/platform-stack';
import { templateApp } from '../support/template-app';

function platformTemplate(removalPolicy?: RemovalPolicy): Template {
  const app = templateApp();
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: 'dev',
    allowHttpWebhooks: false,
    platformBusName: 'partner-platform-dev',
    archiveRetention: Duration.days(14),
    removalPolicy,
  });
  return Template.fromStack(stack);
}

describe('PlatformKey', () => {
  it('is a customer-managed key with yearly rotation, an alias and RETAIN', () => {
    const template = platformTemplate();
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, RotationPeriodInDays: 365 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/partner-platform-dev' });
  });
});

describe('PlatformTables', () => {
  const template = platformTemplate();
  const tables = template.findResources('AWS::DynamoDB::Table');

  it('creates the tenants, API keys and webhooks tables', () => {
    expect(Object.values(tables).map((t: any) => t.Properties.KeySchema)).toEqual(
      expect.arrayContaining([
        [{ AttributeName: TenantsTable.partitionKey, KeyType: 'HASH' }],
        [{ AttributeName: ApiKeysTable.partitionKey, KeyType: 'HASH' }],
        [
          { AttributeName: WebhooksTable.partitionKey, KeyType: 'HASH' },
          { AttributeName: WebhooksTable.sortKey, KeyType: 'RANGE' },
        ],
        [
          { AttributeName: FailedDeliveriesTable.partitionKey, KeyType: 'HASH' },
          { AttributeName: FailedDeliveriesTable.sortKey, KeyType: 'RANGE' },
        ],
      ]),
    );
  });

  it('expires failed deliveries by TTL and keeps no Scan-only shape (pk orgId#webhookId, sk time#eventId)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: FailedDeliveriesTable.partitionKey, KeyType: 'HASH' },
        { AttributeName: FailedDeliveriesTable.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: FailedDeliveriesTable.timeToLiveAttribute, Enabled: true },
    });
  });

  it('makes every table on-demand, KMS-encrypted, point-in-time recoverable, deletion-protected and retained', () => {
    expect(Object.keys(tables)).toHaveLength(5);
    for (const table of Object.values(tables) as any[]) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toEqual(
        expect.objectContaining({
          BillingMode: 'PAY_PER_REQUEST',
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^EncryptionKey/), 'Arn'] },
          },
        }),
      );
    }
  });

  it('serves every access pattern from a key or an index, never a scan', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: ApiKeysTable.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: ApiKeysTable.byOrgIndex.name,
          KeySchema: [
            { AttributeName: ApiKeysTable.byOrgIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: ApiKeysTable.byOrgIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
        Match.objectLike({ IndexName: ApiKeysTable.byDueIndex.name }),
      ]),
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: Match.arrayWith([{ AttributeName: WebhooksTable.sortKey, KeyType: 'RANGE' }]),
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: WebhooksTable.byWebhookIdIndex.name,
          KeySchema: [{ AttributeName: WebhooksTable.byWebhookIdIndex.partitionKey, KeyType: 'HASH' }],
        }),
        Match.objectLike({ IndexName: WebhooksTable.byDueIndex.name }),
      ]),
    });
  });

  it('lets a test stack opt into DESTROY explicitly', () => {
    const destroyable = platformTemplate(RemovalPolicy.DESTROY);
    for (const table of Object.values(destroyable.findResources('AWS::DynamoDB::Table')) as any[]) {
      expect(table.DeletionPolicy).toBe('Delete');
    }
  });
});

describe('PartnerEventBus', () => {
  it('names the bus and archives every event of the account for replay', () => {
    const template = platformTemplate();
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'partner-platform-dev' });
    template.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: 'partner-platform-dev-archive',
      RetentionDays: 14,
      EventPattern: { account: [{ Ref: 'AWS::AccountId' }] },
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PartnerEventsBus'), 'Arn'] },
    });
  });
});
