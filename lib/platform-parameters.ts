import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { EnvironmentName } from '../lambda/core/contracts';
import type { PartnerKeyAuthorizerProps } from './partner-key-authorizer';

/**
 * The SSM parameters a platform environment publishes for APIs in other
 * stacks and apps of the same account and region: the one place their
 * names are spelled, for the writer and the reader below.
 */
export function platformParameterNames(environmentName: string) {
  const prefix = `/partner-platform/${environmentName}/partner-key-authorizer`;
  return {
    authorizerFunctionArn: `${prefix}/authorizer-function-arn`,
    usageIngestFunctionArn: `${prefix}/usage-ingest-function-arn`,
    tenantsTableName: `${prefix}/tenants-table-name`,
    tenantsTableKeyArn: `${prefix}/tenants-table-key-arn`,
  } as const;
}

export interface PlatformParametersProps {
  /** Names the parameters: `/partner-platform/<env>/partner-key-authorizer/...`. */
  readonly environmentName: string;
  /** The function behind every partner-key authorizer (`PlatformApi.authorizerFunction`). */
  readonly authorizerFunction: lambda.IFunction;
  /** Where attached stages register for the cache flush. */
  readonly tenantsTable: dynamodb.ITable;
  /** The key the tenants table is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** Counts usage from attached stages' access logs. @default not published */
  readonly usageIngestFunction?: lambda.IFunction;
}

/** What {@link PlatformParameters.read} gives PartnerKeyAuthorizer. */
export type PublishedPartnerKeyProps = Required<Pick<PartnerKeyAuthorizerProps, 'handler' | 'stageRegistry'>> &
  Pick<PartnerKeyAuthorizerProps, 'usageIngestFunction'>;

/**
 * Publishes what PartnerKeyAuthorizer needs as SSM parameters (written by
 * the platform stack), and reads them back in another stack as deploy-time
 * parameter references: no lookup at synth, so synth needs no credentials.
 */
export class PlatformParameters extends Construct {
  constructor(scope: Construct, id: string, props: PlatformParametersProps) {
    super(scope, id);
    const names = platformParameterNames(props.environmentName);
    const publish = (parameterId: string, parameterName: string, stringValue: string, description: string) =>
      new ssm.StringParameter(this, parameterId, { parameterName, stringValue, description });
    publish(
      'AuthorizerFunctionArn',
      names.authorizerFunctionArn,
      props.authorizerFunction.functionArn,
      'The partner-key authorizer function that PartnerKeyAuthorizer attaches',
    );
    publish(
      'TenantsTableName',
      names.tenantsTableName,
      props.tenantsTable.tableName,
      'The table where stages that attach PartnerKeyAuthorizer register for the cache flush',
    );
    publish(
      'TenantsTableKeyArn',
      names.tenantsTableKeyArn,
      props.encryptionKey.keyArn,
      'The key of the tenants table, used through DynamoDB by the stage registration',
    );
    if (props.usageIngestFunction !== undefined) {
      publish(
        'UsageIngestFunctionArn',
        names.usageIngestFunctionArn,
        props.usageIngestFunction.functionArn,
        'The function that counts partner-key usage from access logs',
      );
    }
  }

  /**
   * The platform of `environmentName`, as another stack of the account and
   * region sees it. With `usageAccounting` (the default) the platform must
   * publish its usage ingestion function, or the deploy fails on the missing
   * parameter.
   */
  public static read(
    scope: Construct,
    id: string,
    options: { readonly environmentName: EnvironmentName; readonly usageAccounting?: boolean },
  ): PublishedPartnerKeyProps {
    const holder = new Construct(scope, id);
    const names = platformParameterNames(options.environmentName);
    const value = (name: string) => ssm.StringParameter.valueForStringParameter(holder, name);
    // sameEnvironment: the parameters are the same account's, so the permissions API Gateway and
    // CloudWatch Logs need to invoke them are added to the functions from this stack.
    const importFunction = (functionId: string, name: string) =>
      lambda.Function.fromFunctionAttributes(holder, functionId, { functionArn: value(name), sameEnvironment: true });
    return {
      handler: importFunction('AuthorizerFunction', names.authorizerFunctionArn),
      stageRegistry: {
        table: dynamodb.Table.fromTableName(holder, 'Tenants', value(names.tenantsTableName)),
        encryptionKey: kms.Key.fromKeyArn(holder, 'TenantsKey', value(names.tenantsTableKeyArn)),
      },
      ...(options.usageAccounting === false
        ? {}
        : { usageIngestFunction: importFunction('UsageIngestFunction', names.usageIngestFunctionArn) }),
    };
  }
}
