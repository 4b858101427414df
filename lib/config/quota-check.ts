import type { DeliveryPlan } from './delivery-plan';
import { patternLength } from './delivery-plan';
import type { EnvironmentConfig } from './environment-schema';

/**
 * Rules the platform keeps for itself on the platform bus: the archive's
 * managed rule plus headroom for platform-owned rules.
 */
export const PLATFORM_BUS_RESERVED_RULES = 5;

/** One quota a plan would cross, named as AWS names it, with the fix. */
export interface QuotaProblem {
  readonly quota: string;
  readonly where: string;
  readonly message: string;
}

export class QuotaError extends Error {
  public readonly problems: readonly QuotaProblem[];

  constructor(problems: readonly QuotaProblem[]) {
    super(
      `${problems.length} AWS quota${problems.length === 1 ? '' : 's'} would be crossed:\n` +
        problems.map((p) => `  ${p.where}: ${p.quota}: ${p.message}`).join('\n'),
    );
    this.name = 'QuotaError';
    this.problems = problems;
  }
}

/**
 * Checks a delivery plan against the EventBridge quotas in the environment
 * config, before any construct exists. Resource counts and template sizes are
 * checked on the stacks themselves (see StackLimits).
 */
export function checkQuotas(plan: DeliveryPlan, environment: EnvironmentConfig): QuotaProblem[] {
  const { quotas } = environment;
  const problems: QuotaProblem[] = [];
  const env = `config/${environment.name}.yaml`;
  const { runtime } = environment;
  const webhooks = plan.shards.reduce(
    (sum, shard) => sum + shard.partners.reduce((n, partner) => n + partner.webhooks.length, 0),
    0,
  );
  // The run-time budget is reserved next to the partner files: both share the account's quotas.
  const runtimeWebhooks = runtime?.maxWebhooks ?? 0;
  const needed = runtime
    ? `${webhooks} webhooks in partners/ plus runtime.maxWebhooks ${runtimeWebhooks}`
    : `${webhooks} webhooks`;
  if (webhooks + runtimeWebhooks > quotas.apiDestinationsPerAccount) {
    problems.push({
      quota: 'EventBridge API destinations per account',
      where: 'partners/',
      message: `${needed} need ${webhooks + runtimeWebhooks} API destinations, over the quota of ${quotas.apiDestinationsPerAccount}; ask AWS to raise it, then set quotas.apiDestinationsPerAccount in ${env}${runtime ? ', or lower runtime.maxWebhooks' : ''}`,
    });
  }
  if (webhooks + runtimeWebhooks > quotas.connectionsPerAccount) {
    problems.push({
      quota: 'EventBridge connections per account',
      where: 'partners/',
      message: `${needed} need ${webhooks + runtimeWebhooks} connections, over the quota of ${quotas.connectionsPerAccount}; ask AWS to raise it, then set quotas.connectionsPerAccount in ${env}${runtime ? ', or lower runtime.maxWebhooks' : ''}`,
    });
  }
  const routeRules = plan.shards.reduce((sum, shard) => sum + shard.routes.length, 0);
  const runtimeRoutes = runtime === undefined ? 0 : environment.sharding.shardCount * runtime.routesPerShard;
  if (routeRules + runtimeRoutes + PLATFORM_BUS_RESERVED_RULES > quotas.rulesPerEventBus) {
    problems.push({
      quota: 'EventBridge rules per event bus',
      where: `event bus ${plan.platformBusName}`,
      message: `${routeRules} routing rules${runtime ? ` plus ${runtimeRoutes} run-time routes` : ''} plus ${PLATFORM_BUS_RESERVED_RULES} reserved exceed ${quotas.rulesPerEventBus}; lower sharding.routesPerShard${runtime ? ', runtime.routesPerShard' : ''} or sharding.shardCount in ${env}`,
    });
  }
  for (const shard of plan.shards) {
    const rules = shard.partners.reduce((n, partner) => n + partner.webhooks.length, 0);
    const reserved = runtime?.maxWebhooksPerShard ?? 0;
    if (rules + reserved > quotas.rulesPerEventBus) {
      problems.push({
        quota: 'EventBridge rules per event bus',
        where: `event bus ${shard.busName} (stack ${shard.stackName})`,
        message: `${rules} webhook rules${runtime ? ` plus runtime.maxWebhooksPerShard ${reserved}` : ''} exceed ${quotas.rulesPerEventBus}; raise sharding.shardCount${runtime ? ' or lower runtime.maxWebhooksPerShard' : ''} in ${env}`,
      });
    }
    for (const route of shard.routes) {
      const length = patternLength(route.pattern);
      if (length > quotas.eventPatternMaxChars) {
        problems.push({
          quota: 'EventBridge event pattern size',
          where: `rule ${route.ruleName} (stack ${shard.stackName})`,
          message: `routing pattern for ${route.orgIds.length} partners is ${length} characters, over ${quotas.eventPatternMaxChars}; raise sharding.routesPerShard in ${env}`,
        });
      }
    }
    for (const partner of shard.partners) {
      for (const webhook of partner.webhooks) {
        const length = patternLength(webhook.pattern);
        if (length > quotas.eventPatternMaxChars) {
          problems.push({
            quota: 'EventBridge event pattern size',
            where: `partners/${partner.config.orgId}.yaml webhooks.${webhook.config.id}`,
            message: `the pattern is ${length} characters, over ${quotas.eventPatternMaxChars}; subscribe to fewer event types or to "*"`,
          });
        }
      }
    }
  }
  return problems;
}
