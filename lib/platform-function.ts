import * as path from 'node:path';
import { ArnFormat, CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KEY_POLICY_ENV, METRICS_NAMESPACE } from '../lambda/core/contracts';
import { TenantsTable } from '../lambda/core/data-model';
import { AUTHORIZER_CACHE_ENV } from '../lambda/shared/authorizer-cache';
import { bundleInputHash } from './bundle-input-hash';
import { registerHouseBundle } from './house-bundler';
import { mainFieldsFor } from './lambda-bundling';
import { PLATFORM_BUS_ENV } from '../lambda/shared/event-publisher';
import type { PlatformTables } from './platform-tables';

/** The stages whose authorizer cache a function may flush (`PlatformApi.authorizerCache`). */
export interface AuthorizerCacheTarget {
  readonly restApiId: string;
  /** A literal name: a reference to the stage resource would make the API depend on its own functions. */
  readonly stageName: string;
  /**
   * The tenants table, where the stages that attach PartnerKeyAuthorizer are
   * registered: their caches are flushed too. @default only the platform stage
   */
  readonly stageRegistry?: dynamodb.Table;
}

const REPO_ROOT = path.resolve(__dirname, '..');
const runtime = lambda.Runtime.NODEJS_22_X;
const architecture = lambda.Architecture.ARM_64;

const BUNDLING = {
  minify: true,
  sourceMap: true,
  // Sources stay out of the map so the bundle (and its asset hash)
  // does not depend on where the repository is checked out.
  sourcesContent: false,
  target: 'node22',
  format: nodejs.OutputFormat.CJS,
  forceDockerBundling: false,
  externalModules: ['@aws-sdk/*'],
} satisfies nodejs.BundlingOptions;

/**
 * DynamoDB access levels, each the smallest set an access pattern needs
 * (transactions are authorized per item action, so TransactWriteItems needs
 * no action of its own). No level has Scan, BatchGetItem or BatchWriteItem:
 * every access pattern is a GetItem or a Query (lambda/core/data-model.ts).
 * - `get`: GetItem on the table only (the authorizer's one lookup by hash).
 * - `read`: GetItem and Query, on the table and its indexes, and the condition checks of transactions.
 * - `update`: GetItem and Query, and UpdateItem of existing items (usage ingestion's `lastUsedAt` on keys).
 * - `write`: `read` plus PutItem and UpdateItem.
 * - `readWrite`: `write` plus DeleteItem, for code that deletes items.
 */
export type TableAccess = 'get' | 'read' | 'update' | 'write' | 'readWrite';

export const TABLE_ACCESS: Readonly<Record<TableAccess, readonly string[]>> = {
  get: ['GetItem'],
  read: ['GetItem', 'Query', 'ConditionCheckItem'],
  update: ['GetItem', 'Query', 'UpdateItem'],
  write: ['GetItem', 'Query', 'ConditionCheckItem', 'PutItem', 'UpdateItem'],
  readWrite: ['GetItem', 'Query', 'ConditionCheckItem', 'PutItem', 'UpdateItem', 'DeleteItem'],
};

const KMS_WRITE_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/** One access level per platform table. */
export interface PlatformTablesAccess {
  readonly tenants: TableAccess;
  readonly apiKeys: TableAccess;
  readonly webhooks: TableAccess;
}

export interface PlatformFunctionProps {
  /** The handler folder under `lambda/`, e.g. `onboarding` for lambda/onboarding/index.ts. */
  readonly handler: string;
  /** What the function does, for the console and the audit report. */
  readonly description: string;
  /** Powertools service name and metrics namespace dimension. */
  readonly serviceName: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** A fixed name, for a function another stack names. @default a name CloudFormation generates */
  readonly functionName?: string;
  /** Extra environment variables (the bind* helpers add their own). */
  readonly environment?: Record<string, string>;
}

/**
 * The house Lambda function: Node 22 on arm64, bundled by the local esbuild
 * (never Docker), minified with source maps, its own log group with a
 * retention, and Powertools configured by environment. `bind*` helpers set
 * an environment variable and the matching least-privilege grant together.
 */
