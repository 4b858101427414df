import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ACCESS_LOG_FORMAT } from '../lambda/core/access-log';
import { type EnvironmentName, PARTNER_AUTHORIZER_CACHE_SECONDS, PARTNER_KEY_HEADER } from '../lambda/core/contracts';
import { TenantsTable, authorizerStageItem } from '../lambda/core/data-model';
import { PlatformParameters } from './platform-parameters';
import { keyRequestFilterPattern } from './usage-accounting';

/** Longest authorizer cache the platform accepts: revocation must bite within it. */
export const MAX_AUTHORIZER_CACHE_TTL = Duration.seconds(PARTNER_AUTHORIZER_CACHE_SECONDS);

export interface PartnerKeyAuthorizerProps {
  /**
   * The platform's authorizer function (`PlatformApi.authorizerFunction`, or
   * imported by {@link PartnerKeyAuthorizer.fromPlatform}): one decision for
   * every API that partner keys protect, never a second copy of the code.
   */
  readonly handler: lambda.IFunction;
  /**
   * How long API Gateway caches the answer per key. The platform's function
   * refuses keys that end within its own TTL, so this may not exceed it.
   * @default Duration.seconds(30), the platform's
   */
  readonly cacheTtl?: Duration;
  /**
   * Where the stage writes its access log, in the platform's format.
   * @default a new log group kept one year and retained
   */
  readonly accessLogs?: logs.ILogGroup;
  /**
   * The platform's tenants table, where {@link PartnerKeyAuthorizer.attach}
   * registers the stage so that revoke, rotate and disable flush its
   * authorizer cache too (lambda/shared/authorizer-cache.ts).
   * @default no registration: the platform's own stage is flushed by name
   */
  readonly stageRegistry?: AuthorizerStageRegistryTarget;
  /**
   * The platform's usage ingestion function, subscribed to the access log
   * (lines with a key only), so calls through this API count towards each
   * key's usage like calls to the partner API. @default no subscription
   */
  readonly usageIngestFunction?: lambda.IFunction;
}

/** {@link PartnerKeyAuthorizer.fromPlatform}: the platform environment, and this API's own choices. */
export interface PartnerKeyAuthorizerFromPlatformProps extends Pick<
  PartnerKeyAuthorizerProps,
  'cacheTtl' | 'accessLogs'
> {
  /** The platform environment whose keys the API accepts (same account and region). */
  readonly environmentName: EnvironmentName;
  /** Subscribe the platform's usage ingestion to the access log. @default true */
  readonly usageAccounting?: boolean;
}

/** The platform table attached stages register in, and the key it is encrypted with. */
export interface AuthorizerStageRegistryTarget {
  readonly table: dynamodb.ITable;
  readonly encryptionKey: kms.IKey;
}

/**
 * The partner-key authorizer any API Gateway REST API in the account
 * attaches: a REQUEST authorizer on `X-API-Key` (the product documents'
 * `X-Api-Key`; header names are case-insensitive) backed by the platform's
 * authorizer function, with the platform's cache TTL, and a stage that
 * writes the platform's access-log line (lambda/core/access-log.ts), from
 * which usage is counted, cached calls included.
 *
 * One instance per REST API (an API Gateway authorizer belongs to one API):
 * use {@link methodOptions} on the API's methods (or as its
 * `defaultMethodOptions`) and call {@link attach} with its stage.
 */
export class PartnerKeyAuthorizer extends Construct {
  public readonly authorizer: apigateway.RequestAuthorizer;
  /** The stage's access log, in the platform's format. */
  public readonly accessLogs: logs.ILogGroup;
  /** Method options that put a method behind the partner key. */
  public readonly methodOptions: apigateway.MethodOptions;

  /**
   * The platform's authorizer in a stack of another app (or of this one):
   * everything it needs comes from the SSM parameters the platform stack
   * publishes (lib/platform-parameters.ts), resolved at deploy time.
   */
  public static fromPlatform(
    scope: Construct,
    id: string,
    props: PartnerKeyAuthorizerFromPlatformProps,
  ): PartnerKeyAuthorizer {
    const platform = PlatformParameters.read(scope, `${id}Platform`, props);
    return new PartnerKeyAuthorizer(scope, id, {
      ...platform,
      ...(props.cacheTtl === undefined ? {} : { cacheTtl: props.cacheTtl }),
      ...(props.accessLogs === undefined ? {} : { accessLogs: props.accessLogs }),
    });
  }

  private readonly stageRegistry?: AuthorizerStageRegistryTarget;

