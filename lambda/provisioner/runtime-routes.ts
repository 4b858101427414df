/**
 * The provisioner's routing rules on the platform bus: per shard slot, one
 * rule listing the run-time tenants hashed there, forwarding to the shard
 * bus with the shard's role, retry policy and DLQ. A stream change adds or
 * removes one orgId (read, merge, write, read back); the reconcile writes
 * every route from the whole table, which also repairs a merge two
 * concurrent invocations raced on.
 */
import {
  type DeliveryTopology,
  type RuntimeRoute,
  routedOrgIds,
  runtimeRoutePattern,
  shardArns,
  shardTarget,
} from '../core/provisioning';
import type { EventBridgeResources } from './event-bridge-resources';
import type { QuotaLedger } from './quota-ledger';
import { hasExactly, sameRule } from './webhook-resources';

/** The id of a route's one target. */
export const ROUTE_TARGET_ID = 'shard-bus';
const MERGE_ATTEMPTS = 3;

export class RuntimeRoutes {
  public constructor(
    private readonly resources: EventBridgeResources,
    private readonly topology: DeliveryTopology,
  ) {}

  /**
   * Makes the route list `orgId` or not. @returns a `quota_exceeded: ...`
   * message when the route cannot take it (nothing changed), else undefined.
   */
  public async setMember(
    route: RuntimeRoute,
    orgId: string,
    member: boolean,
    ledger: QuotaLedger,
  ): Promise<string | undefined> {
    for (let attempt = 1; attempt <= MERGE_ATTEMPTS; attempt++) {
      const observed = await this.resources.rule(route.name, this.topology.platformBusName);
      const current = routedOrgIds(observed?.pattern);
      const next = member ? [...new Set([...current, orgId])] : current.filter((id) => id !== orgId);
      const problem = await this.write(route, next, ledger);
      if (problem !== undefined) return problem;
      const written = routedOrgIds((await this.resources.rule(route.name, this.topology.platformBusName))?.pattern);
      // Another invocation may have merged its own change over ours; merge again.
      if (written.includes(orgId) === member) return undefined;
    }
    throw new Error(`route ${route.name} kept changing while ${orgId} was merged; the reconcile will repair it`);
  }

  /** Writes the route with exactly `orgIds` (deleting it when empty). */
  public async write(route: RuntimeRoute, orgIds: readonly string[], ledger: QuotaLedger): Promise<string | undefined> {
    const bus = this.topology.platformBusName;
    const observed = await this.resources.rule(route.name, bus);
    if (orgIds.length === 0) {
      if (observed !== undefined) await this.resources.deleteRule(route.name, bus);
      return undefined;
    }
    const wanted = {
      name: route.name,
      busName: bus,
      pattern: runtimeRoutePattern(this.topology, orgIds),
      enabled: true,
      description: `partner-platform: run-time tenants of slot ${route.slot}, to shard ${route.shard}`,
    };
    const ruleNeeded = observed === undefined ? 1 : 0;
    const problem = await ledger.reserve({
      connections: 0,
      destinations: 0,
      runtimeWebhooks: 0,
      rulesByBus: new Map([[bus, ruleNeeded]]),
      runtimeRulesByBus: new Map(),
      patterns: [{ rule: route.name, pattern: wanted.pattern }],
    });
    if (problem !== undefined) return problem;
    if (!sameRule(observed, wanted)) await this.resources.putRule(wanted);
    const target = shardTarget(
      this.topology,
      route.shard,
      ROUTE_TARGET_ID,
      shardArns(this.topology, route.shard).busArn,
    );
    if (observed === undefined || !hasExactly(await this.resources.targets(route.name, bus), target)) {
      await this.resources.putTarget(route.name, bus, target);
    }
    return undefined;
  }
}
