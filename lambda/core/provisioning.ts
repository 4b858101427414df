/**
 * The provisioner's rules, with no AWS imports: what EventBridge must hold
 * for a run-time webhook (connection, API destination, rule, target), which
 * run-time tenants each runtime routing rule lists, when a webhook shows
 * `provisioning`, `live` or `failed`, and whether the quotas leave room.
 * lambda/provisioner applies these through the EventBridge client.
 */
import { isDisabledByHealth } from './endpoint-health';
import { webhookRulePattern } from './failed-deliveries';
import { isRuntimeOwned, type WebhookRecord } from './webhooks';
import {
  runtimeRouteRuleName,
  runtimeWebhookResourceName,
  shardBusName,
  shardDeadLetterQueueName,
  shardInvocationRoleName,
} from './delivery-names';
import { routeSlotOf, shardOf } from './sharding';
import { patternLength, routingEventPattern } from './routing';

export type DeliveryStateName = 'provisioning' | 'live' | 'failed';

/** Stored on a webhook by the provisioner: how far its EventBridge resources are. */
export interface DeliveryState {
  readonly state: DeliveryStateName;
  /** Why it failed, e.g. `quota_exceeded: ...`; short and safe to show. */
  readonly lastError?: string;
  /** Fingerprint of the desired resources this state is about (see {@link deliverySpec}). */
  readonly spec?: string;
  readonly updatedAt: string;
}

/** The error code a webhook's `lastError` starts with when a quota left no room. */
export const QUOTA_EXCEEDED = 'quota_exceeded';

/** An EventBridge event pattern. */
export type Pattern = Record<string, unknown>;

/** Builds a webhook rule's pattern: the one builder config webhooks use too. */
export type WebhookPatternBuilder = (orgId: string, events: readonly string[]) => Pattern;

/** Where the environment's EventBridge resources are; all names follow lambda/core/delivery-names.ts. */
export interface DeliveryTopology {
  readonly env: string;
  readonly shardCount: number;
  /** Provisioner-owned routing rules per shard on the platform bus. */
  readonly runtimeRoutesPerShard: number;
  readonly platformBusName: string;
  /** The event sources routing rules forward (the catalog's). */
  readonly sources: readonly string[];
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly retryPolicy: { readonly maxEventAgeSeconds: number; readonly retryAttempts: number };
  /** Deliveries per second to a run-time webhook's URL. */
  readonly rateLimitPerSecond: number;
  /** The header the connection sends the webhook secret in (as config webhooks do). */
  readonly secretHeaderName: string;
}

/** A rule target with the shard's role, retry policy and dead-letter queue. */
export interface DesiredTarget {
  readonly id: string;
  readonly arn: string;
  readonly roleArn: string;
  readonly deadLetterArn: string;
  readonly maxEventAgeSeconds: number;
  readonly retryAttempts: number;
}

/** Everything EventBridge must hold for one deliverable run-time webhook. */
export interface DesiredWebhook {
  readonly orgId: string;
  readonly webhookId: string;
  readonly shard: number;
  /** Name of the connection, the API destination and the rule. */
  readonly name: string;
  readonly busName: string;
  readonly secretArn: string;
  /** The verified URL: a new URL is delivered to only once it has verified. */
  readonly endpoint: string;
  readonly rateLimitPerSecond: number;
  readonly pattern: Pattern;
  /** A disabled tenant's rules are disabled, and so is a webhook endpoint health disabled. */
  readonly enabled: boolean;
  readonly description: string;
}

export function shardArns(topology: DeliveryTopology, shard: number) {
  const { partition, region, account, env } = topology;
  return {
    busArn: `arn:${partition}:events:${region}:${account}:event-bus/${shardBusName(env, shard)}`,
    roleArn: `arn:${partition}:iam::${account}:role/${shardInvocationRoleName(env, shard)}`,
    deadLetterArn: `arn:${partition}:sqs:${region}:${account}:${shardDeadLetterQueueName(env, shard)}`,
  };
}

/** The target of a webhook rule (its API destination) or a route (the shard bus). */
export function shardTarget(topology: DeliveryTopology, shard: number, id: string, arn: string): DesiredTarget {
  const { roleArn, deadLetterArn } = shardArns(topology, shard);
  return {
    id,
    arn,
    roleArn,
    deadLetterArn,
    maxEventAgeSeconds: topology.retryPolicy.maxEventAgeSeconds,
    retryAttempts: topology.retryPolicy.retryAttempts,
  };
}

