/**
 * The local runtime's public shapes: what `startLocalRuntime` is given and
 * what it hands back.
 */
import type { CaughtMail, MailCatcher } from '../mail-catcher';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../lambda/core/clock';
import type { UrlPolicyOptions } from '../../lambda/core/url-policy';
import type { PlatformTableNames } from '../../lambda/repositories/platform-repositories';
import type { InMemorySecretStore } from '../../lambda/shared/secret-store';
import type { LocalApiGateway } from '../api-gateway';
import type { DeliveryReport, EventRejection, LocalEventBus } from '../event-bus';
import type { LocalEndpointHealth } from './endpoint-health';
import type { LocalFailures } from './failures';
import type { LocalProvisioning } from './provisioning';
import type { LocalUsage } from './usage';

export interface LocalRuntimeOptions {
  /** The synthesized cloud assembly. @default cdk.out */
  readonly assemblyDir?: string;
  /** Keep tables and generated secrets here across restarts. @default in memory */
  readonly dataDir?: string;
  /** The API's port; the EventBridge endpoint takes the next one. 0 picks free ports. @default 4000 */
  readonly port?: number;
  /** Configured webhook URL -> local URL. */
  readonly urlOverrides?: Readonly<Record<string, string>>;
  /** How often pending webhooks are verified. @default 2000 */
  readonly verificationIntervalMs?: number;
  /** How often the provisioner's full reconcile runs (every 15 minutes in AWS). @default 10000 */
  readonly reconcileIntervalMs?: number;
  /** EventBridge retry backoff, shortened in tests. @default 1000 */
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  readonly onDelivery?: (report: DeliveryReport) => void;
  /** Refuse and report events that break the event catalog (`npm run local -- --strict`). @default false */
  readonly strictEvents?: boolean;
  readonly onRejected?: (rejection: EventRejection) => void;
  /**
   * Also serve the partner portal (port N+2) with a local OIDC issuer (N+3)
   * and a test user. @default false
   */
  readonly portal?: boolean;
  /**
   * Run the DLQ consumer on the local EventBridge's dead-letter queues, as
   * AWS does: dead letters become failed deliveries (listed and replayed
   * through the APIs) and leave the queue. Off, they stay in the queue for
   * `npm run local -- dlq list|replay`. @default true
   */
  readonly deadLetterConsumer?: boolean;
  /**
   * The portal's test-event budget per org and minute, overriding the
   * template's TEST_EVENTS_PER_MINUTE (tests use a small one). @default the template's
   */
  readonly testEventsPerMinute?: number;
  /** How often the endpoint-health sweep runs (every 15 minutes in AWS). @default 60000 */
  readonly healthSweepIntervalMs?: number;
  /** Called with each message the portal's mail catcher receives (`npm run local -- --print-mail`). @default none */
  readonly onMail?: (mail: CaughtMail) => void;
  /** How often access-log lines are ingested as usage (CloudWatch Logs delivers within seconds). @default 1000 */
  readonly usageFlushIntervalMs?: number;
  /** Handler log level (Powertools). @default WARN */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly clock?: Clock;
}

export interface OnboardedPartner {
  readonly orgId: string;
  readonly orgName: string;
  readonly ownerEmail: string;
  readonly keyId: string;
  /** The initial key, present only on the start that issued it (never again). */
  readonly initialApiKey?: string;
  readonly webhooks: ReadonlyArray<{ readonly id: string; readonly url: string; readonly events: readonly string[] }>;
}

export interface AdminCredentials {
  readonly apiKey: string;
  /** A bearer token for `admin@<admin domain>`, valid for 12 hours from the runtime clock's now. */
  token(): Promise<string>;
  readonly email: string;
}

export interface LocalPortalEndpoints {
  readonly url: string;
  readonly issuerUrl: string;
  /** Sign in with this email at the local issuer (any password). */
  readonly testUserEmail: string;
  /** The mail catcher's page: the invitations the portal sent. */
  readonly mailUrl: string;
  readonly mailCatcher: MailCatcher;
}

export interface LocalRuntime {
  readonly apiUrl: string;
  /** Present when started with `portal: true`. */
  readonly portal?: LocalPortalEndpoints;
  readonly eventBridgeUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly platformBusName: string;
  readonly partners: readonly OnboardedPartner[];
  readonly admin: AdminCredentials;
  /** Where the admin API stores webhook secrets it generates (from the template). */
  readonly webhookSecretPrefix: string;
  readonly tables: PlatformTableNames;
  readonly doc: DynamoDBDocumentClient;
  readonly client: DynamoDBClient;
  readonly secrets: InMemorySecretStore;
  readonly bus: LocalEventBus;
  readonly gateway: LocalApiGateway;
  readonly urlPolicy: UrlPolicyOptions;
  readonly clock: Clock;
  /** Verifies every due pending webhook now (the runtime also does it on an interval). */
  verifyPendingWebhooks(): Promise<void>;
  /**
   * Runs onboarding's Delete for a partner, as a deploy does when its file is
   * removed: the tenant is disabled and its keys revoked (and the gateway's
   * authorizer cache flushed).
   */
  offboard(orgId: string): Promise<void>;
  /** The provisioner of run-time webhooks, when the assembly has one. */
  readonly provisioning?: LocalProvisioning;
  /** The DLQ consumer and its failed deliveries, when the assembly has one. */
  readonly failures?: LocalFailures;
  /** Usage counted from the local gateway's access log, when the assembly has a usage table. */
  readonly usage?: LocalUsage;
  /** The endpoint-health sweep, when the assembly has one. */
  readonly health?: LocalEndpointHealth;
  /** Stops the servers, the sweep and DynamoDB Local. Safe to call twice. */
  stop(): Promise<void>;
}
