/**
 * The PlatformApi construct in the platform stack: resources and methods
 * generated from the route table, the partner REQUEST authorizer, the stage
 * (access logs, throttling), JSON gateway errors and a clean cdk-nag run.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { routes } from '../../lambda/api/routes';
import { ACCESS_LOG_FORMAT } from '../../lambda/core/access-log';
import { PlatformApi } from '../../lib/platform-api';
import { PlatformKey } from '../../lib/platform-key';
import { PlatformStack } from '../../lib/platform-stack';
import { PlatformTables } from '../../lib/platform-tables';
import { actionsOf, statementsOfService } from '../support/iam-statements';
import { templateApp } from '../support/template-app';

const ADMIN = {
  issuer: 'https://idp.example.com/',
  audience: 'partner-platform-admin',
  jwksUri: 'https://idp.example.com/.well-known/jwks.json',
  adminEmailDomain: 'example.com',
};

function platform(): { app: App; stack: PlatformStack; template: Template } {
  const app = templateApp();
  const stack = new PlatformStack(app, 'Platform', {
    environmentName: 'stage',
    allowHttpWebhooks: false,
    platformBusName: 'partner-platform-stage',
    archiveRetention: Duration.days(14),
    adminApi: ADMIN,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

const { app, stack, template } = platform();
const ACKNOWLEDGED = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

/** The full path of every API Gateway resource, rebuilt from the template's parent links. */
function resourcePaths(): Map<string, string> {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const paths = new Map<string, string>();
  const pathOf = (logicalId: string): string => {
    const known = paths.get(logicalId);
    if (known !== undefined) return known;
    const { ParentId, PathPart } = resources[logicalId].Properties;
    const parent = ParentId['Fn::GetAtt'] ? '' : pathOf(ParentId.Ref);
    const full = `${parent}/${PathPart}`;
    paths.set(logicalId, full);
    return full;
  };
  for (const logicalId of Object.keys(resources)) pathOf(logicalId);
  return paths;
}

