/**
 * PartnerKeyAuthorizer on an API that is not the platform's: the platform's
 * authorizer function behind a REQUEST authorizer on X-API-Key with the
 * platform's cache, an invoke permission scoped to that API's authorizer,
 * and a stage that writes the platform's access-log line.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ACCESS_LOG_FORMAT } from '../../lambda/core/access-log';
import { PartnerKeyAuthorizer, type PartnerKeyAuthorizerProps } from '../../lib/partner-key-authorizer';
import { platformParameterNames } from '../../lib/platform-parameters';

const AUTHORIZER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:partner-authorizer';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

interface DataApi {
  readonly stack: Stack;
  readonly api: apigateway.RestApi;
  readonly partnerKeys: PartnerKeyAuthorizer;
}

function dataApi(
  props: Partial<PartnerKeyAuthorizerProps> | ((stack: Stack) => Partial<PartnerKeyAuthorizerProps>) = {},
  deployOptions: (stack: Stack) => apigateway.StageOptions = () => ({}),
): DataApi {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'DataApi', { env: { account: '123456789012', region: 'eu-west-1' } });
  const handler = lambda.Function.fromFunctionAttributes(stack, 'PlatformAuthorizer', {
    functionArn: AUTHORIZER_ARN,
    sameEnvironment: true,
  });
  const extra = typeof props === 'function' ? props(stack) : props;
  const partnerKeys = new PartnerKeyAuthorizer(stack, 'PartnerKeys', { handler, ...extra });
  const api = new apigateway.RestApi(stack, 'Api', {
    deployOptions: { stageName: 'v1', ...deployOptions(stack) },
    defaultMethodOptions: partnerKeys.methodOptions,
  });
  api.root.addResource('locks').addMethod('GET', new apigateway.MockIntegration());
  return { stack, api, partnerKeys };
}

/** A foreign stack's view of the platform's tenants table. */
function registryIn(stack: Stack): Partial<PartnerKeyAuthorizerProps> {
  return {
    stageRegistry: {
      table: dynamodb.Table.fromTableName(stack, 'Tenants', 'partner-platform-tenants'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'PlatformKey', KEY_ARN),
    },
  };
}

