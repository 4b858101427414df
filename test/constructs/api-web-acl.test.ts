/**
 * AWS WAF on the API stage when `waf` is on in config/<env>.yaml (issue 13
 * step 5): the managed common rule set and a per-IP rate rule, associated
 * with the stage; nothing when it is off; cdk-nag clean either way.
 */
import { App, CfnElement, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readEnvironment } from '../../lib/config/load-config';
import { PlatformStack } from '../../lib/platform-stack';
import { templateApp } from '../support/template-app';

function platform(waf: boolean | undefined): { app: App; stack: PlatformStack } {
  const app = templateApp();
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: waf === true ? 'prod' : 'dev',
    allowHttpWebhooks: false,
    platformBusName: 'partner-platform',
    archiveRetention: Duration.days(14),
    ...(waf === undefined ? {} : { waf }),
  });
  return { app, stack };
}

describe('ApiWebAcl', () => {
  const on = platform(true);
  const template = Template.fromStack(on.stack);

  it('puts a regional web ACL with the AWS common rule set and a per-IP rate rule in front of the stage', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Name: 'AWSManagedRulesCommonRuleSet',
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } },
        }),
        Match.objectLike({
          Name: 'RatePerIp',
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiWafWebAcl'), 'Arn'] },
    });
    const [association] = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));
    const apiId = on.stack.getLogicalId(on.stack.api.api.node.defaultChild as CfnElement);
    const stageId = on.stack.getLogicalId(on.stack.api.api.deploymentStage.node.defaultChild as CfnElement);
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain(
      `{"Ref":"${apiId}"},"/stages/",{"Ref":"${stageId}"}`,
    );
  });

  it.each([false, undefined])('waf %s (the default) means no web ACL and no association', (waf) => {
    const off = Template.fromStack(platform(waf).stack);
    off.resourceCountIs('AWS::WAFv2::WebACL', 0);
    off.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  it.each([true, false])('has no cdk-nag AwsSolutions findings with waf %s', (waf) => {
    const { app } = platform(waf);
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('config turns it on in prod and leaves it off in dev', () => {
    const root = `${__dirname}/../..`;
    expect(readEnvironment(root, 'prod').waf).toBe(true);
    expect(readEnvironment(root, 'dev').waf).toBe(false);
  });
});
