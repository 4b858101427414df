import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ApiWebAclProps {
  /** The REST API stage the web ACL protects. */
  readonly stage: apigateway.Stage;
  /** The web ACL's name and metric prefix. */
  readonly name: string;
  /** Requests per client IP in any 5-minute window before WAF blocks it. @default 2000 */
  readonly requestsPerFiveMinutesPerIp?: number;
}

/**
 * A regional AWS WAF web ACL on the API stage: the AWS managed common rule
 * set (OWASP-style bad inputs) and a rate-based rule per client IP, which
 * caps floods before the authorizer or any function runs (per-partner
 * limits, keyed by orgId, are the partner API's own token bucket).
 *
 * The portal's Lambda Function URL cannot be associated with a web ACL
 * (WAF protects CloudFront, API Gateway, ALB, AppSync, Cognito, App Runner
 * and Verified Access only), and the portal has no CloudFront distribution,
 * so it is not covered here; see the README's security section.
 */
export class ApiWebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(props.name),
      rules: [
        {
          name: 'AWSManagedRulesCommonRuleSet',
          priority: 0,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
          visibilityConfig: visibility(`${props.name}-common`),
        },
        {
          name: 'RatePerIp',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit: props.requestsPerFiveMinutesPerIp ?? 2000, aggregateKeyType: 'IP' },
          },
          visibilityConfig: visibility(`${props.name}-rate`),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
