/**
 * The example in examples/data-api: an API outside the platform's app that
 * attaches `PartnerKeyAuthorizer.fromPlatform`. Synthesized here with no
 * AWS credentials (the platform's values are SSM parameter references
 * resolved at deploy time), with what the README promises: every method
 * behind the platform authorizer, the platform's access-log line with the
 * usage subscription, the stage registered for the cache flush, and a clean
 * cdk-nag run.
 */
import { App, Duration } from 'aws-cdk-lib';
import { Capture, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DataApiStack } from '../../examples/data-api/data-api-stack';
import { ACCESS_LOG_FORMAT } from '../../lambda/core/access-log';
import { platformParameterNames } from '../../lib/platform-parameters';
import { PlatformStack } from '../../lib/platform-stack';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new DataApiStack(app, 'DataApi', { platformEnvironment: 'stage' });
const template = Template.fromStack(stack);
const names = platformParameterNames('stage');

/** The template parameter that reads the SSM parameter `name` at deploy time. */
function parameterFor(name: string): string {
  const found = Object.entries(template.findParameters('*', { Default: name }));
  expect(found).toHaveLength(1);
  expect(found[0][1].Type).toBe('AWS::SSM::Parameter::Value<String>');
  return found[0][0];
}

describe('examples/data-api', () => {
  it('puts every method behind the one partner-key authorizer, backed by the platform function', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(
      (method: any) => method.Properties,
    );
    expect(methods.length).toBeGreaterThan(0);
    const authorizers = Object.keys(template.findResources('AWS::ApiGateway::Authorizer'));
    expect(authorizers).toHaveLength(1);
    for (const method of methods) {
      expect(method).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizers[0] },
        RequestParameters: { 'method.request.header.X-API-Key': true },
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.X-API-Key',
      AuthorizerResultTtlInSeconds: 30,
    });
    expect(JSON.stringify(template.findResources('AWS::ApiGateway::Authorizer'))).toContain(
      `{"Ref":"${parameterFor(names.authorizerFunctionArn)}"}`,
    );
  });

  it("lets API Gateway invoke the platform's function only for this API's authorizer", () => {
    const sourceArn = new Capture();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { Ref: parameterFor(names.authorizerFunctionArn) },
      SourceArn: sourceArn,
    });
    expect(JSON.stringify(sourceArn.asObject())).toMatch(
      /"Ref":"DataApi\w+"\},"\/authorizers\/",\{"Ref":"PartnerKeys\w+"\}/,
    );
  });

  it("writes the platform's access-log line to a log group the usage ingestion reads, lines with a key only", () => {
    const logGroup = new Capture();
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [logGroup, 'Arn'] }, Format: ACCESS_LOG_FORMAT },
    });
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: { Ref: logGroup.asString() },
      DestinationArn: { Ref: parameterFor(names.usageIngestFunctionArn) },
      FilterPattern: '{ $.keyId != "-" }',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'logs.amazonaws.com',
      FunctionName: { Ref: parameterFor(names.usageIngestFunctionArn) },
      SourceArn: { 'Fn::GetAtt': [logGroup.asString(), 'Arn'] },
    });
  });

  it('registers its stage in the platform tenants table for the cache flush', () => {
    const registrations = Object.values(template.findResources('Custom::PartnerKeyAuthorizerStage')).map(
      (resource: any) => resource.Properties,
    );
    expect(registrations).toHaveLength(1);
    const tenantsTable = `{"Ref":"${parameterFor(names.tenantsTableName)}"}`;
    const create = JSON.stringify(registrations[0].Create);
    expect(create).toContain('PutItem');
    expect(create).toContain(tenantsTable);
    expect(create).toMatch(/authorizer-stage#",\{"Ref":"DataApi\w+"\}/);
    const remove = JSON.stringify(registrations[0].Delete);
    expect(remove).toContain('DeleteItem');
    expect(remove).toContain(tenantsTable);
  });

  it('reads exactly the parameters the platform stack publishes', () => {
    const platformApp = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const platform = new PlatformStack(platformApp, 'Platform', {
      environmentName: 'stage',
      allowHttpWebhooks: false,
      platformBusName: 'partner-platform-stage',
      archiveRetention: Duration.days(14),
    });
    const published = Object.values(Template.fromStack(platform).findResources('AWS::SSM::Parameter')).map(
      (parameter: any) => parameter.Properties.Name,
    );
    const read = Object.values(template.toJSON().Parameters as Record<string, { Default: string }>)
      .map((parameter) => parameter.Default)
      .filter((name) => name.startsWith('/partner-platform/'));
    // The usage ingestion function's ARN included: the platform stack publishes it from UsageAccounting.
    expect(published).toContain(names.usageIngestFunctionArn);
    expect(read.sort()).toEqual([...published].sort());
  });

  it('has no cdk-nag AwsSolutions findings', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
