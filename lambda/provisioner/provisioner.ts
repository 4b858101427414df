/**
 * The provisioner: makes EventBridge match the webhooks table for run-time
 * webhooks (`source` api or portal). Config webhooks are the templates';
 * the provisioner only keeps their orgs out of runtime routes.
 *
 * - `handleChanges(keys)`: fed by the table's stream. Per webhook: start
 *   verification at once when it is due, converge its connection, API
 *   destination, rule and target to the record (or remove them when the
 *   record is gone or cannot deliver), then the tenant's runtime route, then
 *   record the delivery state. A record whose stored state already
 *   describes what it asks for is skipped without any EventBridge call, so
 *   the provisioner's own state write ends the loop.
 * - `reconcile()`: every run-time webhook converged from the whole table,
 *   every runtime route written from it, and every provisioner-named
 *   resource that no record explains deleted.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Clock } from '../core/clock';
import { ConflictError, NotFoundError } from '../core/errors';
import {
  type DeliveryState,
  type DeliveryTopology,
  type ProvisioningLimits,
  type WebhookPatternBuilder,
  deliverySpec,
  deliveryStateOf,
  desiredWebhook,
  needsRuntimeRoute,
  runtimeRouteOf,
  webhookPlacement,
} from '../core/provisioning';
import type { TenantsRepository } from '../repositories/tenants-repository';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import type { SecretStore } from '../shared/secret-store';
import { mapConcurrently } from '../shared/concurrency';
import { SecretStoreReader } from '../verification/adapters';
import { settleConfigRuleState } from './config-rule-state';
import { EventBridgeResources } from './event-bridge-resources';
import { QuotaLedger } from './quota-ledger';
import { reconcileAll, type ReconcileReport } from './reconcile';
import { RuntimeRoutes } from './runtime-routes';
import { WebhookResources } from './webhook-resources';

export type { ReconcileReport } from './reconcile';

export interface ProvisionerSettings {
  readonly topology: DeliveryTopology;
  readonly limits: ProvisioningLimits;
  /** The one pattern builder config webhooks use too (lambda/core/event-catalog.ts). */
  readonly patternOf: WebhookPatternBuilder;
}

/** Structured logging; never given a secret or a whole record. */
export interface ProvisionerLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface ProvisionerDependencies {
  readonly eventBridge: EventBridgeClient;
  readonly repositories: { readonly tenants: TenantsRepository; readonly webhooks: WebhooksRepository };
  readonly secrets: Pick<SecretStore, 'getSecretValue'>;
  readonly clock: Clock;
  readonly settings: ProvisionerSettings;
  /** Verifies one webhook now (the verification handler's direct invoke). @default verification waits for its sweep */
  readonly verify?: (orgId: string, webhookId: string) => Promise<unknown>;
  readonly logger?: ProvisionerLogger;
}

export interface WebhookKey {
  readonly orgId: string;
  readonly webhookId: string;
}

export type ChangeOutcome =
  | (WebhookKey & { readonly outcome: 'live' | 'removed' | 'unchanged' | 'not-deliverable' | 'config' })
  | (WebhookKey & { readonly outcome: 'failed'; readonly lastError: string })
  | (WebhookKey & { readonly outcome: 'error'; readonly error: unknown });

export interface Provisioner {
  /** Converges each named webhook; never throws, one outcome per distinct key (errors are `error`). */
  handleChanges(keys: readonly WebhookKey[]): Promise<ChangeOutcome[]>;
  reconcile(): Promise<ReconcileReport>;
}

/**
 * Webhooks converged at once per invocation. Each takes a dozen round trips
 * (DynamoDB, Secrets Manager, EventBridge); one at a time, a batch of new
 * webhooks took half a second each. Route members and the quota ledger are
 * safe under concurrency (see runtime-routes.ts, quota-ledger.ts).
 */
export const CONVERGE_CONCURRENCY = 8;

const SYNC_ATTEMPTS = 3;

