import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PlatformStack } from '../../lib/platform-stack';
import { templateApp } from '../support/template-app';

function handlersTemplate(allowHttpWebhooks = false): Template {
  const app = templateApp();
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: 'prod',
    allowHttpWebhooks,
    platformBusName: 'partner-platform-prod',
    archiveRetention: Duration.days(14),
  });
  return Template.fromStack(stack);
}

const template = handlersTemplate();

function functionNamed(description: RegExp) {
  const [entry] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, fn]: [string, any]) =>
    description.test(fn.Properties.Description ?? ''),
  );
  return entry as [string, any];
}

/** Statements of the default policy attached to a function's role. */
function statementsOf(description: RegExp): any[] {
  const [, fn] = functionNamed(description);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
    p.Properties.Roles.some((r: any) => r.Ref === roleId),
  );
  return policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('PlatformHandlers', () => {
  it('runs every handler on Node 22, arm64, with source maps and its own log group', () => {
    for (const description of [/^Registers partners/, /^Rotates API keys/, /^Verifies webhook URLs/]) {
      const [, fn] = functionNamed(description);
      expect(fn.Properties).toEqual(
        expect.objectContaining({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          LoggingConfig: expect.objectContaining({ LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } }),
        }),
      );
      expect(fn.Properties.Environment.Variables).toEqual(
        expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps', ENVIRONMENT_NAME: 'prod' }),
      );
    }
  });

  it('gives onboarding its tables and the pickup-secret prefix, and nothing else', () => {
    const [, fn] = functionNamed(/^Registers partners/);
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(['TENANTS_TABLE', 'API_KEYS_TABLE', 'WEBHOOKS_TABLE', 'PICKUP_SECRET_PREFIX']),
    );
    expect(fn.Properties.Environment.Variables.PICKUP_SECRET_PREFIX).toBe('partner-platform/prod/pickup/');
    const secrets = statementsOf(/^Registers partners/).filter((s) =>
      JSON.stringify(s.Action).includes('secretsmanager'),
    );
    expect(secrets).toEqual([
      expect.objectContaining({
        Action: [
          'secretsmanager:CreateSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:TagResource',
        ],
        Resource: { 'Fn::Join': ['', expect.arrayContaining([':secret:partner-platform/prod/pickup/*'])] },
      }),
    ]);
    expect(JSON.stringify(statementsOf(/^Registers partners/))).not.toContain('events:');
  });

  it('lets only the rotation handler write webhook secrets and connections, scoped to this environment', () => {
    const rotation = JSON.stringify(statementsOf(/^Rotates API keys/));
    expect(rotation).toContain('secret:partner-platform/prod/webhooks/*');
    expect(rotation).toContain('connection/pp-prod-s*');
    expect(rotation).toContain('secret:events!connection/pp-prod-s*');
    const verification = JSON.stringify(statementsOf(/^Verifies webhook URLs/));
    expect(verification).not.toContain('PutSecretValue');
    // Verification only records results: no run-time change to a template's API destination.
    expect(verification).not.toContain('events:');
    expect(verification).not.toContain('TablesTenants');
  });

  it('refuses plain http webhooks outside dev unless the environment allows them', () => {
    expect(functionNamed(/^Verifies webhook URLs/)[1].Properties.Environment.Variables.ALLOW_HTTP_WEBHOOKS).toBe(
      'false',
    );
  });

  it('sweeps keys every 5 minutes and pending verifications every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Input: '{"action":"sweep"}' })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Input: '{"action":"sweep"}' })],
    });
  });

  it('names the onboarding provider so shard stacks can reach it without an export', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'partner-platform-prod-onboarding-provider',
    });
    expect(Object.keys(template.toJSON().Outputs ?? {})).toEqual([]);
  });
});
