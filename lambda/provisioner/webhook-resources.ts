/**
 * One run-time webhook's EventBridge resources, converged to what the core
 * says they must be: observe all four (connection, API destination, rule,
 * target), check the quotas for whatever is missing, then create or update
 * in dependency order. Every step is describe-then-create-or-update under a
 * deterministic name, so a crash between any two calls is finished by the
 * next run, with no duplicate. A create that finds the name taken (the
 * stream retry and the reconcile converging the same webhook at once)
 * describes what the other made and updates it only where it differs;
 * PutRule and PutTargets are upserts already.
 */
import { type DeliveryTopology, type DesiredWebhook, type ResourceNeeds, shardTarget } from '../core/provisioning';
import type { DesiredTarget } from '../core/provisioning';
import {
  type DestinationInput,
  type EventBridgeResources,
  isAlreadyExists,
  type ObservedDestination,
  type ObservedRule,
} from './event-bridge-resources';
import type { QuotaLedger } from './quota-ledger';

/** Reads the webhook secret's current value by ARN. */
export type SecretValueReader = (secretArn: string) => Promise<string>;

interface Observed {
  readonly connectionArn?: string;
  readonly destination?: ObservedDestination;
  readonly rule?: ObservedRule;
  readonly targets: readonly DesiredTarget[];
}

/** The id of a webhook rule's one target. */
export const WEBHOOK_TARGET_ID = 'webhook';

export class WebhookResources {
  public constructor(
    private readonly resources: EventBridgeResources,
    private readonly topology: DeliveryTopology,
    private readonly readSecret: SecretValueReader,
  ) {}

  /** @returns a `quota_exceeded: ...` message when nothing was created for lack of room, else undefined. */
  public async ensure(desired: DesiredWebhook, ledger: QuotaLedger): Promise<string | undefined> {
    const observed = await this.observe(desired);
    const problem = await ledger.reserve(needsOf(desired, observed));
    if (problem !== undefined) return problem;
    const connectionArn = observed.connectionArn ?? (await this.createConnection(desired));
    const destinationArn = await this.ensureDestination(desired, connectionArn, observed.destination);
    if (!sameRule(observed.rule, desired)) {
      await this.resources.putRule({ ...desired, busName: desired.busName });
    }
    const target = shardTarget(this.topology, desired.shard, WEBHOOK_TARGET_ID, destinationArn);
    if (!hasExactly(observed.targets, target)) {
      await this.resources.putTarget(desired.name, desired.busName, target);
    }
    return undefined;
  }

  /** Targets, rule, destination, connection, in that order; whatever is already gone is skipped. */
  public async remove(name: string, busName: string): Promise<void> {
    await this.resources.deleteRule(name, busName);
    await this.resources.deleteDestination(name);
    await this.resources.deleteConnection(name);
  }

  private async observe(desired: DesiredWebhook): Promise<Observed> {
    const [connection, destination, rule] = await Promise.all([
      this.resources.connection(desired.name),
      this.resources.destination(desired.name),
      this.resources.rule(desired.name, desired.busName),
    ]);
    const targets = rule === undefined ? [] : await this.resources.targets(desired.name, desired.busName);
    return { connectionArn: connection?.arn, destination, rule, targets };
  }

  private async createConnection(desired: DesiredWebhook): Promise<string> {
    const header = this.topology.secretHeaderName;
    const secret = await this.readSecret(desired.secretArn);
    try {
      return await this.resources.createConnection(desired.name, header, secret, desired.description);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    const found = await this.resources.connection(desired.name);
    if (found === undefined) throw new Error(`connection ${desired.name} was taken and is gone again; retry`);
    if (found.headerName !== header) {
      await this.resources.updateConnection(desired.name, header, secret, desired.description);
    }
    return found.arn;
  }

  private async ensureDestination(
    desired: DesiredWebhook,
    connectionArn: string,
    observedBefore: ObservedDestination | undefined,
  ): Promise<string> {
    const input: DestinationInput = {
      name: desired.name,
      connectionArn,
      endpoint: desired.endpoint,
      rateLimitPerSecond: desired.rateLimitPerSecond,
      description: desired.description,
    };
    let observed = observedBefore;
    if (observed === undefined) {
      try {
        return await this.resources.createDestination(input);
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
      observed = await this.resources.destination(input.name);
      if (observed === undefined) throw new Error(`API destination ${input.name} was taken and is gone again; retry`);
    }
    if (
      observed.endpoint === desired.endpoint &&
      observed.rateLimitPerSecond === desired.rateLimitPerSecond &&
      observed.connectionArn === connectionArn
    ) {
      return observed.arn;
    }
    // The switch to a newly verified URL: deliveries went to the old one until now.
    return (await this.resources.updateDestination(input)) || observed.arn;
  }
}

function needsOf(desired: DesiredWebhook, observed: Observed): ResourceNeeds {
  const newRule = observed.rule === undefined ? 1 : 0;
  return {
    connections: observed.connectionArn === undefined ? 1 : 0,
    destinations: observed.destination === undefined ? 1 : 0,
    runtimeWebhooks: observed.destination === undefined ? 1 : 0,
    rulesByBus: new Map([[desired.busName, newRule]]),
    runtimeRulesByBus: new Map([[desired.busName, newRule]]),
    patterns: sameRule(observed.rule, desired) ? [] : [{ rule: desired.name, pattern: desired.pattern }],
  };
}

export function sameRule(observed: ObservedRule | undefined, desired: { pattern: object; enabled: boolean }): boolean {
  return (
    observed !== undefined &&
    observed.enabled === desired.enabled &&
    canonical(observed.pattern) === canonical(desired.pattern)
  );
}

/** The rule has this one target, exactly as wanted. */
export function hasExactly(observed: readonly DesiredTarget[], target: DesiredTarget): boolean {
  return observed.length === 1 && canonical(observed[0]) === canonical(target);
}

/** JSON with sorted keys, so two equal patterns compare equal however their keys were ordered. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}
