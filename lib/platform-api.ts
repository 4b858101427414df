import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ADMIN_KEY_HEADER } from '../lambda/core/contracts';
import { DEFAULT_PARTNER_RATE_LIMIT, type RateLimitPolicy, emissionIntervalMicros } from '../lambda/core/rate-limit';
import { PARTNER_RATE_LIMIT_ENV } from '../lambda/repositories/org-rate-limit';
import { type ApiErrorCode, STATUS_OF } from '../lambda/api/http';
import { routes } from '../lambda/api/routes';
import type { RouteSpec } from '../lambda/api/route-table';
import { webhookSecretPrefix } from './config/naming';
import { ApiWebAcl } from './api-web-acl';
import { MAX_AUTHORIZER_CACHE_TTL, PartnerKeyAuthorizer } from './partner-key-authorizer';
import { type AuthorizerCacheTarget, PlatformFunction } from './platform-function';
import type { PlatformTables } from './platform-tables';

/** Who may call the admin API: the identity provider's tokens and the admin email domain. */
export interface AdminApiSettings {
  /** The `iss` every admin JWT must carry. */
  readonly issuer: string;
  /** The `aud` every admin JWT must carry. */
  readonly audience: string;
  /** Where the issuer publishes its signing keys (JWKS). */
  readonly jwksUri: string;
  /** Admin tokens must carry a verified `email` in exactly this domain, e.g. `example.com`. */
  readonly adminEmailDomain: string;
  /** Further domains accepted exactly, e.g. `ops.example.com`. @default none */
  readonly adminEmailSubdomains?: readonly string[];
  /** Oldest `iat` / `auth_time` accepted. @default 12 */
  readonly maxTokenAgeHours?: number;
  /** Longest `exp - iat` accepted. @default 12 */
  readonly maxTokenLifetimeHours?: number;
}

export interface ApiThrottleSettings {
  /** Steady requests per second, per stage method. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
}

export interface PlatformApiProps {
  /** Names the stage and the secret prefixes. */
  readonly environmentName: string;
  readonly tables: PlatformTables;
  /** Plain http:// webhook URLs are accepted in dev only. */
  readonly allowHttpWebhooks: boolean;
  readonly admin: AdminApiSettings;
  /** @default 50 requests per second, bursts of 100 */
  readonly throttle?: ApiThrottleSettings;
  /**
   * Each org's own limit on the partner API, on top of `throttle`: a token
   * bucket the partner API handler takes per call (so calls answered from
   * the authorizer cache count too), stored in the tenants table.
   * @default 10 requests per second, bursts of 20
   */
  readonly partnerRateLimit?: RateLimitPolicy;
  /** A WAF web ACL (managed common rules, per-IP rate rule) on the stage. @default false */
  readonly waf?: boolean;
  /**
   * How long API Gateway caches the authorizer's answer per API key. Revoke,
   * rotate and disable flush the cache, and the authorizer refuses keys that
   * end within this time, so no cached answer outlives a key. At most 30 seconds.
   * @default Duration.seconds(30)
   */
  readonly authorizerCacheTtl?: Duration;
}

/**
 * The admin and partner APIs: one REST API whose resources and methods come
 * from the route table in lambda/api/routes.ts, a stage named after the
 * environment with access logs and throttling, the partner REQUEST
 * authorizer, JSON gateway errors in the APIs' `{error: {code, message}}`
 * shape, and the admin API key secret.
 */
