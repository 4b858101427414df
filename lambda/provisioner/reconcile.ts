/**
 * The full reconcile (every 15 minutes, and on demand): what the stream
 * path may have missed or a crash left half done is finished here.
 *
 * 1. Every run-time webhook of every tenant is converged, stored state or not.
 * 2. Every runtime route is checked against the whole table: a tenant whose
 *    stored route membership disagrees with its webhooks is set again, and
 *    each route rule is written from its members; routes no tenant needs go.
 * 3. Every resource under the provisioner's names that no record explains
 *    (a crash after a delete began, a record removed while the function was
 *    down) is deleted. Names that are not the provisioner's (`-_` after the
 *    shard prefix, `-route-rt` on the platform bus) are never touched, so a
 *    template's resources are safe.
 */
import type { Clock } from '../core/clock';
import { runtimeWebhookNamePrefix, shardBusName, shardsNamePrefix } from '../core/delivery-names';
import {
  type RuntimeRoute,
  allRuntimeRoutes,
  desiredWebhook,
  needsRuntimeRoute,
  runtimeRouteOf,
} from '../core/provisioning';
import type { TenantRecord, TenantsRepository } from '../repositories/tenants-repository';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import type { EventBridgeResources } from './event-bridge-resources';
import {
  type ChangeOutcome,
  type Converger,
  type ProvisionerLogger,
  type ProvisionerSettings,
  errorName,
} from './provisioner';
import type { QuotaLedger } from './quota-ledger';
import { runtimeName } from './quota-ledger';

export interface ReconcileReport {
  readonly webhooks: number;
  readonly live: number;
  readonly failed: number;
  readonly errors: number;
  readonly routes: number;
  /** Resources deleted because no record explained them. */
  readonly orphansDeleted: number;
}

export interface ReconcileContext {
  readonly repositories: { readonly tenants: TenantsRepository; readonly webhooks: WebhooksRepository };
  readonly settings: ProvisionerSettings;
  readonly clock: Clock;
  readonly resources: EventBridgeResources;
  readonly converger: Converger;
  readonly ledger: QuotaLedger;
  readonly logger: ProvisionerLogger;
}

export async function reconcileAll(context: ReconcileContext): Promise<ReconcileReport> {
  const byOrg = await loadAllWebhooks(context.repositories);
  const outcomes: ChangeOutcome[] = [];
  for (const [, { hooks }] of byOrg) {
    for (const hook of hooks) {
      if (hook.source === 'config') {
        // A stack update puts a template rule's State back; health's disable is re-asserted here.
        await context.converger.settleConfigRule(hook).catch((error: unknown) =>
          context.logger.error('config rule state not settled; the next reconcile retries', {
            orgId: hook.orgId,
            webhookId: hook.webhookId,
            error: errorName(error),
          }),
        );
        continue;
      }
      outcomes.push(await context.converger.settle(hook, context.ledger, { force: true, routes: false }));
    }
  }
  const routes = await writeRoutes(context, byOrg);
  const orphansDeleted = await deleteOrphans(context);
  const report: ReconcileReport = {
    webhooks: outcomes.length,
    live: outcomes.filter((outcome) => outcome.outcome === 'live').length,
    failed: outcomes.filter((outcome) => outcome.outcome === 'failed').length,
    errors: outcomes.filter((outcome) => outcome.outcome === 'error').length + routes.errors,
    routes: routes.written,
    orphansDeleted,
  };
  context.logger.info('reconcile finished', { ...report });
  return report;
}

type OrgWebhooks = Map<string, { tenant: TenantRecord; hooks: StoredWebhook[] }>;

