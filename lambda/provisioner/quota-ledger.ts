/**
 * Counts what exists in EventBridge (config and runtime together) once per
 * invocation, checks each change's needs against the quotas before anything
 * is created, and books what it let through, so one batch cannot overrun a
 * quota by creating many webhooks off the same count. Reservations run one
 * at a time, so webhooks converged concurrently do not check the same count
 * either.
 */
import { shardsNamePrefix, RUNTIME_NAME_MARK } from '../core/delivery-names';
import { type ProvisioningLimits, type ResourceCounts, type ResourceNeeds, quotaProblem } from '../core/provisioning';
import type { EventBridgeResources } from './event-bridge-resources';

export class QuotaLedger {
  private account?: Promise<{ connections: number; destinations: number; runtimeWebhooks: number }>;
  private readonly rules = new Map<string, Promise<{ all: number; runtime: number }>>();
  private readonly booked = { connections: 0, destinations: 0, runtimeWebhooks: 0 };
  private readonly bookedRules = new Map<string, number>();
  private readonly bookedRuntimeRules = new Map<string, number>();
  private turn: Promise<unknown> = Promise.resolve();

  public constructor(
    private readonly resources: EventBridgeResources,
    private readonly limits: ProvisioningLimits,
    private readonly env: string,
  ) {}

  /** A `quota_exceeded: ...` message, or undefined after booking the needs. */
  public reserve(needs: ResourceNeeds): Promise<string | undefined> {
    const reserved = this.turn.then(() => this.reserveNow(needs));
    this.turn = reserved.catch(() => undefined);
    return reserved;
  }

  private async reserveNow(needs: ResourceNeeds): Promise<string | undefined> {
    const counts = await this.counts(needs);
    const problem = quotaProblem(needs, counts, this.limits);
    if (problem !== undefined) return problem;
    this.booked.connections += needs.connections;
    this.booked.destinations += needs.destinations;
    this.booked.runtimeWebhooks += needs.runtimeWebhooks;
    for (const [bus, need] of needs.rulesByBus) this.bookedRules.set(bus, (this.bookedRules.get(bus) ?? 0) + need);
    for (const [bus, need] of needs.runtimeRulesByBus) {
      this.bookedRuntimeRules.set(bus, (this.bookedRuntimeRules.get(bus) ?? 0) + need);
    }
    return undefined;
  }

  private async counts(needs: ResourceNeeds): Promise<ResourceCounts> {
    const account = await this.accountCounts();
    const rulesByBus = new Map<string, number>();
    const runtimeRulesByBus = new Map<string, number>();
    for (const bus of new Set([...needs.rulesByBus.keys(), ...needs.runtimeRulesByBus.keys()])) {
      const counted = await this.ruleCounts(bus);
      rulesByBus.set(bus, counted.all + (this.bookedRules.get(bus) ?? 0));
      runtimeRulesByBus.set(bus, counted.runtime + (this.bookedRuntimeRules.get(bus) ?? 0));
    }
    return {
      connections: account.connections + this.booked.connections,
      destinations: account.destinations + this.booked.destinations,
      runtimeWebhooks: account.runtimeWebhooks + this.booked.runtimeWebhooks,
      rulesByBus,
      runtimeRulesByBus,
    };
  }

  private accountCounts() {
    const runtime = runtimeName(this.env);
    this.account ??= Promise.all([this.resources.connectionNames(), this.resources.destinationNames()]).then(
      ([connections, destinations]) => ({
        connections: connections.length,
        destinations: destinations.length,
        runtimeWebhooks: destinations.filter((name) => runtime.test(name)).length,
      }),
    );
    return this.account;
  }

  private ruleCounts(bus: string) {
    const runtime = runtimeName(this.env);
    let counted = this.rules.get(bus);
    if (counted === undefined) {
      counted = this.resources.ruleNames(bus).then((names) => ({
        all: names.length,
        runtime: names.filter((name) => runtime.test(name)).length,
      }));
      this.rules.set(bus, counted);
    }
    return counted;
  }
}

/** Matches the provisioner's webhook resource names in the environment (`pp-<env>-sNNN-_...`). */
export function runtimeName(env: string): RegExp {
  return new RegExp(`^${shardsNamePrefix(env)}\\d{3}-${RUNTIME_NAME_MARK}`);
}