  constructor(scope: Construct, id: string, props: PartnerKeyAuthorizerProps) {
    super(scope, id);
    this.stageRegistry = props.stageRegistry;
    const cacheTtl = props.cacheTtl ?? MAX_AUTHORIZER_CACHE_TTL;
    if (cacheTtl.toSeconds() > MAX_AUTHORIZER_CACHE_TTL.toSeconds()) {
      throw new Error(
        `${this.node.path}: cacheTtl is ${cacheTtl.toSeconds()} s; at most ${MAX_AUTHORIZER_CACHE_TTL.toSeconds()} s, so a revoked key stops working within that time`,
      );
    }
    // `Default` keeps the authorizer's logical id (and its invoke permission's) that of
    // a RequestAuthorizer made directly under this construct's parent.
    this.authorizer = new apigateway.RequestAuthorizer(this, 'Default', {
      authorizerName: 'partner-api-key',
      handler: props.handler,
      identitySources: [apigateway.IdentitySource.header(PARTNER_KEY_HEADER)],
      resultsCacheTtl: cacheTtl,
    });
    this.methodOptions = {
      authorizer: this.authorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      requestParameters: { [`method.request.header.${PARTNER_KEY_HEADER}`]: true },
    };
    this.accessLogs =
      props.accessLogs ??
      new logs.LogGroup(this, 'AccessLogs', {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    if (props.usageIngestFunction !== undefined) {
      new logs.SubscriptionFilter(this, 'UsageSubscription', {
        logGroup: this.accessLogs,
        destination: new destinations.LambdaDestination(props.usageIngestFunction),
        // Only requests that passed the authorizer carry a key; the parser ignores the rest anyway.
        filterPattern: keyRequestFilterPattern(),
      });
    }
  }

  /**
   * Makes `stage` write the platform's access-log line to {@link accessLogs}
   * and, with a `stageRegistry`, registers it for the platform's cache flush
   * while it exists (a custom resource; removing the stage removes the entry).
   * @throws when the stage already logs elsewhere or in another format: usage
   * is counted from this line only.
   */
  public attach(stage: apigateway.Stage): void {
    const cfnStage = stage.node.defaultChild as apigateway.CfnStage;
    const wanted: apigateway.CfnStage.AccessLogSettingProperty = {
      destinationArn: this.accessLogs.logGroupArn,
      format: ACCESS_LOG_FORMAT,
    };
    const current = cfnStage.accessLogSetting as apigateway.CfnStage.AccessLogSettingProperty | undefined;
    if (
      current !== undefined &&
      (current.format !== wanted.format || current.destinationArn !== wanted.destinationArn)
    ) {
      throw new Error(
        `${this.node.path}: stage ${stage.node.path} already writes access logs elsewhere or in another format; leave accessLogDestination and accessLogFormat unset (attach() sets the platform's, from which usage is counted) or pass your log group as accessLogs`,
      );
    }
    cfnStage.accessLogSetting = wanted;
    if (this.stageRegistry !== undefined) this.register(stage, this.stageRegistry);
  }

  /**
   * One tenants-table item per stage, written and deleted by an
   * AwsCustomResource whose role may touch exactly that item's key
   * (`dynamodb:LeadingKeys`) and use the table's key through DynamoDB only.
   */
  private register(stage: apigateway.Stage, registry: AuthorizerStageRegistryTarget): void {
    const item = authorizerStageItem({ restApiId: stage.restApi.restApiId, stageName: stage.stageName });
    const itemKey = item[TenantsTable.partitionKey];
    const tableName = registry.table.tableName;
    const key = { [TenantsTable.partitionKey]: { S: itemKey } };
    const put: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'PutItem',
      parameters: {
        TableName: tableName,
        Item: Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: value }])),
      },
      physicalResourceId: cr.PhysicalResourceId.of(itemKey),
    };
    const registration = new cr.AwsCustomResource(this, `Registration${stage.node.id}`, {
      resourceType: 'Custom::PartnerKeyAuthorizerStage',
      onCreate: put,
      onUpdate: put,
      onDelete: { service: 'DynamoDB', action: 'DeleteItem', parameters: { TableName: tableName, Key: key } },
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [registry.table.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [itemKey] } },
        }),
        new iam.PolicyStatement({
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [registry.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
        }),
      ]),
    });
    registration.node.addDependency(stage);
    acknowledgeCustomResourceProvider(Stack.of(this));
  }
}

/** The AwsCustomResource provider's own findings, once per stack. */
function acknowledgeCustomResourceProvider(stack: Stack): void {
  const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (provider === undefined) return;
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "The custom-resource provider's basic execution policy only lets it write its own logs.",
  });
}