describe('PlatformApi', () => {
  it('has exactly one method per route of the route table, with the right integration and auth', () => {
    const paths = resourcePaths();
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((method: any) => ({
      method: method.Properties.HttpMethod,
      path: paths.get(method.Properties.ResourceId.Ref),
      auth: method.Properties.AuthorizationType,
      operation: method.Properties.OperationName,
    }));
    const expected = Object.entries(routes).map(([id, route]) => ({
      method: route.method,
      path: route.path,
      auth: route.auth === 'partner' ? 'CUSTOM' : 'NONE',
      operation: id,
    }));
    expect(methods).toHaveLength(expected.length);
    expect(methods).toEqual(expect.arrayContaining(expected));
  });

  it('sends partner routes through the REQUEST authorizer on X-API-Key with a cache of at most 30 s', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.X-API-Key',
      AuthorizerResultTtlInSeconds: 30,
    });
    const authorizerId = new Capture();
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      OperationName: 'authProbe',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
    expect(Object.keys(template.findResources('AWS::ApiGateway::Authorizer'))).toEqual([authorizerId.asString()]);
  });

  it('requires both admin headers on admin routes', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      OperationName: 'registerTenant',
      AuthorizationType: 'NONE',
      RequestParameters: {
        'method.request.header.X-Admin-API-Key': true,
        'method.request.header.Authorization': true,
      },
      RequestValidatorId: Match.anyValue(),
    });
  });

  it('lets exactly one method be called with no credential at all: GET /v1/partner/event-types', () => {
    const paths = resourcePaths();
    const open = Object.values(template.findResources('AWS::ApiGateway::Method'))
      .map((method: any) => method.Properties)
      .filter((props) => props.AuthorizationType === 'NONE')
      .filter((props) => !Object.values(props.RequestParameters ?? {}).includes(true))
      .map((props) => `${props.HttpMethod} ${paths.get(props.ResourceId.Ref)}`);
    expect(open).toEqual(['GET /v1/partner/event-types']);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      OperationName: 'listEventTypes',
      AuthorizationType: 'NONE',
      AuthorizerId: Match.absent(),
    });
  });

  it('acknowledges "no authorization" (APIG4) for the public method and for no partner method', () => {
    const acknowledgesApig4 = (method: apigateway.Method): boolean =>
      method.node.metadata.some(
        (entry) => entry.type === ACKNOWLEDGED && JSON.stringify(entry.data).includes('AwsSolutions-APIG4'),
      );
    const methods = stack.node
      .findAll()
      .filter((node): node is apigateway.Method => node instanceof apigateway.Method)
      .map((method) => ({ path: method.resource.path, apig4: acknowledgesApig4(method) }));
    const partnerPaths = new Set(
      Object.values(routes)
        .filter((route) => route.auth === 'partner')
        .map((route) => route.path),
    );
    expect(methods.find((method) => method.path === '/v1/partner/event-types')?.apig4).toBe(true);
    expect(methods.filter((method) => partnerPaths.has(method.path) && method.apig4)).toEqual([]);
  });

  it('names the stage after the environment, with access logs and throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'stage',
      // The platform's access-log line (lambda/core/access-log.ts), set through PartnerKeyAuthorizer.attach.
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: ACCESS_LOG_FORMAT },
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      ]),
    });
  });

  it('answers gateway refusals in the APIs JSON error shape', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseTemplates: {
        'application/json': JSON.stringify({ error: { code: 'unauthorized', message: 'Unauthorized' } }),
      },
    });
  });

  it.each<[string, string | undefined, string, string]>([
    ['MISSING_AUTHENTICATION_TOKEN', '404', 'not_found', 'No such route'],
    ['RESOURCE_NOT_FOUND', '404', 'not_found', 'No such route'],
    ['REQUEST_TOO_LARGE', '413', 'payload_too_large', 'Request too large'],
    ['THROTTLED', '429', 'throttled', 'Too many requests'],
    ['ACCESS_DENIED', '403', 'forbidden', 'Forbidden'],
    ['DEFAULT_4XX', undefined, 'bad_request', 'Bad request'],
    ['DEFAULT_5XX', undefined, 'internal_error', 'Internal server error'],
  ])('answers the gateway response %s with status %s and {error:{code:%s}}', (type, status, code, message) => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: status ?? Match.absent(),
      ResponseTemplates: { 'application/json': JSON.stringify({ error: { code, message } }) },
    });
  });

  it('gives the admin function the admin settings and the admin key secret', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Admin API: tenants, API keys and webhooks',
      Environment: {
        Variables: Match.objectLike({
          ADMIN_JWT_ISSUER: ADMIN.issuer,
          ADMIN_JWT_AUDIENCE: ADMIN.audience,
          ADMIN_JWKS_URI: ADMIN.jwksUri,
          ADMIN_EMAIL_DOMAIN: ADMIN.adminEmailDomain,
          ADMIN_API_KEY_SECRET_ARN: Match.anyValue(),
          // Admin tokens: at most 12 h old, at most 12 h long, no extra domains unless listed.
          ADMIN_EMAIL_SUBDOMAINS: '',
          ADMIN_MAX_TOKEN_AGE_SECONDS: '43200',
          ADMIN_MAX_TOKEN_LIFETIME_SECONDS: '43200',
        }),
      },
    });
  });

  it('passes listed admin subdomains and configured token limits to the admin function', () => {
    const app = templateApp();
    const custom = new PlatformStack(app, 'Custom', {
      environmentName: 'prod',
      allowHttpWebhooks: false,
      platformBusName: 'partner-platform-prod',
      archiveRetention: Duration.days(14),
      adminApi: { ...ADMIN, adminEmailSubdomains: ['ops.example.com'], maxTokenAgeHours: 1, maxTokenLifetimeHours: 2 },
    });
    Template.fromStack(custom).hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Admin API: tenants, API keys and webhooks',
      Environment: {
        Variables: Match.objectLike({
          ADMIN_EMAIL_SUBDOMAINS: 'ops.example.com',
          ADMIN_MAX_TOKEN_AGE_SECONDS: '3600',
          ADMIN_MAX_TOKEN_LIFETIME_SECONDS: '7200',
        }),
      },
    });
  });

  it('fails closed when no admin settings are given', () => {
    const bare = templateApp();
    const defaulted = new PlatformStack(bare, 'Platform', {
      environmentName: 'dev',
      allowHttpWebhooks: false,
      platformBusName: 'b',
      archiveRetention: Duration.days(1),
    });
    Template.fromStack(defaulted).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ADMIN_JWT_ISSUER: Match.stringLikeRegexp('\\.invalid/$') }) },
    });
  });

  it('gives the partner function each org limit: 10 per second, bursts of 20 by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Partner API: own tenant, credentials and webhook URLs',
      Environment: {
        Variables: Match.objectLike({ PARTNER_RATE_LIMIT_PER_SECOND: '10', PARTNER_RATE_LIMIT_BURST: '20' }),
      },
    });
  });

  it('passes a configured per-partner limit to the partner function, and refuses one no bucket can hold', () => {
    const limited = (partnerRateLimit: { requestsPerSecond: number; burst: number }) => {
      const scope = new Stack(templateApp(), 'S');
      const key = new PlatformKey(scope, 'Key', { environmentName: 'dev' });
      const tables = new PlatformTables(scope, 'Tables', { encryptionKey: key.key });
      new PlatformApi(scope, 'Api', {
        environmentName: 'dev',
        tables,
        allowHttpWebhooks: false,
        admin: ADMIN,
        partnerRateLimit,
      });
      return Template.fromStack(scope);
    };
    limited({ requestsPerSecond: 2.5, burst: 7 }).hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Partner API: own tenant, credentials and webhook URLs',
      Environment: {
        Variables: Match.objectLike({ PARTNER_RATE_LIMIT_PER_SECOND: '2.5', PARTNER_RATE_LIMIT_BURST: '7' }),
      },
    });
    expect(() => limited({ requestsPerSecond: 5, burst: 0 })).toThrow(
      'S/Api: partnerRateLimit: burst must be a whole number of at least 1, not 0',
    );
  });

  it('refuses an authorizer cache longer than 30 s, naming the construct', () => {
    const scope = new Stack(templateApp(), 'S');
    const key = new PlatformKey(scope, 'Key', { environmentName: 'dev' });
    const tables = new PlatformTables(scope, 'Tables', { encryptionKey: key.key });
    expect(
      () =>
        new PlatformApi(scope, 'Api', {
          environmentName: 'dev',
          tables,
          allowHttpWebhooks: false,
          admin: ADMIN,
          authorizerCacheTtl: Duration.seconds(31),
        }),
    ).toThrow('S/Api/PartnerKeyAuthorizer: cacheTtl is 31 s; at most 30 s');
  });

  it('lets exactly the functions that revoke or rotate keys flush the stages authorizer caches, and read the registry', () => {
    const flushers = ['partner-api', 'key-rotation', 'onboarding'];
    for (const service of [...flushers, 'admin-api', 'partner-authorizer', 'webhook-verification']) {
      const statements = statementsOfService(template, service);
      const flushes = statements.filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('apigateway:')),
      );
      if (!flushers.includes(service)) {
        expect({ service, flushes }).toEqual({ service, flushes: [] });
        continue;
      }
      expect(flushes).toHaveLength(1);
      expect(flushes[0].Action).toBe('apigateway:DELETE');
      // The platform stage and every stage attached by other stacks: the cache path and nothing else.
      expect(JSON.stringify(flushes[0].Resource)).toMatch(/::\/restapis\/\*\/stages\/\*\/cache\/authorizers"\]\]\}$/);
      const registryReads = statements.filter((statement) =>
        JSON.stringify(statement.Resource).includes('/index/byList'),
      );
      expect(registryReads).toEqual(expect.arrayContaining([expect.objectContaining({ Action: 'dynamodb:Query' })]));
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'partner-api',
          PARTNER_API_ID: { Ref: Match.stringLikeRegexp('^Api') },
          PARTNER_API_STAGE: 'stage',
          AUTHORIZER_STAGES_TABLE: { Ref: Match.stringLikeRegexp('^TablesTenants') },
        }),
      },
    });
  });

  it('tells the authorizer its cache TTL, so it refuses keys that end within one TTL', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'partner-authorizer',
          AUTHORIZER_CACHE_TTL_SECONDS: '30',
        }),
      },
    });
  });

  it('has no cdk-nag AwsSolutions findings', () => {
    expect(stack.node.path).toBe('Platform');
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
