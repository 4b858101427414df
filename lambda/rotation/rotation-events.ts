/**
 * What the rotation function is invoked with: a direct key rotation (the
 * APIs), an admin webhook secret rotation, or the sweep (the schedule's
 * constant input `{ "action": "sweep" }`, or a plain EventBridge scheduled
 * event).
 */
import { z } from 'zod';
import { GRACE_HOURS, type GraceHours, MAX_VALIDITY_DAYS } from '../core/api-keys';
import { ValidationError } from '../core/errors';

const graceHours = z
  .number()
  .refine((hours): hours is GraceHours => (GRACE_HOURS as readonly number[]).includes(hours), {
    message: `must be one of ${GRACE_HOURS.join(', ')} hours`,
  })
  .transform((hours) => hours as GraceHours);

export const rotateKeyEventSchema = z.object({
  action: z.literal('rotate'),
  orgId: z.string().min(1),
  /** The key to rotate; omitted means the org's live key. */
  keyId: z.string().min(1).optional(),
  /** @default the tenant's rotationGraceHours, else 24 */
  graceHours: graceHours.optional(),
  validityDays: z.union([z.literal('never'), z.number().int().min(1).max(MAX_VALIDITY_DAYS)]).optional(),
  expiresAt: z.string().optional(),
  /** Who asked (admin email, partner key id), for the audit trail. */
  requestedBy: z.string().min(1).optional(),
});

/** Secret overlaps are whole hours from 1 to 7 days; 24 h is Svix's habit. */
export const MAX_OVERLAP_HOURS = 168;

export const rotateWebhookSecretEventSchema = z.object({
  action: z.literal('rotate-webhook-secret'),
  orgId: z.string().min(1),
  webhookId: z.string().min(1),
  overlapHours: z.number().int().min(1).max(MAX_OVERLAP_HOURS).default(24),
  /**
   * An idempotency token: the same token resumes or returns the same
   * rotation instead of starting another. @default a new rotation each call
   */
  requestId: z.string().min(8).max(128).optional(),
  requestedBy: z.string().min(1).optional(),
});

export const sweepEventSchema = z.object({ action: z.literal('sweep') });

export type RotateKeyEvent = z.output<typeof rotateKeyEventSchema>;
export type RotateWebhookSecretEvent = z.output<typeof rotateWebhookSecretEventSchema>;
export type RotationEvent = RotateKeyEvent | RotateWebhookSecretEvent | z.output<typeof sweepEventSchema>;

const eventSchema = z.discriminatedUnion('action', [
  rotateKeyEventSchema,
  rotateWebhookSecretEventSchema,
  sweepEventSchema,
]);

/** An EventBridge scheduled event, whatever its rule. */
function isScheduledEvent(raw: unknown): boolean {
  const candidate = raw as { source?: unknown; 'detail-type'?: unknown } | null;
  return candidate?.source === 'aws.events' && candidate['detail-type'] === 'Scheduled Event';
}

/** @throws ValidationError naming the fields at fault (never echoing values). */
export function parseRotationEvent(raw: unknown): RotationEvent {
  if (isScheduledEvent(raw)) return { action: 'sweep' };
  const result = eventSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'action'} ${issue.message}`);
  const field = result.error.issues[0]?.path.join('.');
  throw new ValidationError(`Invalid rotation request: ${problems.join('; ')}`, field ? { field } : {});
}
