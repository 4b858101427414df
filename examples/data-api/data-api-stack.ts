import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lambda/core/contracts';
import { PartnerKeyAuthorizer } from '../../lib';

export interface DataApiStackProps extends StackProps {
  /** The platform environment whose partner keys the API accepts (same account and region). */
  readonly platformEnvironment: EnvironmentName;
}

/**
 * An API of the product, outside the platform's app, protected by partner
 * keys: `GET /locks` on stage `v1` (so `.../v1/locks`, as the documents'
 * data API) answers from a mock integration with the caller's orgId and key
 * environment, taken from the platform authorizer's context. Revoking the
 * key in the platform stops it here as fast as on the partner API, and its
 * calls count in the key's usage.
 */
export class DataApiStack extends Stack {
  public readonly api: apigateway.RestApi;

  constructor(scope: Construct, id: string, props: DataApiStackProps) {
    super(scope, id, props);
    if (!ENVIRONMENT_NAMES.includes(props.platformEnvironment)) {
      throw new Error(`${this.node.path}: platformEnvironment must be one of ${ENVIRONMENT_NAMES.join(', ')}`);
    }
    const partnerKeys = PartnerKeyAuthorizer.fromPlatform(this, 'PartnerKeys', {
      environmentName: props.platformEnvironment,
    });
    this.api = new apigateway.RestApi(this, 'DataApi', {
      restApiName: `data-api-${props.platformEnvironment}`,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Every method is behind the partner key unless it says otherwise.
      defaultMethodOptions: partnerKeys.methodOptions,
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: 'v1',
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
      },
    });
    // Writes the platform's access-log line and registers the stage for the cache flush.
    partnerKeys.attach(this.api.deploymentStage);

    const requiredHeaders = this.api.addRequestValidator('RequiredHeaders', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const locks = this.api.root.addResource('locks');
    locks.addMethod('GET', lockListing(), {
      requestValidator: requiredHeaders,
      methodResponses: [{ statusCode: '200' }],
    });
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Example API: every call needs a partner key checked by the platform authorizer, and stage throttling caps the rate; production APIs add a WAF web ACL.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Partners authenticate with platform API keys checked by the partner-key REQUEST authorizer, not Cognito.',
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole !== undefined) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "API Gateway's own managed policy for the account's execution-log role; it only writes logs.",
      });
    }
  }
}

/** A stand-in for the product's data: the caller as the authorizer saw it, no backend needed. */
function lockListing(): apigateway.MockIntegration {
  return new apigateway.MockIntegration({
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    integrationResponses: [
      {
        statusCode: '200',
        responseTemplates: {
          'application/json':
            '{"orgId":"$context.authorizer.orgId","keyEnvironment":"$context.authorizer.environment","locks":[]}',
        },
      },
    ],
  });
}
