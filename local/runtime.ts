/**
 * The whole platform on one machine, driven by a synthesized cloud assembly
 * (`cdk.out`): DynamoDB Local with the platform template's tables, every
 * partner onboarded by the real onboarding handler from its onboarding
 * custom resource, the REST API served by `LocalApiGateway` from the
 * template's methods and authorizer, an EventBridge endpoint delivering by
 * the templates' rules, and the verification handler sweeping pending
 * webhooks every few seconds.
 *
 * Everything listens on 127.0.0.1. Secrets live in an in-memory Secrets
 * Manager; with a data directory, DynamoDB's tables and the generated
 * secrets (webhook secrets, admin API key, signing key) are kept there, so a
 * restart sees the same tenants and keys.
 *
 * Local-only relaxations, never present in a deployable environment:
 * webhook URLs may be plain http and loopback (receivers on 127.0.0.1), and
 * `urlOverrides` points configured partner URLs at local receivers.
 *
 * Each job is a component under runtime/ (ports, secrets, tables,
 * onboarding replay, admin identity, usage ingestion, API, EventBridge,
 * verification, portal); this file only composes them.
 */
import * as path from 'node:path';
import { systemClock } from '../lambda/core/clock';
import type { CloudAssemblyView, StackArtifact } from './cloud-assembly';
import { LOCAL_WEBHOOK_URL_POLICY } from './portal-server';
import { createAdminIdentity } from './runtime/admin-identity';
import { AuthorizerCacheLink } from './runtime/authorizer-cache';
import { startApi } from './runtime/api';
import { functionEnvironment, platformStackOf, readAssembly } from './runtime/assembly';
import { type RuntimeContext, loggerFactory } from './runtime/context';
import { startEndpointHealth } from './runtime/endpoint-health';
import { startEventBridge } from './runtime/event-bridge';
import { FailureReplayLink, startFailureConsumer } from './runtime/failures';
import { offboardPartner, replayOnboarding } from './runtime/onboarding-replay';
import { type PortPlan, planPorts } from './runtime/ports';
import { startPortal } from './runtime/portal';
import { startProvisioning } from './runtime/provisioning';
import { LocalSecrets } from './runtime/secrets';
import { Stoppables } from './runtime/stoppables';
import { startTables } from './runtime/tables';
import { startUsageIngestion } from './runtime/usage';
import type { LocalRuntime, LocalRuntimeOptions } from './runtime/types';
import { startVerificationSweep } from './runtime/verification';

export { declaredWebhooks } from './runtime/assembly';
export { LocalRuntimeError } from './runtime/errors';
export type {
  AdminCredentials,
  LocalPortalEndpoints,
  LocalRuntime,
  LocalRuntimeOptions,
  OnboardedPartner,
} from './runtime/types';

const DEFAULT_BASE_PORT = 4000;
const DEFAULT_WEBHOOK_SECRET_PREFIX = 'partner-platform/local/webhooks/';

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const ports = await planPorts(options.port ?? DEFAULT_BASE_PORT, options.portal === true);
  const assembly = readAssembly(path.resolve(options.assemblyDir ?? 'cdk.out'));
  const platform = platformStackOf(assembly);
  const stoppables = new Stoppables();
  try {
    const ctx = await startFoundation({ options, ports, assembly, platform, stoppables });
    return await startComponents(ctx);
  } catch (error) {
    await stoppables.stopAll();
    throw error;
  }
}

/** Secrets and tables: what every other component needs. */
async function startFoundation(base: {
  options: LocalRuntimeOptions;
  ports: PortPlan;
  assembly: CloudAssemblyView;
  platform: StackArtifact;
  stoppables: Stoppables;
}): Promise<RuntimeContext> {
  const { options, platform } = base;
  const clock = options.clock ?? systemClock;
  const secrets = await LocalSecrets.start(base.assembly, options.dataDir);
  const authorizerCache = new AuthorizerCacheLink();
  const tables = await startTables(platform, options.dataDir, clock, base.stoppables, authorizerCache.flush);
  const adminEnv = functionEnvironment(platform, 'admin-api');
  return {
    ...base,
    clock,
    urlPolicy: LOCAL_WEBHOOK_URL_POLICY,
    logger: loggerFactory(options.logLevel),
    secrets,
    tables,
    webhookSecretPrefix: String(adminEnv.WEBHOOK_SECRET_PREFIX ?? DEFAULT_WEBHOOK_SECRET_PREFIX),
    authorizerCache,
  };
}

/**
 * The components started after the tables, in order; each adds its stop to
 * `ctx.stoppables`. A new component (a trigger, a control plane, a server)
 * is one more line here.
 */
async function startComponents(ctx: RuntimeContext): Promise<LocalRuntime> {
  const partners = await replayOnboarding(ctx);
  const admin = await createAdminIdentity(ctx);
  ctx.secrets.save();
  // The API starts first (the CLI finds the EventBridge endpoint on the next port); its failure routes
  // reach the replay service once the EventBridge and the DLQ consumer are up.
  const failureReplay = new FailureReplayLink();
  const usage = startUsageIngestion(ctx);
  const api = await startApi(ctx, admin, failureReplay, usage);
  const eventBridge = await startEventBridge(ctx);
  const failures = await startFailureConsumer(ctx, eventBridge);
  failureReplay.attach(failures?.replay);
  const verification = await startVerificationSweep(ctx);
  const provisioning = await startProvisioning(ctx, eventBridge, verification);
  const health = await startEndpointHealth(ctx, eventBridge);
  const portal =
    ctx.ports.portal === undefined
      ? undefined
      : await startPortal(ctx, ctx.ports.portal, eventBridge, failures?.replay);
  let stopped: Promise<void> | undefined;
  return {
    apiUrl: api.url,
    ...(portal === undefined ? {} : { portal }),
    eventBridgeUrl: eventBridge.url,
    dynamoDbEndpoint: ctx.tables.endpoint,
    platformBusName: eventBridge.bus.model.platformBus,
    partners,
    admin: admin.credentials,
    webhookSecretPrefix: ctx.webhookSecretPrefix,
    tables: ctx.tables.names,
    doc: ctx.tables.doc,
    client: ctx.tables.client,
    secrets: ctx.secrets.store,
    bus: eventBridge.bus,
    gateway: api.gateway,
    urlPolicy: ctx.urlPolicy,
    clock: ctx.clock,
    verifyPendingWebhooks: verification.verifyPendingWebhooks,
    offboard: (orgId) => offboardPartner(ctx, orgId),
    ...(provisioning === undefined ? {} : { provisioning }),
    ...(failures === undefined ? {} : { failures }),
    ...(health === undefined ? {} : { health }),
    ...(usage === undefined ? {} : { usage }),
    stop: () => (stopped ??= ctx.stoppables.stopAll()),
  };
}
