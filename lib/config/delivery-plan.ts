import type { PlatformConfig } from './load-config';
import {
  platformBusName,
  routeRuleName,
  shardBusName,
  shardNamePrefix,
  shardStackName,
  webhookResourceName,
  webhookSecretName,
} from './naming';
import { ALL_EVENTS, PartnerConfig, WebhookConfig } from './partner-schema';
import { routeSlotOf, shardOf } from './sharding';

/** An EventBridge event pattern, as written into the template. */
export type EventPattern = Record<string, unknown>;

/**
 * The pattern of one webhook's rule: the configured sources, the webhook's
 * detail-types (no filter for `*`) and the partner's own orgId, so a rule can
 * never match another partner's events.
 */
export function webhookEventPattern(
  orgId: string,
  events: readonly string[],
  sources: readonly string[],
): EventPattern {
  return {
    source: [...sources],
    ...(events.includes(ALL_EVENTS) ? {} : { 'detail-type': [...events] }),
    detail: { partnerId: [orgId] },
  };
}

/** The pattern of a routing rule that forwards a set of partners to their shard bus. */
export function routingEventPattern(orgIds: readonly string[], sources: readonly string[]): EventPattern {
  return { source: [...sources], detail: { partnerId: [...orgIds] } };
}

/** Characters of a pattern as EventBridge counts them (its JSON text). */
export function patternLength(pattern: EventPattern): number {
  return JSON.stringify(pattern).length;
}

export interface WebhookPlan {
  readonly config: WebhookConfig;
  /** Name of the connection, the API destination and the rule. */
  readonly resourceName: string;
  /** Secrets Manager name of the webhook secret. */
  readonly secretName: string;
  readonly pattern: EventPattern;
}

export interface PartnerPlan {
  readonly config: PartnerConfig;
  readonly routeSlot: number;
  readonly webhooks: readonly WebhookPlan[];
}

export interface RoutePlan {
  readonly slot: number;
  readonly ruleName: string;
  /** Sorted, so the pattern text is deterministic. */
  readonly orgIds: readonly string[];
  readonly pattern: EventPattern;
}

export interface ShardPlan {
  readonly shard: number;
  readonly stackName: string;
  readonly busName: string;
  readonly namePrefix: string;
  readonly partners: readonly PartnerPlan[];
  /** Non-empty routing slots only. */
  readonly routes: readonly RoutePlan[];
}

export interface DeliveryPlan {
  readonly env: string;
  readonly platformBusName: string;
  readonly sources: readonly string[];
  /** Shards that hold at least one partner, in shard order. */
  readonly shards: readonly ShardPlan[];
}

/**
 * Places every partner in its shard and routing slot and computes every
 * name and pattern. Pure: the CDK constructs, the quota checks and the tests
 * all read the same plan.
 */
export function planDelivery(config: PlatformConfig): DeliveryPlan {
  const { environment } = config;
  const env = environment.name;
  const sources = environment.eventSources;
  const { shardCount, routesPerShard } = environment.sharding;
  const byShard = new Map<number, PartnerConfig[]>();
  for (const partner of config.partners) {
    const shard = shardOf(partner.orgId, shardCount);
    byShard.set(shard, [...(byShard.get(shard) ?? []), partner]);
  }
  const shards = [...byShard.keys()]
    .sort((a, b) => a - b)
    .map((shard): ShardPlan => {
      const partners = (byShard.get(shard) ?? []).map((partner): PartnerPlan => ({
        config: partner,
        routeSlot: routeSlotOf(partner.orgId, routesPerShard),
        webhooks: partner.webhooks.map((webhook) => ({
          config: webhook,
          resourceName: webhookResourceName(env, shard, partner.orgId, webhook.id),
          secretName: webhookSecretName(env, partner.orgId, webhook.id),
          pattern: webhookEventPattern(partner.orgId, webhook.events, sources),
        })),
      }));
      const slots = new Map<number, string[]>();
      for (const partner of partners) {
        // Partners without webhooks receive nothing, so they need no route.
        if (partner.webhooks.length === 0) continue;
        slots.set(partner.routeSlot, [...(slots.get(partner.routeSlot) ?? []), partner.config.orgId]);
      }
      const routes = [...slots.keys()]
        .sort((a, b) => a - b)
        .map((slot): RoutePlan => {
          const orgIds = [...(slots.get(slot) ?? [])].sort();
          return {
            slot,
            ruleName: routeRuleName(env, shard, slot),
            orgIds,
            pattern: routingEventPattern(orgIds, sources),
          };
        });
      return {
        shard,
        stackName: shardStackName(env, shard),
        busName: shardBusName(env, shard),
        namePrefix: shardNamePrefix(env, shard),
        partners,
        routes,
      };
    });
  return { env, platformBusName: platformBusName(env), sources, shards };
}
