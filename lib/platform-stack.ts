import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { routes } from '../lambda/api/routes';
import type { RouteSpec } from '../lambda/api/route-table';
import { DEFAULT_PARTNER_RATE_LIMIT, type RateLimitPolicy } from '../lambda/core/rate-limit';
import { PARTNER_RATE_LIMIT_ENV } from '../lambda/repositories/org-rate-limit';
import { DeadLetterConsumer } from './dead-letter-consumer';
import { EndpointHealthSweep } from './endpoint-health-sweep';
import { type AlarmTopicSettings, OperatorAlarmTopic } from './operator-alarm-topic';
import { PartnerEventBus } from './partner-event-bus';
import { PartnerPortal, type PartnerPortalSettings } from './partner-portal';
import { PlatformAlarms } from './platform-alarms';
import { type AdminApiSettings, PlatformApi } from './platform-api';
import { PlatformDashboard } from './platform-dashboard';
import { PlatformFunction } from './platform-function';
import { PlatformHandlers } from './platform-handlers';
import { PlatformKey } from './platform-key';
import { PlatformParameters } from './platform-parameters';
import { PlatformTables } from './platform-tables';
import { UsageAccounting } from './usage-accounting';
import { WebhookProvisioner, type WebhookProvisionerProps } from './webhook-provisioner';

export interface PlatformStackProps extends StackProps {
  readonly environmentName: string;
  readonly platformBusName: string;
  readonly archiveRetention: Duration;
  /** Plain http:// webhook URLs are verified in dev only. */
  readonly allowHttpWebhooks: boolean;
  /**
   * Admin API identity settings, from `config/<env>.yaml` through loadConfig.
   * @default settings that accept no token (fail closed)
   */
  readonly adminApi?: AdminApiSettings;
  /** AWS WAF on the API stage (`waf` in config/<env>.yaml). @default false */
  readonly waf?: boolean;
  /** Each org's partner API limit (`partnerApi.rateLimit`). @default 10 per second, bursts of 20 */
  readonly partnerRateLimit?: RateLimitPolicy;
  /** Live API keys per org and environment (`apiKey.maxActivePerEnvironment`). @default 1 */
  readonly maxActiveKeysPerEnvironment?: number;
  /** The partner portal's sign-in settings. @default no portal */
  readonly portal?: PartnerPortalSettings;
  /** Only test stacks pass DESTROY. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** How long failed deliveries stay listed and replayable. @default 14 */
  readonly failureRetentionDays?: number;
  /** Endpoint health: hours of nothing but failed deliveries before a webhook is disabled. @default 120 */
  readonly disableAfterHours?: number;
  /**
   * The provisioner of run-time webhooks, when `config/<env>.yaml` sets a
   * `runtime:` budget. @default none (only partner files deliver)
   */
  readonly provisioner?: Omit<WebhookProvisionerProps, 'environmentName' | 'tables' | 'allowHttpWebhooks'>;
  /**
   * Where alarms notify (`alarms` in config/<env>.yaml).
   * @default a created topic `partner-platform-<env>-alarms` with no subscriptions
   */
  readonly alarms?: AlarmTopicSettings;
}

