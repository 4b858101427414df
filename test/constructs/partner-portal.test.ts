import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PartnerPortalSettings } from '../../lib/partner-portal';
import { PlatformStack } from '../../lib/platform-stack';
import { templateApp } from '../support/template-app';

const settings: PartnerPortalSettings = {
  issuer: 'https://login.partner-platform.example/',
  clientId: 'partner-portal-dev',
};

function platformApp(portal?: PartnerPortalSettings, allowHttpWebhooks = false): { app: App; stack: PlatformStack } {
  const app = templateApp();
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: 'dev',
    allowHttpWebhooks,
    platformBusName: 'partner-platform-dev',
    archiveRetention: Duration.days(14),
    portal,
  });
  return { app, stack };
}

const portalTemplate = (portal?: PartnerPortalSettings, allowHttpWebhooks = false) =>
  Template.fromStack(platformApp(portal, allowHttpWebhooks).stack);

function only<T>(entries: Record<string, T>): [string, T] {
  const all = Object.entries(entries);
  expect(all).toHaveLength(1);
  return all[0];
}

const portalFunction = (template: Template) =>
  only(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^Partner portal') },
    }),
  );

const secretNamed = (template: Template, name: string) =>
  only(template.findResources('AWS::SecretsManager::Secret', { Properties: { Name: name } }));

const logicalIdOf = (template: Template, type: string, prefix: string) =>
  only(
    Object.fromEntries(
      Object.entries(template.findResources(type)).filter(([logicalId]) => logicalId.startsWith(prefix)),
    ),
  )[0];

