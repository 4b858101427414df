/**
 * A provisioner over real parts: the webhooks and tenants repositories in
 * DynamoDB Local, the local EventBridge control plane behind HTTP with the
 * real EventBridge client, the real verification handler and challenge
 * sender (loopback allowed, tests only), and webhook receivers on 127.0.0.1.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { systemClock } from '../../lambda/core/clock';
import { platformBusName, shardBusName } from '../../lambda/core/delivery-names';
import type { DeliveryTopology, ProvisioningLimits } from '../../lambda/core/provisioning';
import { createWebhook, type WebhookSource } from '../../lambda/core/webhooks';
import { type Provisioner, createProvisioner } from '../../lambda/provisioner/provisioner';
import { repositoriesFor, type PlatformRepositories } from '../../lambda/repositories/platform-repositories';
import type { StoredWebhook } from '../../lambda/repositories/webhooks-repository';
import { InMemorySecretStore } from '../../lambda/shared/secret-store';
import { WEBHOOK_SECRET_HEADER } from '../../lambda/shared/webhook-headers';
import { RepositoryWebhookStore, SecretStoreReader } from '../../lambda/verification/adapters';
import { ChallengeSender } from '../../lambda/verification/send-challenge';
import { createVerificationHandler } from '../../lambda/verification/verification-handler';
import { catalogSources, webhookEventPattern } from '../../lambda/core/event-catalog';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import type { EventBridgeLimits } from '../../local/eventbridge-store';
import type { IntegDynamoDb } from '../support/integ-dynamodb';
import { type LocalControlPlane, startLocalControlPlane } from '../support/local-control-plane';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';
import { CapturingLogger } from '../verification/fakes';
import { type Receiver, respondBySignature, startReceiver } from '../verification/receiver';

export const SOURCES = catalogSources(PLATFORM_EVENT_CATALOG);
export const SHARD_COUNT = 2;

export const TOPOLOGY: DeliveryTopology = {
  env: 'dev',
  shardCount: SHARD_COUNT,
  runtimeRoutesPerShard: 1,
  platformBusName: platformBusName('dev'),
  sources: SOURCES,
  partition: 'aws',
  region: 'eu-west-1',
  account: '111111111111',
  retryPolicy: { maxEventAgeSeconds: 3600, retryAttempts: 20 },
  rateLimitPerSecond: 10,
  secretHeaderName: WEBHOOK_SECRET_HEADER,
};

export const LIMITS: ProvisioningLimits = {
  rulesPerEventBus: 300,
  eventPatternMaxChars: 2048,
  apiDestinationsPerAccount: 3000,
  connectionsPerAccount: 3000,
  maxRuntimeWebhooks: 500,
  maxRuntimeWebhooksPerShard: 100,
};

export interface ProvisionerWorld {
  readonly repositories: PlatformRepositories;
  readonly secrets: InMemorySecretStore;
  readonly plane: LocalControlPlane;
  readonly logger: CapturingLogger;
  /** A provisioner over `client` (default: a fresh client of the plane). */
  provisioner(client?: EventBridgeClient): Provisioner;
  tenant(orgId: string, status?: 'active' | 'disabled'): Promise<void>;
  /** A webhook as the admin API records it (pending, with its secret), pointing at a receiver that answers the challenge. */
  webhook(
    orgId: string,
    options?: { events?: string[]; source?: WebhookSource; webhookId?: string },
  ): Promise<StoredWebhook>;
  /** A receiver that answers challenges signed with the world's secret. */
  receiver(): Promise<Receiver>;
  close(): Promise<void>;
}

export const WEBHOOK_SECRET = 'whk-Provisioner-Test-Secret-0123456789';

export async function createProvisionerWorld(
  ddb: IntegDynamoDb,
  options: { limits?: Partial<ProvisioningLimits>; storeLimits?: Partial<EventBridgeLimits>; label?: string } = {},
): Promise<ProvisionerWorld> {
  const tables: PlatformTableNames = await createPlatformTables(ddb.client, options.label ?? 'prov');
  const repositories = repositoriesFor(ddb.doc, tables, systemClock);
  const secrets = new InMemorySecretStore();
  const buses = [TOPOLOGY.platformBusName, ...Array.from({ length: SHARD_COUNT }, (_, s) => shardBusName('dev', s))];
  const plane = await startLocalControlPlane({ buses, limits: options.storeLimits });
  const logger = new CapturingLogger();
  const sender = new ChallengeSender({ allowHttp: true, allowLoopback: true, timeoutMs: 2000 });
  const verification = createVerificationHandler({
    store: new RepositoryWebhookStore(repositories.webhooks),
    secrets: new SecretStoreReader(secrets),
    transport: sender,
    clock: systemClock,
    logger,
  });
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const started = await startReceiver({ secret: WEBHOOK_SECRET, respond: respondBySignature });
    receivers.push(started);
    return started;
  };
  return {
    repositories,
    secrets,
    plane,
    logger,
    provisioner: (client = plane.client()) =>
      createProvisioner({
        eventBridge: client,
        repositories,
        secrets,
        clock: systemClock,
        settings: {
          topology: TOPOLOGY,
          limits: { ...LIMITS, ...options.limits },
          patternOf: (orgId, events) => webhookEventPattern(orgId, events, PLATFORM_EVENT_CATALOG),
        },
        verify: (orgId, webhookId) => verification({ orgId, webhookId }),
        logger,
      }),
    tenant: async (orgId, status = 'active') => {
      await repositories.tenants.create({ orgId, orgName: orgId, ownerEmail: `owner@${orgId}.example`, source: 'api' });
      if (status === 'disabled') await repositories.tenants.disable(orgId);
    },
    webhook: async (orgId, hook = {}) => {
      const target = await receiver();
      const record = createWebhook({
        orgId,
        url: `${target.origin}/${orgId}`,
        events: hook.events ?? ['LockCreated'],
        source: hook.source ?? 'api',
        clock: systemClock,
        urlPolicy: { allowHttp: true, allowLoopback: true },
        ...(hook.webhookId === undefined ? {} : { webhookId: hook.webhookId }),
      });
      const secret = await secrets.createSecret({
        name: `partner-platform/dev/webhooks/${orgId}/${record.webhookId}`,
        value: WEBHOOK_SECRET,
      });
      return repositories.webhooks.create({ ...record, secretArn: secret.created ? secret.arn : undefined });
    },
    receiver,
    close: async () => {
      await Promise.all(receivers.map((started) => started.close()));
      await sender.close();
      await plane.stop();
      await deletePlatformTables(ddb.client, tables);
    },
  };
}

/** What EventBridge holds, without the random parts of ARNs, for comparing end states. */
export function eventBridgeState(plane: LocalControlPlane): unknown {
  const strip = (arn: string | undefined) => arn?.replace(/\/[0-9a-f-]{36}$/, '');
  const { store } = plane;
  return {
    connections: [...store.connections.values()]
      .map((c) => ({ name: c.Name, header: c.AuthParameters.ApiKeyAuthParameters?.ApiKeyName }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    destinations: [...store.apiDestinations.values()]
      .map((d) => ({
        name: d.Name,
        endpoint: d.InvocationEndpoint,
        rate: d.InvocationRateLimitPerSecond,
        connection: strip(d.ConnectionArn),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    rules: store.listRules().map((rule) => ({
      bus: rule.EventBusName,
      name: rule.Name,
      state: rule.State,
      pattern: rule.EventPattern === undefined ? undefined : JSON.parse(rule.EventPattern),
      targets: rule.Targets.map((target) => ({ ...target, Arn: strip(target.Arn) })),
    })),
  };
}
