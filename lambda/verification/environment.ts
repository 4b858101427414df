/**
 * The verification Lambda's environment, read once at cold start. Kept apart
 * from index.ts so it can be tested without loading the handler.
 *
 * There is deliberately no variable for loopback receivers: only the local
 * runtime and tests can allow them, by constructing `ChallengeSender` with
 * `allowLoopback: true` themselves.
 */
import { z } from 'zod';
import { devOnlyHttpWebhooks, readEnv, requiredString, webhookUrlEnvironment } from '../shared/env';

export const verificationEnvSchema = devOnlyHttpWebhooks(
  z.object({
    /** The webhooks table name. */
    WEBHOOKS_TABLE: requiredString,
    ENVIRONMENT_NAME: webhookUrlEnvironment.ENVIRONMENT_NAME,
    /** Plain http:// webhook URLs; `true` is accepted in dev only. @default false */
    ALLOW_HTTP_WEBHOOKS: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional()
      .transform((value) => value === 'true'),
  }),
);

export type VerificationEnvironment = z.output<typeof verificationEnvSchema>;

/** @throws EnvironmentError naming every missing or malformed variable. */
export function readVerificationEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): VerificationEnvironment {
  return readEnv(verificationEnvSchema, source);
}