describe('PartnerKeyAuthorizer on another API', () => {
  const attached = dataApi();
  attached.partnerKeys.attach(attached.api.deploymentStage);
  const template = Template.fromStack(attached.stack);

  it('checks X-API-Key with the platform function and the platform cache of 30 s', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      RestApiId: { Ref: Match.stringLikeRegexp('^Api') },
      IdentitySource: 'method.request.header.X-API-Key',
      AuthorizerResultTtlInSeconds: 30,
    });
    expect(JSON.stringify(template.findResources('AWS::ApiGateway::Authorizer'))).toContain(AUTHORIZER_ARN);
  });

  it('puts the method behind the authorizer and requires the header', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('^PartnerKeys') },
      RequestParameters: { 'method.request.header.X-API-Key': true },
    });
  });

  it("lets API Gateway invoke the platform function for this API's authorizer only", () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (resource: any) => resource.Properties,
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: AUTHORIZER_ARN,
      Principal: 'apigateway.amazonaws.com',
    });
    const sourceArn = JSON.stringify(permissions[0].SourceArn);
    expect(sourceArn).toMatch(/"Ref":"Api\w+"\},"\/authorizers\/",\{"Ref":"PartnerKeys\w+"\}/);
  });

  it("writes the platform's access-log line, from which usage is counted", () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PartnerKeysAccessLogs'), 'Arn'] },
        Format: ACCESS_LOG_FORMAT,
      },
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
  });

  it('takes a shorter cache and refuses one longer than the platform allows, naming the construct', () => {
    const short = dataApi({ cacheTtl: Duration.seconds(5) });
    short.partnerKeys.attach(short.api.deploymentStage);
    Template.fromStack(short.stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      AuthorizerResultTtlInSeconds: 5,
    });
    expect(() => dataApi({ cacheTtl: Duration.seconds(31) })).toThrow(
      'DataApi/PartnerKeys: cacheTtl is 31 s; at most 30 s',
    );
  });

  it('refuses a stage that already logs in another format, since usage would count nothing', () => {
    const other = dataApi({}, (stack) => ({
      accessLogDestination: new apigateway.LogGroupLogDestination(new logs.LogGroup(stack, 'Elsewhere')),
      accessLogFormat: apigateway.AccessLogFormat.clf(),
    }));
    expect(() => other.partnerKeys.attach(other.api.deploymentStage)).toThrow(
      /DataApi\/PartnerKeys: stage DataApi\/Api\/DeploymentStage.v1 already writes access logs elsewhere or in another format/,
    );
  });

  describe('with the stage registry', () => {
    const registered = dataApi(registryIn);
    registered.partnerKeys.attach(registered.api.deploymentStage);
    const withRegistry = Template.fromStack(registered.stack);

    it('registers the stage in the tenants table while it exists: PutItem on create and update, DeleteItem on delete', () => {
      const resources = Object.values(withRegistry.findResources('Custom::PartnerKeyAuthorizerStage'));
      expect(resources).toHaveLength(1);
      const properties = (resources[0] as any).Properties;
      const create = JSON.stringify(properties.Create);
      expect(create).toContain('"action\\":\\"PutItem');
      expect(create).toContain('partner-platform-tenants');
      expect(create).toMatch(/authorizer-stage#/);
      expect(create).toMatch(/"Ref":"Api\w+"/);
      expect(JSON.stringify(properties.Update)).toContain('PutItem');
      expect(JSON.stringify(properties.Delete)).toContain('DeleteItem');
      expect((resources[0] as any).DependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/^ApiDeploymentStage/)]),
      );
    });

    it("may write only that stage's item, and use the table's key only through DynamoDB", () => {
      const policies = Object.values(withRegistry.findResources('AWS::IAM::Policy')).flatMap(
        (policy: any) => policy.Properties.PolicyDocument.Statement,
      );
      const dynamo = policies.filter((statement: any) => JSON.stringify(statement.Action).includes('dynamodb:'));
      expect(dynamo).toHaveLength(1);
      expect(dynamo[0].Action).toEqual(['dynamodb:PutItem', 'dynamodb:DeleteItem']);
      expect(JSON.stringify(dynamo[0].Resource)).toContain(':table/partner-platform-tenants');
      const leadingKeys = dynamo[0].Condition['ForAllValues:StringEquals']['dynamodb:LeadingKeys'];
      expect(JSON.stringify(leadingKeys)).toMatch(
        /^\[\{"Fn::Join":\["",\["authorizer-stage#",\{"Ref":"Api\w+"\},"#",\{"Ref":"ApiDeploymentStage/,
      );
      const keyUse = policies.filter((statement: any) => JSON.stringify(statement.Action).includes('kms:'));
      expect(keyUse).toEqual([
        expect.objectContaining({
          Resource: KEY_ARN,
          Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' } },
        }),
      ]);
      expect(JSON.stringify(policies)).not.toMatch(/"Action":"?\*|dynamodb:\*|dynamodb:Scan/);
    });

    it("leaves no unacknowledged cdk-nag findings on what it creates (the API itself is the caller's)", () => {
      const ownPath = /^DataApi\/(PartnerKeys|AWS679f53fac002430cb0da5b7982bd2287)\//;
      const own = new AwsSolutionsChecks()
        .validateScope(registered.stack)
        .violations.filter((violation) =>
          violation.violatingResources.some((resource) => ownPath.test(resource.constructPath ?? '')),
        );
      expect(own).toEqual([]);
    });
  });

  it('fromPlatform without usage accounting reads no ingestion function and subscribes nothing', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'NoUsage');
    const partnerKeys = PartnerKeyAuthorizer.fromPlatform(stack, 'PartnerKeys', {
      environmentName: 'dev',
      usageAccounting: false,
    });
    const api = new apigateway.RestApi(stack, 'Api', { defaultMethodOptions: partnerKeys.methodOptions });
    api.root.addMethod('GET', new apigateway.MockIntegration());
    partnerKeys.attach(api.deploymentStage);
    const noUsage = Template.fromStack(stack);
    expect(noUsage.findResources('AWS::Logs::SubscriptionFilter')).toEqual({});
    const read = Object.values(noUsage.toJSON().Parameters as Record<string, { Default: string }>).map(
      (parameter) => parameter.Default,
    );
    expect(read).toContain(platformParameterNames('dev').authorizerFunctionArn);
    expect(read).not.toContain(platformParameterNames('dev').usageIngestFunctionArn);
    noUsage.resourceCountIs('Custom::PartnerKeyAuthorizerStage', 1);
  });
});
