/**
 * The endpoint-health sweep's environment, set by lib/endpoint-health-sweep.ts
 * and read once at cold start; the local runtime reads the same variables
 * from the function's environment in the synthesized template.
 */
import { z } from 'zod';
import { ENVIRONMENT_NAMES } from '../core/contracts';
import { readEnv, requiredString } from '../shared/env';
import { PLATFORM_BUS_ENV } from '../shared/event-publisher';
import type { HealthSweepSettings } from './health-sweep';

export const healthSweepEnvSchema = z.object({
  WEBHOOKS_TABLE: requiredString,
  [PLATFORM_BUS_ENV]: requiredString,
  ENVIRONMENT_NAME: z.enum(ENVIRONMENT_NAMES),
  SHARD_COUNT: z.coerce.number().int().min(1),
  DISABLE_AFTER_HOURS: z.coerce.number().int().min(1),
});

export type HealthSweepEnvironment = z.output<typeof healthSweepEnvSchema>;

export function readHealthSweepEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): HealthSweepEnvironment {
  return readEnv(healthSweepEnvSchema, source);
}

export function healthSweepSettingsOf(env: HealthSweepEnvironment): HealthSweepSettings {
  return {
    environmentName: env.ENVIRONMENT_NAME,
    shardCount: env.SHARD_COUNT,
    disableAfterHours: env.DISABLE_AFTER_HOURS,
  };
}