/** Every statement of the policies attached to the portal function's role. */
function portalStatements(template: Template): any[] {
  const [, fn] = portalFunction(template);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

const HOUSE_VARIABLES = [
  'NODE_OPTIONS',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_SERVICE_NAME',
];
const PORTAL_VARIABLES = [
  'TENANTS_TABLE',
  'API_KEYS_TABLE',
  'WEBHOOKS_TABLE',
  'PORTAL_ISSUER_URL',
  'PORTAL_CLIENT_ID',
  'PORTAL_CLIENT_SECRET_ID',
  'PORTAL_SESSION_SECRET_ID',
  'ALLOW_HTTP_WEBHOOKS',
  'WEBHOOK_SECRET_PREFIX',
  'PORTAL_BASE_URL_SOURCE',
  'PARTNER_API_ID',
  'PARTNER_API_STAGE',
  // The stages that attach PartnerKeyAuthorizer, flushed with the partner API's.
  'AUTHORIZER_STAGES_TABLE',
  'PLATFORM_BUS_NAME',
  'TEST_EVENTS_PER_MINUTE',
  // The failed-deliveries page (DeadLetterConsumer.grantReplay, as the APIs get it).
  'FAILED_DELIVERIES_TABLE',
  'ENVIRONMENT_NAME',
  'FAILURE_RETENTION_DAYS',
  // The "View usage" page: the usage table (read only) and the partner API's limit it shows.
  'USAGE_TABLE',
  'PARTNER_RATE_LIMIT_PER_SECOND',
  'PARTNER_RATE_LIMIT_BURST',
  // The API Keys page applies the environment's key policy (apiKey.maxActivePerEnvironment).
  'API_KEY_MAX_ACTIVE_PER_ENVIRONMENT',
];

describe('PartnerPortal', () => {
  describe('without a portal block', () => {
    const template = portalTemplate();

    it('deploys no portal function, Function URL, secret or output', () => {
      expect(template.findResources('AWS::Lambda::Url')).toEqual({});
      expect(
        template.findResources('AWS::Lambda::Function', {
          Properties: { Description: Match.stringLikeRegexp('^Partner portal') },
        }),
      ).toEqual({});
      expect(
        template.findResources('AWS::SecretsManager::Secret', {
          Properties: { Name: Match.stringLikeRegexp('/portal/') },
        }),
      ).toEqual({});
      expect(template.toJSON().Outputs).toBe(undefined);
      expect(JSON.stringify(template.toJSON())).not.toMatch(/PORTAL_/);
    });
  });

  describe('with a portal block', () => {
    const template = portalTemplate(settings);
    const [, fn] = portalFunction(template);
    const variables = fn.Properties.Environment.Variables;

    it('runs the portal handler as a house function: Node 22, arm64, JSON logs in its own retained log group', () => {
      expect(fn.Properties).toEqual(
        expect.objectContaining({
          Handler: 'index.handler',
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          MemorySize: 512,
          Timeout: 15,
          LoggingConfig: expect.objectContaining({ LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } }),
        }),
      );
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 90 },
        DeletionPolicy: 'Retain',
      });
      expect(fn.Properties.LoggingConfig.LogGroup.Ref).toMatch(/^PortalFunctionLogs/);
    });

    it('sets exactly the portal environment variables, secrets by reference only', () => {
      expect(Object.keys(variables).sort()).toEqual([...HOUSE_VARIABLES, ...PORTAL_VARIABLES].sort());
      expect(variables).toEqual(
        expect.objectContaining({
          PORTAL_ISSUER_URL: 'https://login.partner-platform.example/',
          PORTAL_CLIENT_ID: 'partner-portal-dev',
          PORTAL_CLIENT_SECRET_ID: {
            Ref: secretNamed(template, 'partner-platform/dev/portal/oidc-client-secret')[0],
          },
          PORTAL_SESSION_SECRET_ID: { Ref: secretNamed(template, 'partner-platform/dev/portal/session-secret')[0] },
          TENANTS_TABLE: { Ref: logicalIdOf(template, 'AWS::DynamoDB::Table', 'TablesTenants') },
          API_KEYS_TABLE: { Ref: logicalIdOf(template, 'AWS::DynamoDB::Table', 'TablesApiKeys') },
          WEBHOOKS_TABLE: { Ref: logicalIdOf(template, 'AWS::DynamoDB::Table', 'TablesWebhooks') },
          ALLOW_HTTP_WEBHOOKS: 'false',
          WEBHOOK_SECRET_PREFIX: 'partner-platform/dev/webhooks/',
          PLATFORM_BUS_NAME: { Ref: logicalIdOf(template, 'AWS::Events::EventBus', 'PartnerEvents') },
          TEST_EVENTS_PER_MINUTE: '10',
          FAILED_DELIVERIES_TABLE: { Ref: logicalIdOf(template, 'AWS::DynamoDB::Table', 'TablesFailedDeliveries') },
          ENVIRONMENT_NAME: 'dev',
          FAILURE_RETENTION_DAYS: '14',
        }),
      );
    });

    it('may put test events on the platform bus and replays on the shard buses only, with no other EventBridge action', () => {
      const statements = portalStatements(template);
      const eventStatements = statements.filter((s) => JSON.stringify(s.Action).includes('events:'));
      expect(eventStatements).toEqual([
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Events::EventBus', 'PartnerEvents'), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::Join': ['', expect.arrayContaining([':event-bus/partner-platform-dev-shard-*'])] },
        },
      ]);
    });

    it('names its base URL: the custom domain when configured, else its own Function URL (never a Host header)', () => {
      expect(variables.PORTAL_BASE_URL).toBeUndefined();
      expect(variables.PORTAL_BASE_URL_SOURCE).toBe('function-url');
      const custom = portalTemplate({ ...settings, baseUrl: 'https://portal.partner-platform.example' });
      const customVariables = portalFunction(custom)[1].Properties.Environment.Variables;
      expect(customVariables.PORTAL_BASE_URL).toBe('https://portal.partner-platform.example');
      expect(customVariables.PORTAL_BASE_URL_SOURCE).toBeUndefined();
    });

    it('allows plain http webhook URLs only where the environment does', () => {
      const dev = portalTemplate(settings, true);
      expect(portalFunction(dev)[1].Properties.Environment.Variables.ALLOW_HTTP_WEBHOOKS).toBe('true');
    });

    it('keeps the OIDC client secret and the session secret under the portal prefix, KMS-encrypted, generated, retained', () => {
      for (const name of ['oidc-client-secret', 'session-secret']) {
        const [, secret] = secretNamed(template, `partner-platform/dev/portal/${name}`);
        expect(secret.DeletionPolicy).toBe('Retain');
        expect(secret.Properties.SecretString).toBeUndefined();
        expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EncryptionKey/), 'Arn'] });
        expect(secret.Properties.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true });
        expect(secret.Properties.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(48);
      }
    });

    it('lets the function read exactly its two secrets, write webhook secrets by prefix, and use the platform tables', () => {
      const statements = portalStatements(template);
      const clientSecret = secretNamed(template, 'partner-platform/dev/portal/oidc-client-secret')[0];
      const sessionSecret = secretNamed(template, 'partner-platform/dev/portal/session-secret')[0];
      const writesWebhookSecrets = (s: any) =>
        JSON.stringify(s.Resource).includes(':secret:partner-platform/dev/webhooks/*');
      const webhookStatements = statements.filter(writesWebhookSecrets);
      expect(webhookStatements).toHaveLength(1);
      expect([...webhookStatements[0].Action].sort()).toEqual([
        'secretsmanager:CreateSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:TagResource',
      ]);
      const secretStatements = statements.filter(
        (s) => JSON.stringify(s.Action).includes('secretsmanager:') && !writesWebhookSecrets(s),
      );
      expect(secretStatements.map((s) => s.Resource).sort((a, b) => a.Ref.localeCompare(b.Ref))).toEqual(
        [{ Ref: clientSecret }, { Ref: sessionSecret }].sort((a, b) => a.Ref.localeCompare(b.Ref)),
      );
      for (const statement of secretStatements) {
        expect([...statement.Action].sort()).toEqual([
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
        ]);
      }

      const tableIds = [
        'TablesTenants',
        'TablesApiKeys',
        'TablesWebhooks',
        'TablesFailedDeliveries',
        'TablesUsage',
      ].map((prefix) => logicalIdOf(template, 'AWS::DynamoDB::Table', prefix));
      const dynamoStatements = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
      const dynamoResources = JSON.stringify(dynamoStatements.map((s) => s.Resource));
      for (const tableId of tableIds) expect(dynamoResources).toContain(`"${tableId}"`);
      const referenced = [...dynamoResources.matchAll(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/g)].map((m) => m[1]);
      expect(new Set(referenced)).toEqual(new Set(tableIds));

      const kmsStatements = statements.filter((s) => JSON.stringify(s.Action).includes('kms:'));
      for (const statement of kmsStatements) {
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EncryptionKey/), 'Arn'] });
      }

      const services = new Set(statements.flatMap((s) => [s.Action].flat()).map((a: string) => a.split(':')[0]));
      expect([...services].sort()).toEqual(['apigateway', 'dynamodb', 'events', 'kms', 'secretsmanager']);
      // Rotating a key in the portal flushes the partner API's authorizer cache, and may do nothing else there.
      const apigateway = statements.filter((s) => JSON.stringify(s.Action).includes('apigateway:'));
      expect(apigateway.map((s) => s.Action)).toEqual(['apigateway:DELETE']);
      // Every attached stage's authorizer cache (registered in the tenants table), and nothing else.
      expect(JSON.stringify(apigateway[0].Resource)).toMatch(/::\/restapis\/\*\/stages\/\*\/cache\/authorizers"/);
      for (const statement of statements) expect(statement.Resource).not.toBe('*');
    });

    it('serves the portal from a Function URL without IAM auth (the portal signs users in with OIDC), and outputs it', () => {
      const [fnId] = portalFunction(template);
      template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'NONE',
        TargetFunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Cors: Match.absent(),
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      });
      const urlId = only(template.findResources('AWS::Lambda::Url'))[0];
      template.hasOutput('PortalUrl', {
        Value: { 'Fn::GetAtt': [urlId, 'FunctionUrl'] },
        Description: Match.stringLikeRegexp('signs partners in itself \\(OIDC\\)'),
        Export: Match.absent(),
      });
    });

    it('puts no secret value in the template', () => {
      const text = JSON.stringify(template.toJSON());
      expect(text).not.toMatch(/"SecretString"/);
      expect(text).not.toMatch(/resolve:secretsmanager/);
      const logicalIds = new Set(Object.keys(template.toJSON().Resources));
      const suspicious = [...text.matchAll(/"([A-Za-z0-9]{40,})"/g)].map((m) => m[1]).filter((s) => !logicalIds.has(s));
      expect(suspicious).toEqual([]);
    });

    it('has zero unacknowledged cdk-nag AwsSolutions findings', () => {
      const { app } = platformApp(settings);
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    });
  });

  describe('with mail', () => {
    const mail = { sender: 'no-reply@partners.example.com', configurationSet: 'portal-mail' };

    it('without mail sets no sender and grants no SES action', () => {
      const template = portalTemplate(settings);
      const [, fn] = portalFunction(template);
      expect(fn.Properties.Environment.Variables.MAIL_SENDER).toBeUndefined();
      expect(JSON.stringify(portalStatements(template))).not.toContain('ses:');
    });

    it('sets the sender and configuration set, and allows ses:SendEmail on that identity and set, from that address only', () => {
      const template = portalTemplate({ ...settings, mail });
      const [, fn] = portalFunction(template);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        MAIL_SENDER: 'no-reply@partners.example.com',
        MAIL_CONFIGURATION_SET: 'portal-mail',
      });
      const ses = portalStatements(template).filter((s) => JSON.stringify(s.Action).includes('ses:'));
      expect(ses).toHaveLength(1);
      expect(ses[0].Action).toBe('ses:SendEmail');
      expect(ses[0].Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@partners.example.com' } });
      const resources = JSON.stringify(ses[0].Resource);
      expect(resources).toContain(':identity/no-reply@partners.example.com"');
      expect(resources).toContain(':identity/partners.example.com"');
      expect(resources).toContain(':configuration-set/portal-mail"');
      expect(ses[0].Resource).toHaveLength(3);
      expect(resources).not.toContain('*');
    });

    it('without a configuration set grants the identity only', () => {
      const template = portalTemplate({ ...settings, mail: { sender: mail.sender } });
      const [, fn] = portalFunction(template);
      expect(fn.Properties.Environment.Variables.MAIL_CONFIGURATION_SET).toBeUndefined();
      const ses = portalStatements(template).filter((s) => JSON.stringify(s.Action).includes('ses:'));
      expect(JSON.stringify(ses[0].Resource)).not.toContain('configuration-set');
    });

    it('has zero unacknowledged cdk-nag AwsSolutions findings', () => {
      const { app } = platformApp({ ...settings, mail });
      expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    });
  });
});