export class PlatformApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly adminFunction: PlatformFunction;
  public readonly partnerFunction: PlatformFunction;
  public readonly authorizerFunction: PlatformFunction;
  /** The same construct other APIs attach: one definition of the authorizer wiring. */
  public readonly partnerKeys: PartnerKeyAuthorizer;
  /** The shared admin API key; admins read it from here. */
  public readonly adminApiKeySecret: secretsmanager.Secret;
  /** The stage's access log, one `ACCESS_LOG_FORMAT` line per request: subscribed by `UsageAccounting`. */
  public readonly accessLogs: logs.LogGroup;
  /** The stage whose authorizer cache key changes flush (`PlatformFunction.bindAuthorizerCacheFlush`). */
  public readonly authorizerCache: AuthorizerCacheTarget;

  constructor(scope: Construct, id: string, props: PlatformApiProps) {
    super(scope, id);
    const cacheTtl = props.authorizerCacheTtl ?? MAX_AUTHORIZER_CACHE_TTL;
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    const env = props.environmentName;
    const { tables } = props;
    const common = { ENVIRONMENT_NAME: env, ALLOW_HTTP_WEBHOOKS: String(props.allowHttpWebhooks) };

    this.adminApiKeySecret = new secretsmanager.Secret(this, 'AdminApiKey', {
      description: `Admin API key of the ${env} partner platform (sent as ${ADMIN_KEY_HEADER})`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.adminApiKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The admin API key is rotated by the platform team together with the admins who hold it; an automatic rotation would lock them out.',
    });

    this.authorizerFunction = new PlatformFunction(this, 'Authorizer', {
      handler: 'authorizer',
      serviceName: 'partner-authorizer',
      description: 'Checks partner X-API-Key headers by hash for the partner API',
      timeout: Duration.seconds(10),
      // No cached answer may outlive a key: the authorizer refuses keys that end within one TTL.
      environment: { AUTHORIZER_CACHE_TTL_SECONDS: String(cacheTtl.toSeconds()) },
    })
      // One GetItem by the key's hash; the repository only needs the tenants table's name.
      .bindTable('API_KEYS_TABLE', tables.apiKeys, 'get');
    this.authorizerFunction.addEnvironment('TENANTS_TABLE', tables.tenants.tableName);

    this.adminFunction = new PlatformFunction(this, 'AdminApi', {
      handler: 'admin-api',
      serviceName: 'admin-api',
      description: 'Admin API: tenants, API keys and webhooks',
      environment: {
        ...common,
        WEBHOOK_SECRET_PREFIX: webhookSecretPrefix(env),
        ADMIN_API_KEY_SECRET_ARN: this.adminApiKeySecret.secretArn,
        ADMIN_JWT_ISSUER: props.admin.issuer,
        ADMIN_JWT_AUDIENCE: props.admin.audience,
        ADMIN_JWKS_URI: props.admin.jwksUri,
        ADMIN_EMAIL_DOMAIN: props.admin.adminEmailDomain,
        ADMIN_EMAIL_SUBDOMAINS: (props.admin.adminEmailSubdomains ?? []).join(','),
        ADMIN_MAX_TOKEN_AGE_SECONDS: String(Math.round((props.admin.maxTokenAgeHours ?? 12) * 3600)),
        ADMIN_MAX_TOKEN_LIFETIME_SECONDS: String(Math.round((props.admin.maxTokenLifetimeHours ?? 12) * 3600)),
      },
    })
      // Deletes webhooks (DELETE /tenants/{orgId}/webhooks/{id}); never deletes tenants or keys.
      .bindPlatformTables(tables, { tenants: 'write', apiKeys: 'write', webhooks: 'readWrite' })
      .allowOnNamePrefix({
        service: 'secretsmanager',
        resource: 'secret',
        namePrefix: webhookSecretPrefix(env),
        actions: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
        reason: 'Stores the secrets of webhooks admins create or change, all under one name prefix.',
      });
    this.adminApiKeySecret.grantRead(this.adminFunction);
    // Key usage is read with one Query per key and range; only the ingestion writes it.
    this.adminFunction.bindTable('USAGE_TABLE', tables.usage, 'read');

    const partnerRateLimit = props.partnerRateLimit ?? DEFAULT_PARTNER_RATE_LIMIT;
    try {
      emissionIntervalMicros(partnerRateLimit);
    } catch (error) {
      throw new Error(`${this.node.path}: partnerRateLimit: ${(error as Error).message}`, { cause: error });
    }
    this.partnerFunction = new PlatformFunction(this, 'PartnerApi', {
      handler: 'partner-api',
      serviceName: 'partner-api',
      description: 'Partner API: own tenant, credentials and webhook URLs',
      environment: {
        ...common,
        [PARTNER_RATE_LIMIT_ENV.requestsPerSecond]: String(partnerRateLimit.requestsPerSecond),
        [PARTNER_RATE_LIMIT_ENV.burst]: String(partnerRateLimit.burst),
      },
      // Keys and webhook URLs change (the tenant item holds the key pointer) and each call
      // takes its org's rate-limit bucket (an UpdateItem in the tenants table); nothing is deleted.
    })
      .bindPlatformTables(tables, { tenants: 'write', apiKeys: 'write', webhooks: 'write' })
      .bindTable('USAGE_TABLE', tables.usage, 'read');

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `partner-platform-${env}`,
      description: `Admin and partner APIs of the ${env} partner platform`,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Execution logs (ERROR level) need the account's API Gateway CloudWatch role.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: env,
        // Access logs: the platform's line, set by partnerKeys.attach below.
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      },
    });

    // The URL is exposed as `api.url`; no stack output, so shard stacks never depend on an export.
    this.api.node.tryRemoveChild('Endpoint');
    this.authorizerCache = { restApiId: this.api.restApiId, stageName: env, stageRegistry: tables.tenants };
    this.partnerFunction.bindAuthorizerCacheFlush(this.authorizerCache);

    this.partnerKeys = new PartnerKeyAuthorizer(this, 'PartnerKeyAuthorizer', {
      handler: this.authorizerFunction,
      cacheTtl,
      accessLogs: this.accessLogs,
    });
    this.partnerKeys.attach(this.api.deploymentStage);

    const validator = this.api.addRequestValidator('RequiredHeaders', {
      requestValidatorName: 'required-headers',
      validateRequestParameters: true,
      // Bodies are validated by the handlers' strict zod schemas (unknown fields -> 400).
      validateRequestBody: true,
    });
    this.addGatewayResponses();

    const partnerIntegration = new apigateway.LambdaIntegration(this.partnerFunction, { allowTestInvoke: false });
    const integrations: Record<RouteSpec['auth'], apigateway.LambdaIntegration> = {
      admin: new apigateway.LambdaIntegration(this.adminFunction, { allowTestInvoke: false }),
      partner: partnerIntegration,
      // Public routes are partner-facing data (the event catalog); the partner function serves them.
      public: partnerIntegration,
    };
    for (const [routeId, route] of Object.entries(routes) as [string, RouteSpec][]) {
      const resource = this.api.root.resourceForPath(route.path);
      const method = resource.addMethod(route.method, integrations[route.auth], {
        operationName: routeId,
        requestValidator: validator,
        ...this.authOptionsOf(route),
      });
      this.acknowledgeMethodFindings(method, route);
    }
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole !== undefined) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "API Gateway's own managed policy for the account's execution-log role; it only writes logs.",
      });
    }
    if (props.waf === true) {
      new ApiWebAcl(this, 'Waf', { stage: this.api.deploymentStage, name: `partner-platform-${env}-api` });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is off in this environment (`waf: false` in config/<env>.yaml; on in prod): partner calls need a valid API key (authorizer), admin calls a key and a JWT, and stage and per-partner throttling cap the rate.',
      });
    }
  }

  /**
   * API Gateway's own refusals in the APIs' JSON error shape. An unknown path
   * or method is MISSING_AUTHENTICATION_TOKEN (a 403 by default, which tells
   * a caller nothing true): here it is the 404 `not_found` the router gives.
   */
  private addGatewayResponses(): void {
    // [id, type, code, message]; the status is the code's, except that the two
    // defaults keep the status of whatever they stand in for.
    const responses: [string, apigateway.ResponseType, ApiErrorCode, string][] = [
      ['Unauthorized', apigateway.ResponseType.UNAUTHORIZED, 'unauthorized', 'Unauthorized'],
      ['AccessDenied', apigateway.ResponseType.ACCESS_DENIED, 'forbidden', 'Forbidden'],
      ['BadRequestParameters', apigateway.ResponseType.BAD_REQUEST_PARAMETERS, 'unauthorized', 'Unauthorized'],
      ['Throttled', apigateway.ResponseType.THROTTLED, 'throttled', 'Too many requests'],
      [
        'MissingAuthenticationToken',
        apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        'not_found',
        'No such route',
      ],
      ['ResourceNotFound', apigateway.ResponseType.RESOURCE_NOT_FOUND, 'not_found', 'No such route'],
      ['RequestTooLarge', apigateway.ResponseType.REQUEST_TOO_LARGE, 'payload_too_large', 'Request too large'],
      ['Default4xx', apigateway.ResponseType.DEFAULT_4XX, 'bad_request', 'Bad request'],
      ['Default5xx', apigateway.ResponseType.DEFAULT_5XX, 'internal_error', 'Internal server error'],
    ];
    const defaults: ReadonlySet<apigateway.ResponseType> = new Set([
      apigateway.ResponseType.DEFAULT_4XX,
      apigateway.ResponseType.DEFAULT_5XX,
    ]);
    for (const [id, type, code, message] of responses) {
      this.api.addGatewayResponse(id, {
        type,
        ...(defaults.has(type) ? {} : { statusCode: String(STATUS_OF[code]) }),
        templates: { 'application/json': JSON.stringify({ error: { code, message } }) },
      });
    }
  }

  /** Partner: the REQUEST authorizer on the key header. Admin: both headers required, checked in the handler. Public: nothing. */
  private authOptionsOf(route: RouteSpec): apigateway.MethodOptions {
    switch (route.auth) {
      case 'partner':
        return this.partnerKeys.methodOptions;
      case 'admin':
        return {
          requestParameters: {
            [`method.request.header.${ADMIN_KEY_HEADER}`]: true,
            'method.request.header.Authorization': true,
          },
        };
      case 'public':
        return { authorizationType: apigateway.AuthorizationType.NONE };
    }
  }

  private acknowledgeMethodFindings(method: apigateway.Method, route: RouteSpec): void {
    const reasons: Record<RouteSpec['auth'], { cognito: string; authorization?: string }> = {
      partner: {
        cognito: 'Partners authenticate with API keys checked by the Lambda REQUEST authorizer, not Cognito.',
      },
      admin: {
        cognito:
          "Admins authenticate in the handler with the admin API key and a JWT verified against the identity provider's JWKS.",
        authorization:
          "Admin routes are authorized in the admin handler (admin API key compared in constant time and a JWT verified against the issuer's JWKS, email in the admin domain); both headers are required by the request validator.",
      },
      public: {
        cognito: `${route.method} ${route.path} is public by design: it returns the event catalog, the same for every caller.`,
        authorization: `${route.method} ${route.path} is public by design (as the product's /v1/partner/config): it returns the event catalog, which names no partner and holds no secret, read-only and cacheable; stage throttling caps the rate.`,
      },
    };
    const { cognito, authorization } = reasons[route.auth];
    const validations = Validations.of(method);
    validations.acknowledge({ id: 'AwsSolutions-COG4', reason: cognito });
    if (authorization !== undefined) validations.acknowledge({ id: 'AwsSolutions-APIG4', reason: authorization });
  }
}