export class PlatformFunction extends nodejs.NodejsFunction {
  /** Its Powertools service name: the `service` dimension of its metrics, and its alarms' name. */
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    const entry = path.join(REPO_ROOT, 'lambda', props.handler, 'index.ts');
    const mainFields = mainFieldsFor(props.handler);
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const bundling = {
      ...BUNDLING,
      ...(mainFields === undefined ? {} : { mainFields }),
      assetHash: bundleInputHash(REPO_ROOT, entry, {
        BUNDLING,
        ...(mainFields === undefined ? {} : { mainFields }),
        runtime: runtime.name,
        architecture: architecture.name,
      }),
    };
    registerHouseBundle(scope, { entry, projectRoot: REPO_ROOT, bundling });
    super(scope, id, {
      entry,
      handler: 'handler',
      functionName: props.functionName,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime,
      architecture,
      description: props.description,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 256,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling,
    });
    this.serviceName = props.serviceName;
    this.acknowledgeHouseFindings();
  }

  /** Every house function under `scope`, in construct order: what the platform alarms and dashboard watch. */
  public static allIn(scope: Construct): PlatformFunction[] {
    return scope.node.findAll().filter((child): child is PlatformFunction => child instanceof PlatformFunction);
  }

  /**
   * Sets `variable` to the table's name and grants exactly the access level
   * (see {@link TABLE_ACCESS}; never Scan or the batch operations, which no
   * access pattern needs), and acknowledges the wildcards that grant brings
   * (the table's indexes, and the KMS data-key actions on the table's own key).
   */
  public bindTable(variable: string, table: dynamodb.Table, access: TableAccess): this {
    this.addEnvironment(variable, table.tableName);
    return this.grantTable(table, access);
  }

  /** The grant of `bindTable` alone, for a table whose name the function gets another way. */
  public grantTable(table: dynamodb.Table, access: TableAccess): this {
    const withIndexes = access !== 'get';
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: TABLE_ACCESS[access].map((action) => `dynamodb:${action}`),
        resources: withIndexes ? [table.tableArn, `${table.tableArn}/index/*`] : [table.tableArn],
      }),
    );
    const writes = access !== 'get' && access !== 'read';
    table.encryptionKey?.grant(this, 'kms:Decrypt', 'kms:DescribeKey', ...(writes ? KMS_WRITE_ACTIONS : []));
    if (withIndexes) {
      const tableArn = `<${Stack.of(this).getLogicalId(table.node.defaultChild as CfnElement)}.Arn>`;
      this.acknowledgeOnRole(
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*]`,
        `Queries the indexes of ${table.node.id} (declared in lambda/core/data-model.ts); the grant covers that table's indexes only.`,
      );
    }
    if (writes) {
      for (const action of KMS_WRITE_ACTIONS.filter((name) => name.endsWith('*'))) {
        this.acknowledgeOnRole(
          `AwsSolutions-IAM5[Action::${action}]`,
          'DynamoDB writes through the platform key; these KMS actions are scoped to that one key by the table grant.',
        );
      }
    }
    return this;
  }

  /**
   * Binds the three platform tables under the variables
   * lambda/repositories/platform-repositories.ts reads, each with the access
   * the function's code needs (the repositories' calls it makes), and the
   * key policy limit, so every door that issues keys holds the same one.
   */
  public bindPlatformTables(tables: PlatformTables, access: PlatformTablesAccess): this {
    this.addEnvironment(KEY_POLICY_ENV, String(tables.maxActiveKeysPerEnvironment));
    return this.bindTable('TENANTS_TABLE', tables.tenants, access.tenants)
      .bindTable('API_KEYS_TABLE', tables.apiKeys, access.apiKeys)
      .bindTable('WEBHOOKS_TABLE', tables.webhooks, access.webhooks);
  }

  /**
   * Lets the function put events on `bus` and only there: the bus name in
   * `PLATFORM_BUS_NAME` (what lambda/shared/event-publisher.ts publishes to)
   * and `events:PutEvents` on that one bus's ARN.
   */
  public bindEventBusPublish(bus: events.IEventBus): this {
    this.addEnvironment(PLATFORM_BUS_ENV, bus.eventBusName);
    bus.grantPutEventsTo(this);
    return this;
  }

  /**
   * Lets the function flush the authorizer caches after it revokes or
   * rotates a key (lambda/shared/authorizer-cache.ts): the partner API's
   * stage, and with `stageRegistry` every stage that attaches
   * PartnerKeyAuthorizer. Sets the API id, stage and registry table in its
   * environment; grants `apigateway:DELETE` on the stages' authorizer caches
   * (what FlushStageAuthorizersCache needs) and Query on the registry's index.
   */
  public bindAuthorizerCacheFlush(target: AuthorizerCacheTarget): this {
    this.addEnvironment(AUTHORIZER_CACHE_ENV.restApiId, target.restApiId);
    this.addEnvironment(AUTHORIZER_CACHE_ENV.stage, target.stageName);
    const registry = target.stageRegistry;
    const cacheArn = (restApiId: string, stageName: string) =>
      Stack.of(this).formatArn({
        service: 'apigateway',
        account: '',
        resource: '/restapis',
        resourceName: `${restApiId}/stages/${stageName}/cache/authorizers`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    // Attached APIs are deployed after the platform, by other stacks: only their cache path is known.
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:DELETE'],
        resources: [registry === undefined ? cacheArn(target.restApiId, target.stageName) : cacheArn('*', '*')],
      }),
    );
    if (registry === undefined) return this;
    this.addEnvironment(AUTHORIZER_CACHE_ENV.stageRegistryTable, registry.tableName);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${registry.tableArn}/index/${TenantsTable.byListIndex.name}`],
      }),
    );
    registry.encryptionKey?.grant(this, 'kms:Decrypt', 'kms:DescribeKey');
    this.acknowledgeOnRole(
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/restapis/*/stages/*/cache/authorizers]',
      'Flushes the authorizer cache of every stage that attaches PartnerKeyAuthorizer (registered in the tenants table, deployed by other stacks after this one), so a revoked key stops on every API at once; the grant is the cache path only (DELETE of nothing else).',
    );
    return this;
  }

  /**
   * Allows `actions` on every resource whose name starts with `namePrefix`,
   * and acknowledges that one wildcard with `reason`.
   */
  public allowOnNamePrefix(props: {
    readonly service: string;
    readonly resource: string;
    readonly namePrefix: string;
    readonly actions: string[];
    readonly reason: string;
  }): this {
    const colon = props.service === 'secretsmanager';
    const arn = Stack.of(this).formatArn({
      service: props.service,
      resource: props.resource,
      resourceName: `${props.namePrefix}*`,
      arnFormat: colon ? ArnFormat.COLON_RESOURCE_NAME : ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.addToRolePolicy(new iam.PolicyStatement({ actions: props.actions, resources: [arn] }));
    const rendered = `arn:<AWS::Partition>:${props.service}:<AWS::Region>:<AWS::AccountId>:${props.resource}${colon ? ':' : '/'}${props.namePrefix}*`;
    this.acknowledgeOnRole(`AwsSolutions-IAM5[Resource::${rendered}]`, props.reason);
    return this;
  }

  private readonly acknowledged = new Set<string>();

  private acknowledgeOnRole(id: string, reason: string): void {
    if (this.acknowledged.has(id) || !this.role) return;
    this.acknowledged.add(id);
    Validations.of(this.role).acknowledge({ id, reason });
  }

  /** Findings every house function raises, acknowledged once with their reasons. */
  private acknowledgeHouseFindings(): void {
    Validations.of(this.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the platform runtime (LTS, supported by Powertools); moving to a newer runtime is a deliberate, tested change.',
    });
    this.acknowledgeOnRole(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The basic execution policy only lets the function write its own logs.',
    );
  }
}
