/**
 * The DLQ consumer's environment, set by lib/dead-letter-consumer.ts and read
 * once at cold start; the local runtime reads the same variables from the
 * function's environment in the synthesized template.
 */
import { z } from 'zod';
import { ENVIRONMENT_NAMES } from '../core/contracts';
import { readEnv, requiredString } from '../shared/env';

export const dlqConsumerEnvSchema = z.object({
  WEBHOOKS_TABLE: requiredString,
  FAILED_DELIVERIES_TABLE: requiredString,
  ENVIRONMENT_NAME: z.enum(ENVIRONMENT_NAMES),
  FAILURE_RETENTION_DAYS: z.coerce.number().int().min(1),
});

export type DlqConsumerEnvironment = z.output<typeof dlqConsumerEnvSchema>;

export function readDlqConsumerEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): DlqConsumerEnvironment {
  return readEnv(dlqConsumerEnvSchema, source);
}
