/**
 * The onboarding custom resource's properties. CloudFormation delivers every
 * scalar as a string ("365", "24") and a nested list either as a list or,
 * through some tooling, as a JSON string, so both are accepted and coerced.
 * Errors name the property, because they end up as the stack event's reason.
 */
import { z } from 'zod';
import { GRACE_HOURS, type GraceHours, MAX_ACTIVE_PER_ENVIRONMENT_CAP, MAX_VALIDITY_DAYS } from '../core/api-keys';
import { ValidationError } from '../core/errors';

const nonEmpty = (what: string) =>
  z
    .string({ error: `is required: ${what}` })
    .trim()
    .min(1, `must not be empty: ${what}`);

const webhookSchema = z.object({
  id: nonEmpty('the webhook id from the partner file'),
  url: nonEmpty('the webhook URL'),
  events: z.array(nonEmpty('an event type'), { error: 'must be a list of event types or ["*"]' }).min(1),
  secretArn: nonEmpty('the ARN of the webhook secret'),
  connectionName: nonEmpty('the EventBridge connection name'),
  apiDestinationName: nonEmpty('the EventBridge API destination name'),
});

const VALIDITY_MESSAGE = `must be a whole number of days from 1 to ${MAX_VALIDITY_DAYS}, or "never"`;
const validityDays = z.union(
  [
    z.literal('never'),
    z.coerce
      .number({ error: VALIDITY_MESSAGE })
      .int(VALIDITY_MESSAGE)
      .min(1, VALIDITY_MESSAGE)
      .max(MAX_VALIDITY_DAYS, VALIDITY_MESSAGE),
  ],
  { error: VALIDITY_MESSAGE },
);

const graceHours = z.coerce
  .number()
  .refine((hours): hours is GraceHours => (GRACE_HOURS as readonly number[]).includes(hours), {
    message: `must be one of ${GRACE_HOURS.join(', ')} hours`,
  })
  .transform((hours) => hours as GraceHours);

const KEY_LIMIT_MESSAGE = `must be a whole number of keys from 1 to ${MAX_ACTIVE_PER_ENVIRONMENT_CAP}`;

/** A JSON string is parsed first; anything unparseable is left for the schema to reject. */
function jsonOrValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export const onboardingPropertiesSchema = z.object({
  orgId: nonEmpty('the partner id'),
  orgName: nonEmpty('the organization name'),
  ownerEmail: z.email({ error: 'must be an email address such as owner@example.com' }),
  apiKeyValidityDays: validityDays.default(365),
  rotationGraceHours: graceHours.default(24),
  /** The partner file's own key policy limit; absent: the environment's. */
  maxActivePerEnvironment: z.coerce
    .number()
    .int(KEY_LIMIT_MESSAGE)
    .min(1, KEY_LIMIT_MESSAGE)
    .max(MAX_ACTIVE_PER_ENVIRONMENT_CAP, KEY_LIMIT_MESSAGE)
    .optional(),
  webhooks: z.preprocess(jsonOrValue, z.array(webhookSchema, { error: 'must be a list of webhooks' })).default([]),
});

export type OnboardingProperties = z.output<typeof onboardingPropertiesSchema>;
export type OnboardingWebhook = OnboardingProperties['webhooks'][number];

/** @throws ValidationError naming every bad property. */
export function parseOnboardingProperties(raw: unknown): OnboardingProperties {
  const result = onboardingPropertiesSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(properties)'} ${issue.message}`);
  const field = result.error.issues[0]?.path.join('.');
  throw new ValidationError(`Invalid onboarding properties: ${problems.join('; ')}`, field ? { field } : {});
}