async function loadAllWebhooks(repositories: ReconcileContext['repositories']): Promise<OrgWebhooks> {
  const byOrg: OrgWebhooks = new Map();
  let cursor: string | undefined;
  do {
    const page = await repositories.tenants.list({ limit: 100, cursor });
    for (const tenant of page.items) {
      byOrg.set(tenant.orgId, { tenant, hooks: await repositories.webhooks.listAll(tenant.orgId) });
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return byOrg;
}

/**
 * Every runtime route from the table: a tenant whose stored membership
 * disagrees with its webhooks is set again (from a fresh read), then each
 * route is written from its members; routes no tenant needs are deleted.
 */
async function writeRoutes(
  context: ReconcileContext,
  byOrg: OrgWebhooks,
): Promise<{ written: number; errors: number }> {
  const { topology } = context.settings;
  const routes = allRuntimeRoutes(topology);
  const routeName = new RegExp(`^${shardsNamePrefix(topology.env)}\\d{3}-route-rt\\d+$`);
  const known = new Set(routes.map((route) => route.name));
  const existing = await context.resources.ruleNames(topology.platformBusName, shardsNamePrefix(topology.env));
  for (const name of existing.filter((rule) => routeName.test(rule) && !known.has(rule))) {
    await context.resources.deleteRule(name, topology.platformBusName);
  }
  let errors = 0;
  let written = 0;
  for (const route of routes) {
    try {
      const problem = await writeRoute(context, byOrg, route);
      if (problem !== undefined) {
        errors += 1;
        context.logger.warn('runtime route refused', { route: route.name, lastError: problem });
      }
      if ((await context.repositories.webhooks.routeMembers(route.name)).members.length > 0) written += 1;
    } catch (error) {
      errors += 1;
      context.logger.error('runtime route not written', { route: route.name, error: errorName(error) });
    }
  }
  return { written, errors };
}

async function writeRoute(context: ReconcileContext, byOrg: OrgWebhooks, route: RuntimeRoute) {
  const { topology } = context.settings;
  const { members } = await context.repositories.webhooks.routeMembers(route.name);
  const needing = [...byOrg]
    .filter(([orgId, { hooks }]) => runtimeRouteOf(topology, orgId).name === route.name && needsRuntimeRoute(hooks))
    .map(([orgId]) => orgId);
  const disagreeing = [
    ...members.filter((orgId) => !needing.includes(orgId)),
    ...needing.filter((orgId) => !members.includes(orgId)),
  ];
  for (const orgId of disagreeing) {
    const problem = await context.converger.syncRoute(orgId, context.ledger);
    if (problem !== undefined) return problem;
  }
  return context.converger.routes.publish(route, context.ledger);
}

/** The names of the resources the table's deliverable run-time webhooks need, by name. */
function explainedNames(context: ReconcileContext, byOrg: OrgWebhooks): Map<string, StoredWebhook> {
  const { topology, patternOf } = context.settings;
  const explained = new Map<string, StoredWebhook>();
  for (const [, { tenant, hooks }] of byOrg) {
    for (const hook of hooks) {
      const desired = desiredWebhook(hook, tenant.status === 'active', topology, patternOf);
      if (desired !== undefined) explained.set(desired.name, hook);
    }
  }
  return explained;
}

/**
 * Deletes provisioner-named resources that no deliverable run-time webhook
 * explains, judged from the table read afresh (the first read is minutes
 * old by now). A webhook that became deliverable while its names were being
 * deleted (the stream path made them a moment after the read) is converged
 * again from a third read, so no live webhook is left without resources.
 */
async function deleteOrphans(context: ReconcileContext): Promise<number> {
  const { topology } = context.settings;
  const explained = explainedNames(context, await loadAllWebhooks(context.repositories));
  const ours = runtimeName(topology.env);
  const orphan = (name: string) => ours.test(name) && !explained.has(name);
  const deleted = new Set<string>();
  for (let shard = 0; shard < topology.shardCount; shard++) {
    const bus = shardBusName(topology.env, shard);
    for (const name of (await context.resources.ruleNames(bus, runtimeWebhookNamePrefix(topology.env, shard))).filter(
      orphan,
    )) {
      await context.resources.deleteRule(name, bus);
      deleted.add(name);
    }
  }
  for (const name of (await context.resources.destinationNames(shardsNamePrefix(topology.env))).filter(orphan)) {
    await context.resources.deleteDestination(name);
    deleted.add(name);
  }
  for (const name of (await context.resources.connectionNames(shardsNamePrefix(topology.env))).filter(orphan)) {
    await context.resources.deleteConnection(name);
    deleted.add(name);
  }
  if (deleted.size === 0) return 0;
  context.logger.warn('deleted resources no webhook record explains', { deleted: deleted.size });
  for (const [name, hook] of explainedNames(context, await loadAllWebhooks(context.repositories))) {
    if (deleted.has(name)) await context.converger.settle(hook, context.ledger, { force: true, routes: true });
  }
  return deleted.size;
}
