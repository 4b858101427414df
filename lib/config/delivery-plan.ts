import { catalogSources, EventPattern, webhookEventPattern } from '../../lambda/core/event-catalog';
import { webhookRulePattern } from '../../lambda/core/failed-deliveries';
import type { PlatformConfig } from './load-config';
import {
  platformBusName,
  routeRuleName,
  shardBusName,
  shardDeadLetterQueueName,
  shardInvocationRoleName,
  shardNamePrefix,
  shardStackName,
  webhookResourceName,
  webhookSecretName,
} from './naming';
import type { PartnerConfig, WebhookConfig } from './partner-schema';
import { routeSlotOf, shardOf } from './sharding';
import { patternLength, routingEventPattern } from '../../lambda/core/routing';

export type { EventPattern };

/** Routing rules' patterns (every catalog source, the partners' orgIds), shared with the provisioner. */
export { patternLength, routingEventPattern };

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
  /** Fixed names, so the provisioner (another stack) can name the role and queue in its targets. */
  readonly invocationRoleName: string;
  readonly deadLetterQueueName: string;
  readonly partners: readonly PartnerPlan[];
  /** Non-empty routing slots only. */
  readonly routes: readonly RoutePlan[];
}

export interface DeliveryPlan {
  readonly env: string;
  readonly platformBusName: string;
  /** The event catalog's sources: the only ones routed, so the only ones a webhook can receive. */
  readonly sources: readonly string[];
  /**
   * Shards that hold at least one partner, in shard order; every shard when
   * the environment has a run-time budget (a run-time tenant may hash to a
   * shard no partner file uses, and its rules need that shard's bus, role
   * and DLQ).
   */
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
  const sources = catalogSources(config.catalog);
  const { shardCount, routesPerShard } = environment.sharding;
  const byShard = new Map<number, PartnerConfig[]>();
  for (const partner of config.partners) {
    const shard = shardOf(partner.orgId, shardCount);
    byShard.set(shard, [...(byShard.get(shard) ?? []), partner]);
  }
  if (environment.runtime !== undefined) {
    for (let shard = 0; shard < shardCount; shard++) if (!byShard.has(shard)) byShard.set(shard, []);
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
          pattern: webhookRulePattern(webhookEventPattern(partner.orgId, webhook.events, config.catalog), webhook.id),
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
        invocationRoleName: shardInvocationRoleName(env, shard),
        deadLetterQueueName: shardDeadLetterQueueName(env, shard),
        partners,
        routes,
      };
    });
  return { env, platformBusName: platformBusName(env), sources, shards };
}
