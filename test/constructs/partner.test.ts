import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

describe('Partner', () => {
  const root = workspaceWithPartners([
    { orgId: 'initech', webhooks: [{ id: 'security', events: ['TempKeyUsed'] }, { id: 'devices' }] },
  ]);
  const { platformApp } = synthesize(loadWorkspace(root));
  // Every shard has a stack when a run-time budget is configured; this one holds the partner.
  const stack = platformApp.shards.find((shard) => shard.partners.length > 0)!;
  const template = Template.fromStack(stack);

  /** The logical id of the one resource of `type` whose id starts with `prefix`. */
  const logicalId = (type: string, prefix: string): string => {
    const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return ids[0];
  };

  it('creates four resources per webhook (secret, connection, destination, rule) and nothing per partner in shared policies', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.resourceCountIs('AWS::Events::Connection', 2);
    template.resourceCountIs('AWS::Events::ApiDestination', 2);
    const webhookRules = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (rule: any) => !String(rule.Properties.Name).includes('-route-'),
    );
    expect(webhookRules).toHaveLength(2);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 1);
  });

  it("gives a webhook one rule that matches exactly its orgId and subscribed types from the type's own source", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Description: 'partner-platform webhook initech/security',
      EventPattern: { source: ['spk.api'], 'detail-type': ['TempKeyUsed'], detail: { partnerId: ['initech'] } },
      State: 'ENABLED',
      Targets: [
        {
          Id: 'webhook',
          Arn: { 'Fn::GetAtt': [logicalId('AWS::Events::ApiDestination', 'PartnerinitechWebhooksecurity'), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardInvocationRole'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShardDeadLetterQueue'), 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: Match.anyValue(), MaximumRetryAttempts: Match.anyValue() },
        },
      ],
    });
  });

  it.each(['security', 'devices'])(
    'chains the %s webhook: rule -> its own destination -> its own connection -> its own secret',
    (webhookId) => {
      const prefix = `PartnerinitechWebhook${webhookId}`;
      const [rule] = Object.values(
        template.findResources('AWS::Events::Rule', {
          Properties: { Description: `partner-platform webhook initech/${webhookId}` },
        }),
      ) as any[];
      expect(rule.Properties.EventPattern.detail.partnerId).toEqual(['initech']);
      expect(rule.Properties.Targets).toHaveLength(1);
      expect(rule.Properties.Targets[0].Arn).toEqual({
        'Fn::GetAtt': [logicalId('AWS::Events::ApiDestination', prefix), 'Arn'],
      });
      const destination =
        template.findResources('AWS::Events::ApiDestination')[logicalId('AWS::Events::ApiDestination', prefix)];
      expect(destination.Properties).toEqual(
        expect.objectContaining({
          HttpMethod: 'POST',
          InvocationEndpoint: `https://initech.example/hooks/${webhookId}`,
          ConnectionArn: { 'Fn::GetAtt': [logicalId('AWS::Events::Connection', prefix), 'Arn'] },
        }),
      );
      const connection =
        template.findResources('AWS::Events::Connection')[logicalId('AWS::Events::Connection', prefix)];
      expect(JSON.stringify(connection.Properties.AuthParameters.ApiKeyAuthParameters.ApiKeyValue)).toContain(
        `{"Ref":"${logicalId('AWS::SecretsManager::Secret', prefix)}"}`,
      );
    },
  );

  it('tags every taggable partner resource with its orgId', () => {
    for (const type of ['AWS::SecretsManager::Secret', 'AWS::Events::Rule']) {
      const resources = Object.values(template.findResources(type)).filter(
        (r: any) => !String(r.Properties.Name ?? '').includes('-route-'),
      );
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources as any[]) {
        expect(resource.Properties.Tags).toEqual(
          expect.arrayContaining([{ Key: 'partner-platform:org-id', Value: 'initech' }]),
        );
      }
    }
  });

  it('names the orgId in the description of resources that cannot carry tags', () => {
    for (const type of ['AWS::Events::Connection', 'AWS::Events::ApiDestination']) {
      for (const resource of Object.values(template.findResources(type)) as any[]) {
        expect(resource.Properties.Description).toMatch(/^partner-platform webhook initech\/(security|devices)$/);
      }
    }
  });

  it('derives logical ids from orgId and webhook id, not list positions', () => {
    const ids = Object.keys(template.findResources('AWS::Events::Rule'));
    expect(ids).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PartnerinitechWebhooksecurityRule[0-9A-F]{8}$/),
        expect.stringMatching(/^PartnerinitechWebhookdevicesRule[0-9A-F]{8}$/),
      ]),
    );
  });
});

describe('Partner onboarding', () => {
  const root = workspaceWithPartners([{ orgId: 'acme-corp', webhooks: [{ id: 'primary', events: ['KeyAdded'] }] }]);
  const { platformApp } = synthesize(loadWorkspace(root));
  const template = Template.fromStack(platformApp.shards.find((shard) => shard.partners.length > 0)!);

  it('has one onboarding custom resource per partner, served by the platform provider by name', () => {
    template.resourceCountIs('Custom::PartnerOnboarding', 1);
    template.hasResource('Custom::PartnerOnboarding', {
      DeletionPolicy: 'Delete',
      Properties: {
        ServiceToken: {
          'Fn::Join': ['', Match.arrayWith([':function:partner-platform-dev-onboarding-provider'])],
        },
        orgId: 'acme-corp',
        orgName: 'Org acme-corp',
        ownerEmail: 'owner@acme-corp.example',
        apiKeyValidityDays: '365',
        rotationGraceHours: '24',
        webhooks: [
          {
            id: 'primary',
            url: 'https://acme-corp.example/hooks/primary',
            events: ['KeyAdded'],
            secretArn: { Ref: Match.stringLikeRegexp('^PartneracmecorpWebhookprimarySecret') },
            connectionName: Match.stringLikeRegexp('^pp-dev-s\\d{3}-acme-corp-primary-[0-9a-f]{8}$'),
            apiDestinationName: Match.stringLikeRegexp('^pp-dev-s\\d{3}-acme-corp-primary-[0-9a-f]{8}$'),
          },
        ],
      },
    });
  });

  it('names the webhook secret under the prefix the handlers are granted', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'partner-platform/dev/webhooks/acme-corp/primary',
    });
  });
});