/** The shared platform: key, tables, event bus, handlers, APIs and, when configured, the partner portal. */
export class PlatformStack extends Stack {
  public readonly key: PlatformKey;
  public readonly tables: PlatformTables;
  public readonly bus: PartnerEventBus;
  public readonly handlers: PlatformHandlers;
  public readonly api: PlatformApi;
  /** What APIs in other stacks read to attach `PartnerKeyAuthorizer.fromPlatform`. */
  public readonly partnerKeyParameters: PlatformParameters;
  /** Records the shards' dead letters as failed deliveries. */
  public readonly deadLetterConsumer: DeadLetterConsumer;
  /** Present when the environment configures `portal`. */
  public readonly portal?: PartnerPortal;
  /** Present when the environment configures a `runtime:` budget. */
  public readonly provisioner?: WebhookProvisioner;
  /** The topic every alarm of the environment notifies, the shards' included. */
  public readonly alarmTopic: OperatorAlarmTopic;
  public readonly alarms: PlatformAlarms;
  public readonly dashboard: PlatformDashboard;
  /** Per-key usage counted from the API's access logs. */
  public readonly usage: UsageAccounting;
  /** Endpoint health; present with the provisioner, which applies its verdicts to the rules. */
  public readonly endpointHealth?: EndpointHealthSweep;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    this.key = new PlatformKey(this, 'Encryption', {
      environmentName: props.environmentName,
      removalPolicy: props.removalPolicy,
    });
    this.tables = new PlatformTables(this, 'Tables', {
      encryptionKey: this.key.key,
      removalPolicy: props.removalPolicy,
      maxActiveKeysPerEnvironment: props.maxActiveKeysPerEnvironment,
    });
    this.bus = new PartnerEventBus(this, 'PartnerEvents', {
      eventBusName: props.platformBusName,
      archiveRetention: props.archiveRetention,
    });
    this.handlers = new PlatformHandlers(this, 'Handlers', {
      environmentName: props.environmentName,
      tables: this.tables,
      allowHttpWebhooks: props.allowHttpWebhooks,
    });
    this.api = new PlatformApi(this, 'Api', {
      environmentName: props.environmentName,
      tables: this.tables,
      allowHttpWebhooks: props.allowHttpWebhooks,
      admin: props.adminApi ?? UNCONFIGURED_ADMIN_API,
      waf: props.waf ?? false,
      partnerRateLimit: props.partnerRateLimit,
    });
    this.usage = new UsageAccounting(this, 'Usage', { tables: this.tables });
    this.usage.subscribe('PlatformApiAccessLogs', this.api.accessLogs);
    this.partnerKeyParameters = new PlatformParameters(this, 'PartnerKeyParameters', {
      environmentName: props.environmentName,
      authorizerFunction: this.api.authorizerFunction,
      tenantsTable: this.tables.tenants,
      encryptionKey: this.key.key,
      usageIngestFunction: this.usage.ingestFunction,
    });
    this.deadLetterConsumer = new DeadLetterConsumer(this, 'DeadLetters', {
      environmentName: props.environmentName,
      tables: this.tables,
      retentionDays: props.failureRetentionDays,
    });
    this.deadLetterConsumer.grantReplay(this.api.adminFunction);
    this.deadLetterConsumer.grantReplay(this.api.partnerFunction);
    // Everything that revokes or rotates keys drops the partner API's cached authorizer answers at once.
    this.handlers.rotation.bindAuthorizerCacheFlush(this.api.authorizerCache);
    this.handlers.onboarding.bindAuthorizerCacheFlush(this.api.authorizerCache);
    if (props.provisioner) {
      this.provisioner = new WebhookProvisioner(this, 'Provisioner', {
        ...props.provisioner,
        environmentName: props.environmentName,
        tables: this.tables,
        allowHttpWebhooks: props.allowHttpWebhooks,
      });
      this.endpointHealth = new EndpointHealthSweep(this, 'EndpointHealth', {
        environmentName: props.environmentName,
        tables: this.tables,
        platformBus: this.bus.eventBus,
        shardCount: props.provisioner.shardCount,
        disableAfterHours: props.disableAfterHours,
      });
    }
    if (props.portal) {
      this.portal = new PartnerPortal(this, 'Portal', {
        ...props.portal,
        environmentName: props.environmentName,
        tables: this.tables,
        encryptionKey: this.key.key,
        allowHttpWebhooks: props.allowHttpWebhooks,
        platformBus: this.bus.eventBus,
      });
      this.portal.function.bindAuthorizerCacheFlush(this.api.authorizerCache);
      // "View usage": one Query per key and range, and the partner API's limit to show beside it.
      this.portal.function.bindTable('USAGE_TABLE', this.tables.usage, 'read');
      const limit = props.partnerRateLimit ?? DEFAULT_PARTNER_RATE_LIMIT;
      this.portal.function.addEnvironment(PARTNER_RATE_LIMIT_ENV.requestsPerSecond, String(limit.requestsPerSecond));
      this.portal.function.addEnvironment(PARTNER_RATE_LIMIT_ENV.burst, String(limit.burst));
      // The failed-deliveries page lists and replays through the same service and grants as the APIs.
      this.deadLetterConsumer.grantReplay(this.portal.function);
    }
    this.alarmTopic = new OperatorAlarmTopic(this, 'AlarmTopic', {
      ...props.alarms,
      environmentName: props.environmentName,
    });
    const functions = PlatformFunction.allIn(this);
    this.alarms = new PlatformAlarms(this, 'Alarms', {
      environmentName: props.environmentName,
      api: this.api.api,
      functions,
      deadLetterConsumer: this.deadLetterConsumer.function,
      platformBusName: props.platformBusName,
      action: this.alarmTopic.alarmAction,
    });
    this.dashboard = new PlatformDashboard(this, 'Dashboard', {
      environmentName: props.environmentName,
      api: this.api.api,
      routes: Object.values(routes) as RouteSpec[],
      authorizer: this.api.authorizerFunction,
      deadLetterConsumer: this.deadLetterConsumer.function,
      functions,
      platformBusName: props.platformBusName,
      portal: this.portal?.function,
    });
  }
}

/** Until the identity provider is configured, no admin token can verify (`.invalid` never resolves). */
const UNCONFIGURED_ADMIN_API: AdminApiSettings = {
  issuer: 'https://admin-idp.invalid/',
  audience: 'partner-platform-admin',
  jwksUri: 'https://admin-idp.invalid/.well-known/jwks.json',
  adminEmailDomain: 'admin-domain.invalid',
};
