/**
 * The provisioner's routing rules on the platform bus: per shard slot, one
 * rule listing the run-time tenants hashed there, forwarding to the shard
 * bus with the shard's role, retry policy and DLQ.
 *
 * Who is listed lives in the webhooks table (a member set per route, changed
 * by atomic ADD/DELETE), not in the rule: a read-merge-write of the rule's
 * pattern loses a member when two provisioners merge at once. A rule is
 * written from the stored set and the set read again afterwards; if it moved
 * meanwhile, whoever moved it may have written the rule before us, so we
 * write again. The last rule written therefore lists the last set.
 */
import {
  type DeliveryTopology,
  type ResourceNeeds,
  type RuntimeRoute,
  routedOrgIds,
  runtimeRoutePattern,
  shardArns,
  shardTarget,
} from '../core/provisioning';
import type { WebhooksRepository } from '../repositories/webhooks-repository';
import type { EventBridgeResources } from './event-bridge-resources';
import type { QuotaLedger } from './quota-ledger';
import { hasExactly, sameRule } from './webhook-resources';

/** The id of a route's one target. */
export const ROUTE_TARGET_ID = 'shard-bus';
const PUBLISH_ATTEMPTS = 5;

/** Where route members are kept (the webhooks table). */
export type RouteMembership = Pick<WebhooksRepository, 'routeMembers' | 'setRouteMember'>;

const NO_NEEDS: ResourceNeeds = {
  connections: 0,
  destinations: 0,
  runtimeWebhooks: 0,
  rulesByBus: new Map(),
  runtimeRulesByBus: new Map(),
  patterns: [],
};

export class RuntimeRoutes {
  public constructor(
    private readonly resources: EventBridgeResources,
    private readonly topology: DeliveryTopology,
    private readonly membership: RouteMembership,
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
    let current = await this.membership.routeMembers(route.name);
    if (current.version === 0) current = await this.adopt(route);
    if (current.members.includes(orgId) !== member) {
      if (member) {
        const pattern = runtimeRoutePattern(this.topology, [...current.members, orgId]);
        const problem = await ledger.reserve({ ...NO_NEEDS, patterns: [{ rule: route.name, pattern }] });
        if (problem !== undefined) return problem;
      }
      await this.membership.setRouteMember(route.name, orgId, member);
    }
    return this.publish(route, ledger);
  }

  /** Writes the route from its stored members until they stay put while it is written. */
  public async publish(route: RuntimeRoute, ledger: QuotaLedger): Promise<string | undefined> {
    for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++) {
      const { members, version } = await this.membership.routeMembers(route.name);
      const problem = await this.write(route, members, ledger);
      if (problem !== undefined) return problem;
      if ((await this.membership.routeMembers(route.name)).version === version) return undefined;
    }
    throw new Error(`route ${route.name} kept changing while it was written; the stream retry or reconcile will`);
  }

  /** A route written before members were stored: its rule's orgIds become the members (the reconcile checks them). */
  private async adopt(route: RuntimeRoute) {
    const listed = routedOrgIds((await this.resources.rule(route.name, this.topology.platformBusName))?.pattern);
    for (const orgId of listed) await this.membership.setRouteMember(route.name, orgId, true);
    return this.membership.routeMembers(route.name);
  }

  /** Writes the route with exactly `orgIds` (deleting it when empty). */
  private async write(
    route: RuntimeRoute,
    orgIds: readonly string[],
    ledger: QuotaLedger,
  ): Promise<string | undefined> {
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
      ...NO_NEEDS,
      rulesByBus: new Map([[bus, ruleNeeded]]),
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
