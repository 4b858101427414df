/**
 * The usage ingestion's environment, set by lib/usage-accounting.ts and read
 * once at cold start; the local runtime reads the same variables from the
 * function's environment in the synthesized template.
 */
import { z } from 'zod';
import { readEnv, requiredString } from '../shared/env';

export const usageIngestEnvSchema = z.object({
  USAGE_TABLE: requiredString,
  API_KEYS_TABLE: requiredString,
  TENANTS_TABLE: requiredString,
});

export type UsageIngestEnvironment = z.output<typeof usageIngestEnvSchema>;

export function readUsageIngestEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): UsageIngestEnvironment {
  return readEnv(usageIngestEnvSchema, source);
}
