import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT } from '../lambda/core/api-keys';
import {
  ApiKeysTable,
  FailedDeliveriesTable,
  TenantsTable,
  UsageTable,
  WebhooksTable,
} from '../lambda/core/data-model';

export interface PlatformTablesProps {
  /** Encrypts every table. */
  readonly encryptionKey: kms.IKey;
  /**
   * What happens to the tables when they leave the stack. Only test stacks
   * pass DESTROY. @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The key policy the tables' key records are held to: live API keys per
   * org and environment (`apiKey.maxActivePerEnvironment`). Every function
   * bound to the tables gets it. @default 1
   */
  readonly maxActiveKeysPerEnvironment?: number;
}

const S = dynamodb.AttributeType.STRING;

interface IndexSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

function addIndex(table: dynamodb.Table, index: IndexSpec): void {
  table.addGlobalSecondaryIndex({
    indexName: index.name,
    partitionKey: { name: index.partitionKey, type: S },
    sortKey: index.sortKey ? { name: index.sortKey, type: S } : undefined,
  });
}

/**
 * The platform's state: tenants, API keys, webhooks, failed deliveries and usage. Keys and indexes come
 * from lambda/core/data-model.ts, which the repositories read too. Every table
 * is on-demand, encrypted with the platform key, point-in-time recoverable,
 * deletion-protected and retained.
 */
export class PlatformTables extends Construct {
  public readonly tenants: dynamodb.Table;
  public readonly apiKeys: dynamodb.Table;
  public readonly webhooks: dynamodb.Table;
  /** Dead letters recorded per webhook (lambda/dlq-consumer), and the replays of them; items expire by TTL. */
  public readonly failedDeliveries: dynamodb.Table;
  /** The key policy limit every function bound to these tables applies. */
  public readonly maxActiveKeysPerEnvironment: number;
  /** Per-key hourly usage counted from the API access logs (lambda/usage-ingest); items expire by TTL after 90 days. */
  public readonly usage: dynamodb.Table;

  constructor(scope: Construct, id: string, props: PlatformTablesProps) {
    super(scope, id);
    this.maxActiveKeysPerEnvironment = props.maxActiveKeysPerEnvironment ?? DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT;
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };

    this.tenants = new dynamodb.Table(this, 'Tenants', {
      ...common,
      partitionKey: { name: TenantsTable.partitionKey, type: S },
      // Expired portal sessions and reveal nonces go by themselves; tenants never carry it.
      timeToLiveAttribute: TenantsTable.timeToLiveAttribute,
    });
    addIndex(this.tenants, TenantsTable.byListIndex);

    this.apiKeys = new dynamodb.Table(this, 'ApiKeys', {
      ...common,
      partitionKey: { name: ApiKeysTable.partitionKey, type: S },
    });
    addIndex(this.apiKeys, ApiKeysTable.byOrgIndex);
    addIndex(this.apiKeys, ApiKeysTable.byDueIndex);

    this.webhooks = new dynamodb.Table(this, 'Webhooks', {
      ...common,
      partitionKey: { name: WebhooksTable.partitionKey, type: S },
      sortKey: { name: WebhooksTable.sortKey, type: S },
      // Feeds the provisioner: both images, so a delete still names its webhook.
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    addIndex(this.webhooks, WebhooksTable.byWebhookIdIndex);
    addIndex(this.webhooks, WebhooksTable.byDueIndex);

    this.failedDeliveries = new dynamodb.Table(this, 'FailedDeliveries', {
      ...common,
      partitionKey: { name: FailedDeliveriesTable.partitionKey, type: S },
      sortKey: { name: FailedDeliveriesTable.sortKey, type: S },
      timeToLiveAttribute: FailedDeliveriesTable.timeToLiveAttribute,
    });

    this.usage = new dynamodb.Table(this, 'Usage', {
      ...common,
      partitionKey: { name: UsageTable.partitionKey, type: S },
      sortKey: { name: UsageTable.sortKey, type: S },
      timeToLiveAttribute: UsageTable.timeToLiveAttribute,
    });
  }
}