/** The names a webhook's resources have, whether or not it still exists. */
export function webhookPlacement(topology: DeliveryTopology, orgId: string, webhookId: string) {
  const shard = shardOf(orgId, topology.shardCount);
  return {
    shard,
    name: runtimeWebhookResourceName(topology.env, shard, orgId, webhookId),
    busName: shardBusName(topology.env, shard),
  };
}

export interface WebhookForDelivery extends WebhookRecord {
  readonly secretArn?: string;
}

/**
 * What EventBridge must hold for `record`, or undefined when it must hold
 * nothing: a config webhook (the template's), or one with no verified URL yet.
 */
export function desiredWebhook(
  record: WebhookForDelivery,
  tenantActive: boolean,
  topology: DeliveryTopology,
  patternOf: WebhookPatternBuilder,
): DesiredWebhook | undefined {
  if (!isRuntimeOwned(record) || record.verifiedUrl === undefined || record.secretArn === undefined) return undefined;
  return {
    orgId: record.orgId,
    webhookId: record.webhookId,
    ...webhookPlacement(topology, record.orgId, record.webhookId),
    secretArn: record.secretArn,
    endpoint: record.verifiedUrl,
    rateLimitPerSecond: topology.rateLimitPerSecond,
    pattern: webhookRulePattern(patternOf(record.orgId, record.events), record.webhookId),
    enabled: tenantActive && !isDisabledByHealth(record),
    description: `partner-platform runtime webhook ${record.orgId}/${record.webhookId}`,
  };
}

/** A fingerprint of what a webhook's resources must be; equal fingerprints need no EventBridge call. */
export function deliverySpec(desired: DesiredWebhook | undefined): string {
  if (desired === undefined) return 'none';
  return JSON.stringify([desired.endpoint, desired.rateLimitPerSecond, desired.pattern, desired.enabled]);
}

/** The delivery state shown for a webhook, for records the provisioner has not written yet too. */
export function deliveryStateOf(record: WebhookRecord & { readonly delivery?: DeliveryState }): {
  state: DeliveryStateName;
  lastError?: string;
} {
  // A template delivers a config webhook; it is as live as its stack.
  if (!isRuntimeOwned(record)) return { state: 'live' };
  if (record.delivery !== undefined) {
    return {
      state: record.delivery.state,
      ...(record.delivery.lastError ? { lastError: record.delivery.lastError } : {}),
    };
  }
  if (record.status === 'failed' && record.verifiedUrl === undefined) {
    return { state: 'failed', lastError: 'the URL never answered the verification challenge' };
  }
  return { state: 'provisioning' };
}

/** One provisioner-owned routing rule: the run-time tenants of a shard's slot. */
export interface RuntimeRoute {
  readonly shard: number;
  readonly slot: number;
  readonly name: string;
}

export function runtimeRouteOf(topology: DeliveryTopology, orgId: string): RuntimeRoute {
  const shard = shardOf(orgId, topology.shardCount);
  const slot = routeSlotOf(orgId, topology.runtimeRoutesPerShard);
  return { shard, slot, name: runtimeRouteRuleName(topology.env, shard, slot) };
}

/** Every runtime route the topology has room for, shard by shard. */
export function allRuntimeRoutes(topology: DeliveryTopology): RuntimeRoute[] {
  return Array.from({ length: topology.shardCount }, (_, shard) =>
    Array.from({ length: topology.runtimeRoutesPerShard }, (_, slot) => ({
      shard,
      slot,
      name: runtimeRouteRuleName(topology.env, shard, slot),
    })),
  ).flat();
}

export function runtimeRoutePattern(topology: DeliveryTopology, orgIds: readonly string[]): Pattern {
  return routingEventPattern([...orgIds].sort(), topology.sources);
}

/**
 * Whether a tenant belongs in a runtime route: it has a run-time webhook to
 * deliver, and no config webhook. A partner file with webhooks puts its
 * orgId in a config route; listing it in a runtime route too would deliver
 * each event twice.
 */
