/**
 * The provisioner's environment, set by lib/webhook-provisioner.ts and read
 * once at cold start. The local runtime builds the same settings from the
 * function's environment in the synthesized template (`readProvisionerEnvironment`
 * over that map), substituting its own values for the template's pseudo
 * parameters in `PARTITION` and `ACCOUNT_ID` (and setting `AWS_REGION`).
 */
import { z } from 'zod';
import type { DeliveryTopology, ProvisioningLimits } from '../core/provisioning';
import { devOnlyHttpWebhooks, readEnv, requiredString } from '../shared/env';
import { WEBHOOK_SECRET_HEADER } from '../shared/webhook-headers';
import { ENVIRONMENT_NAMES } from '../core/contracts';

const count = z.coerce.number().int().min(0);
const positive = z.coerce.number().int().min(1);

export const provisionerEnvSchema = devOnlyHttpWebhooks(
  z.object({
    TENANTS_TABLE: requiredString,
    WEBHOOKS_TABLE: requiredString,
    ENVIRONMENT_NAME: z.enum(ENVIRONMENT_NAMES),
    PARTITION: requiredString,
    /** Lambda's own; the local runtime sets it. */
    AWS_REGION: requiredString,
    ACCOUNT_ID: requiredString,
    PLATFORM_BUS_NAME: requiredString,
    SHARD_COUNT: positive,
    RUNTIME_ROUTES_PER_SHARD: positive,
    RETRY_MAX_EVENT_AGE_SECONDS: positive,
    RETRY_ATTEMPTS: count,
    RATE_LIMIT_PER_SECOND: positive,
    QUOTA_RULES_PER_EVENT_BUS: positive,
    QUOTA_EVENT_PATTERN_MAX_CHARS: positive,
    QUOTA_API_DESTINATIONS_PER_ACCOUNT: positive,
    QUOTA_CONNECTIONS_PER_ACCOUNT: positive,
    RUNTIME_MAX_WEBHOOKS: count,
    RUNTIME_MAX_WEBHOOKS_PER_SHARD: count,
    /** Plain http:// URLs for the immediate verification; `true` in dev only. */
    ALLOW_HTTP_WEBHOOKS: z
      .enum(['true', 'false'])
      .optional()
      .transform((value) => value === 'true'),
  }),
);

export type ProvisionerEnvironment = z.output<typeof provisionerEnvSchema>;

/** @throws EnvironmentError naming every missing or malformed variable. */
export function readProvisionerEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): ProvisionerEnvironment {
  return readEnv(provisionerEnvSchema, source);
}

/** The topology and limits the provisioner works with; the event sources come from the catalog. */
export function provisionerSettingsOf(
  env: ProvisionerEnvironment,
  sources: readonly string[],
): { topology: DeliveryTopology; limits: ProvisioningLimits } {
  return {
    topology: {
      env: env.ENVIRONMENT_NAME,
      shardCount: env.SHARD_COUNT,
      runtimeRoutesPerShard: env.RUNTIME_ROUTES_PER_SHARD,
      platformBusName: env.PLATFORM_BUS_NAME,
      sources,
      partition: env.PARTITION,
      region: env.AWS_REGION,
      account: env.ACCOUNT_ID,
      retryPolicy: { maxEventAgeSeconds: env.RETRY_MAX_EVENT_AGE_SECONDS, retryAttempts: env.RETRY_ATTEMPTS },
      rateLimitPerSecond: env.RATE_LIMIT_PER_SECOND,
      secretHeaderName: WEBHOOK_SECRET_HEADER,
    },
    limits: {
      rulesPerEventBus: env.QUOTA_RULES_PER_EVENT_BUS,
      eventPatternMaxChars: env.QUOTA_EVENT_PATTERN_MAX_CHARS,
      apiDestinationsPerAccount: env.QUOTA_API_DESTINATIONS_PER_ACCOUNT,
      connectionsPerAccount: env.QUOTA_CONNECTIONS_PER_ACCOUNT,
      maxRuntimeWebhooks: env.RUNTIME_MAX_WEBHOOKS,
      maxRuntimeWebhooksPerShard: env.RUNTIME_MAX_WEBHOOKS_PER_SHARD,
    },
  };
}