const silent: ProvisionerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function createProvisioner(deps: ProvisionerDependencies): Provisioner {
  const resources = new EventBridgeResources(deps.eventBridge);
  const { topology, limits } = deps.settings;
  const reader = new SecretStoreReader(deps.secrets);
  const converger = new Converger(
    deps,
    new WebhookResources(resources, topology, (arn) => reader.getSecretString(arn)),
    new RuntimeRoutes(resources, topology, deps.repositories.webhooks),
    resources,
  );
  const ledger = () => new QuotaLedger(resources, limits, topology.env);
  return {
    handleChanges: async (keys) => {
      const batch = ledger();
      const distinct = [...new Map(keys.map((key) => [`${key.orgId}/${key.webhookId}`, key])).values()];
      return mapConcurrently(distinct, CONVERGE_CONCURRENCY, (key) =>
        converger.settle(key, batch, { force: false, routes: true }),
      );
    },
    reconcile: () => reconcileAll({ ...deps, resources, converger, ledger: ledger(), logger: deps.logger ?? silent }),
  };
}

export interface ConvergeOptions {
  /** Converge even when the stored delivery state says it is done (the reconcile). */
  readonly force: boolean;
  /** Also set the tenant's runtime route membership (the reconcile writes routes itself). */
  readonly routes: boolean;
}

/** Converges one webhook; shared by the stream path and the reconcile. */
export class Converger {
  private readonly logger: ProvisionerLogger;

  public constructor(
    private readonly deps: ProvisionerDependencies,
    public readonly webhooks: WebhookResources,
    public readonly routes: RuntimeRoutes,
    private readonly resources: EventBridgeResources,
  ) {
    this.logger = deps.logger ?? silent;
  }

  public async settle(webhook: WebhookKey, ledger: QuotaLedger, options: ConvergeOptions): Promise<ChangeOutcome> {
    // The reconcile passes whole records: only the key goes on into outcomes and logs.
    const key = { orgId: webhook.orgId, webhookId: webhook.webhookId };
    try {
      return await this.converge(key, ledger, options);
    } catch (error) {
      this.logger.error('webhook not provisioned; the stream retry or the reconcile will finish it', {
        ...key,
        error: errorName(error),
        ...(error instanceof Error && error.name === 'Error' ? { reason: error.message } : {}),
      });
      return { ...key, outcome: 'error', error };
    }
  }

  private async converge(key: WebhookKey, ledger: QuotaLedger, options: ConvergeOptions): Promise<ChangeOutcome> {
    const { orgId, webhookId } = key;
    const { tenants, webhooks } = this.deps.repositories;
    let record = await webhooks.get(orgId, webhookId);
    if (record !== undefined && (await this.verifyIfDue(record))) record = await webhooks.get(orgId, webhookId);
    if (record?.source === 'config') {
      await this.settleConfigRule(record);
      if (options.routes) await this.syncRoute(orgId, ledger);
      return { ...key, outcome: 'config' };
    }
    const tenantActive = (await tenants.get(orgId))?.status === 'active';
    const { topology, patternOf } = this.deps.settings;
    const desired = record === undefined ? undefined : desiredWebhook(record, tenantActive, topology, patternOf);
    const spec = deliverySpec(desired);
    if (!options.force && record?.delivery?.spec === spec) return { ...key, outcome: 'unchanged' };
    if (desired === undefined) {
      const placement = webhookPlacement(topology, orgId, webhookId);
      await this.webhooks.remove(placement.name, placement.busName);
      if (options.routes) await this.syncRoute(orgId, ledger);
      if (record === undefined) return { ...key, outcome: 'removed' };
      await this.recordState(key, spec, tenantActive, {
        ...deliveryStateOf({ ...record, delivery: undefined }),
        spec,
        updatedAt: this.now(),
      });
      return { ...key, outcome: 'not-deliverable' };
    }
    let problem = await this.webhooks.ensure(desired, ledger);
    if (problem === undefined && options.routes) {
      problem = await this.syncRoute(orgId, ledger);
      // Nothing half made: a webhook its route cannot reach is taken down again.
      if (problem !== undefined) await this.webhooks.remove(desired.name, desired.busName);
    }
    const state: DeliveryState =
      problem === undefined
        ? { state: 'live', spec, updatedAt: this.now() }
        : { state: 'failed', lastError: problem, spec, updatedAt: this.now() };
    await this.recordState(key, spec, tenantActive, state, desired.name);
    this.logger.info('webhook provisioned', { ...key, state: state.state, ...(problem ? { lastError: problem } : {}) });
    return problem === undefined ? { ...key, outcome: 'live' } : { ...key, outcome: 'failed', lastError: problem };
  }