export function needsRuntimeRoute(orgWebhooks: readonly WebhookForDelivery[]): boolean {
  if (orgWebhooks.some((hook) => !isRuntimeOwned(hook))) return false;
  return orgWebhooks.some((hook) => hook.verifiedUrl !== undefined && hook.secretArn !== undefined);
}

/** The orgIds a routing rule's pattern lists (`detail.partnerId`). */
export function routedOrgIds(pattern: Pattern | undefined): string[] {
  const detail = pattern?.detail as { partnerId?: unknown } | undefined;
  return Array.isArray(detail?.partnerId) ? detail.partnerId.filter((id): id is string => typeof id === 'string') : [];
}

/** The quotas the provisioner checks before it creates anything (config and runtime together). */
export interface ProvisioningLimits {
  readonly rulesPerEventBus: number;
  readonly eventPatternMaxChars: number;
  readonly apiDestinationsPerAccount: number;
  readonly connectionsPerAccount: number;
  /** Run-time webhooks in the environment (the `runtime.maxWebhooks` budget). */
  readonly maxRuntimeWebhooks: number;
  /** Run-time webhooks per shard bus (the `runtime.maxWebhooksPerShard` budget). */
  readonly maxRuntimeWebhooksPerShard: number;
}

/** What exists now, counted from EventBridge. */
export interface ResourceCounts {
  readonly connections: number;
  readonly destinations: number;
  readonly runtimeWebhooks: number;
  /** Rules on each bus, by bus name. */
  readonly rulesByBus: ReadonlyMap<string, number>;
  /** Run-time webhook rules on each shard bus, by bus name. */
  readonly runtimeRulesByBus: ReadonlyMap<string, number>;
}

/** What a change would create. */
export interface ResourceNeeds {
  readonly connections: number;
  readonly destinations: number;
  readonly runtimeWebhooks: number;
  readonly rulesByBus: ReadonlyMap<string, number>;
  readonly runtimeRulesByBus: ReadonlyMap<string, number>;
  /** Patterns that would be written, to check their size. */
  readonly patterns: readonly { readonly rule: string; readonly pattern: Pattern }[];
}

/**
 * The first quota the needs would cross, as a `quota_exceeded: ...` message
 * naming the quota and the setting to change, or undefined when all fit.
 */
export function quotaProblem(
  needs: ResourceNeeds,
  counts: ResourceCounts,
  limits: ProvisioningLimits,
): string | undefined {
  const over = (what: string, have: number, need: number, limit: number, fix: string) =>
    need > 0 && have + need > limit
      ? `${QUOTA_EXCEEDED}: ${what}: ${have} exist, ${need} more would pass ${limit}; ${fix}`
      : undefined;
  const problems = [
    over(
      'EventBridge connections per account',
      counts.connections,
      needs.connections,
      limits.connectionsPerAccount,
      'raise quotas.connectionsPerAccount once AWS has',
    ),
    over(
      'EventBridge API destinations per account',
      counts.destinations,
      needs.destinations,
      limits.apiDestinationsPerAccount,
      'raise quotas.apiDestinationsPerAccount once AWS has',
    ),
    over(
      'run-time webhooks',
      counts.runtimeWebhooks,
      needs.runtimeWebhooks,
      limits.maxRuntimeWebhooks,
      'raise runtime.maxWebhooks',
    ),
    ...[...needs.rulesByBus].map(([bus, need]) =>
      over(
        `EventBridge rules on bus ${bus}`,
        counts.rulesByBus.get(bus) ?? 0,
        need,
        limits.rulesPerEventBus,
        'raise quotas.rulesPerEventBus once AWS has, or sharding.shardCount',
      ),
    ),
    ...[...needs.runtimeRulesByBus].map(([bus, need]) =>
      over(
        `run-time webhooks on bus ${bus}`,
        counts.runtimeRulesByBus.get(bus) ?? 0,
        need,
        limits.maxRuntimeWebhooksPerShard,
        'raise runtime.maxWebhooksPerShard',
      ),
    ),
    ...needs.patterns.map(({ rule, pattern }) => {
      const length = patternLength(pattern);
      return length > limits.eventPatternMaxChars
        ? `${QUOTA_EXCEEDED}: EventBridge event pattern size: rule ${rule} would be ${length} characters, over ${limits.eventPatternMaxChars}; raise runtime.routesPerShard`
        : undefined;
    }),
  ];
  return problems.find((problem) => problem !== undefined);
}
