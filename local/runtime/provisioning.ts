/**
 * The provisioner, run locally as AWS runs it: the same factory over the
 * runtime's repositories and secrets, its settings built from the
 * provisioner function's environment in the synthesized template, and the
 * real EventBridge client pointed at the runtime's EventBridge endpoint.
 * DynamoDB Local's stream of the webhooks table feeds it (partial batch
 * failures retried), a reconcile runs at start and every few seconds, and
 * a new or changed URL is verified at once through the local verifier.
 *
 * An assembly without the provisioner function (synthesized before it
 * existed) runs without it, as before.
 */
import { localEventBridgeClient } from '../eventbridge-client';

import { createProvisioner, type ReconcileReport } from '../../lambda/provisioner/provisioner';
import { handleStreamBatch } from '../../lambda/provisioner/provisioner-events';
import { catalogSources, webhookEventPattern } from '../../lambda/core/event-catalog';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { provisionerSettingsOf, readProvisionerEnvironment } from '../../lambda/provisioner/environment';
import type { ProvisionerSettings } from '../../lambda/provisioner/provisioner';
import { startProvisioningTrigger } from '../provisioning-trigger';
import { functionEnvironment } from './assembly';
import type { RuntimeContext } from './context';
import type { LocalEventBridge } from './event-bridge';
import { localFunctionEnvironment } from './function-environment';
import type { VerificationSweep } from './verification';

/** The service name the provisioner function logs under (its POWERTOOLS_SERVICE_NAME). */
const PROVISIONER_SERVICE = 'webhook-provisioner';
const DEFAULT_RECONCILE_INTERVAL_MS = 10_000;

export interface LocalProvisioning {
  /** A full reconcile now, as the schedule or an on-demand invoke runs it. */
  reconcile(): Promise<ReconcileReport>;
  /** Resolves once every webhooks-table write made before the call has reached the provisioner. */
  whenCaughtUp(): Promise<void>;
}

export async function startProvisioning(
  ctx: RuntimeContext,
  eventBridge: LocalEventBridge,
  verification: VerificationSweep,
): Promise<LocalProvisioning | undefined> {
  if (Object.keys(functionEnvironment(ctx.platform, PROVISIONER_SERVICE)).length === 0) return undefined;
  const environment = localFunctionEnvironment(ctx.assembly, ctx.platform, PROVISIONER_SERVICE, eventBridge.bus.store);
  const client = localEventBridgeClient(eventBridge.url);
  ctx.stoppables.onStop(() => client.destroy());
  const logger = ctx.logger(PROVISIONER_SERVICE);
  const provisioner = createProvisioner({
    eventBridge: client,
    repositories: ctx.tables.repositories,
    secrets: ctx.secrets.store,
    clock: ctx.clock,
    settings: settingsOf(environment),
    verify: (orgId, webhookId) => verification.verify(orgId, webhookId),
    logger,
  });
  const trigger = await startProvisioningTrigger<ReconcileReport>({
    dynamo: ctx.tables.client,
    endpoint: ctx.tables.endpoint,
    webhooksTable: ctx.tables.names.webhooks,
    entryPoints: {
      handleStreamBatch: (event) => handleStreamBatch(provisioner, event.Records),
      reconcile: () => provisioner.reconcile(),
    },
    reconcileIntervalMs: ctx.options.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS,
    onError: (what, error) => logger.error(`provisioner ${what} failed`, { error: String(error) }),
  });
  ctx.stoppables.add(trigger);
  return { reconcile: trigger.reconcileNow, whenCaughtUp: trigger.whenCaughtUp };
}

/** What the Lambda builds at cold start: its environment, and patterns from the bundled event catalog. */
function settingsOf(environment: Record<string, string>): ProvisionerSettings {
  return {
    ...provisionerSettingsOf(readProvisionerEnvironment(environment), catalogSources(PLATFORM_EVENT_CATALOG)),
    patternOf: (orgId, events) => webhookEventPattern(orgId, events, PLATFORM_EVENT_CATALOG),
  };
}