  /**
   * Sets the tenant's runtime route membership from its webhooks as stored
   * now, and reads them again after: a change to them meanwhile may have
   * been recorded before ours, so ours is redone.
   */
  public async syncRoute(orgId: string, ledger: QuotaLedger): Promise<string | undefined> {
    const { webhooks } = this.deps.repositories;
    const route = runtimeRouteOf(this.deps.settings.topology, orgId);
    for (let attempt = 1; attempt <= SYNC_ATTEMPTS; attempt++) {
      const member = needsRuntimeRoute(await webhooks.listAll(orgId));
      const problem = await this.routes.setMember(route, orgId, member, ledger);
      if (problem !== undefined) return problem;
      if (needsRuntimeRoute(await webhooks.listAll(orgId)) === member) return undefined;
    }
    throw new Error(`the webhooks of ${orgId} kept changing while its route was set; the retry will finish it`);
  }

  /** Records the delivery state, unless the webhook changed meanwhile (its own change will be converged). */
  public async recordState(
    key: WebhookKey,
    spec: string,
    tenantActive: boolean,
    state: DeliveryState,
    resourceName?: string,
  ): Promise<void> {
    const { topology, patternOf } = this.deps.settings;
    try {
      await this.deps.repositories.webhooks.update(key.orgId, key.webhookId, (current) => {
        if (deliverySpec(desiredWebhook(current, tenantActive, topology, patternOf)) !== spec) return current;
        const stored = current.delivery;
        if (stored?.state === state.state && stored.spec === spec && stored.lastError === state.lastError) {
          return current;
        }
        // The rotation flow finds a run-time webhook's connection by this binding, as it finds a config one's.
        if (resourceName === undefined) return { ...current, delivery: state };
        return { ...current, delivery: state, connectionName: resourceName, apiDestinationName: resourceName };
      });
    } catch (error) {
      if (error instanceof NotFoundError) return;
      if (error instanceof ConflictError) return;
      throw error;
    }
  }

  /** A config webhook's rule State follows its endpoint health (config-rule-state.ts). */
  public async settleConfigRule(record: StoredWebhook): Promise<void> {
    const outcome = await settleConfigRuleState(this.resources, this.deps.settings.topology, record);
    if (outcome === 'enabled' || outcome === 'disabled') {
      this.logger.info('config webhook rule state set for endpoint health', {
        orgId: record.orgId,
        webhookId: record.webhookId,
        state: outcome,
      });
    }
  }

  /** Starts verification at once for a webhook that is due; the saved result is a new stream change. */
  private async verifyIfDue(record: StoredWebhook): Promise<boolean> {
    if (this.deps.verify === undefined || record.status !== 'pending') return false;
    if (record.dueAt !== undefined && record.dueAt > this.now()) return false;
    try {
      await this.deps.verify(record.orgId, record.webhookId);
      return true;
    } catch (error) {
      this.logger.warn('immediate verification failed; the sweep will retry it', {
        orgId: record.orgId,
        webhookId: record.webhookId,
        error: errorName(error),
      });
      return false;
    }
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/** Only the error's name: SDK messages may echo request fields. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'NonError';
}
