import { z } from 'zod';
import { GRACE_HOURS, MAX_ACTIVE_PER_ENVIRONMENT_CAP } from '../../lambda/core/api-keys';
import { ORG_ID_MESSAGE, ORG_ID_PATTERN, ORG_NAME_MAX_LENGTH } from '../../lambda/core/contracts';
import { ALL_EVENTS, eventListProblems } from '../../lambda/core/event-catalog';
import { checkWebhookUrl } from '../../lambda/core/url-policy';
import { EVENT_CATALOG_FILE } from './event-catalog-schema';
import { API_DESTINATION_MAX_INVOCATIONS_PER_SECOND as MAX_RATE } from './aws-limits';

export const WEBHOOK_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** Keeps one partner's share of a shard stack bounded (4 resources per webhook). */
export const MAX_WEBHOOKS_PER_PARTNER = 10;
const VALIDITY_MESSAGE = 'must be a whole number of days from 1 to 3650, or "never"';

/** Live API keys per org and environment: the key policy's limit, as both config files state it. */
export function keyLimit(what: string) {
  const message = `must be a whole number of active API keys per environment from 1 to ${MAX_ACTIVE_PER_ENVIRONMENT_CAP} (${what})`;
  return z.number({ error: message }).int(message).min(1, message).max(MAX_ACTIVE_PER_ENVIRONMENT_CAP, message);
}

export interface PartnerSchemaContext {
  /**
   * Detail-types from config/event-types.yaml; undefined when the catalog
   * itself is invalid, so its one error does not repeat in every partner file.
   */
  readonly eventTypes: readonly string[] | undefined;
  /** Whether plain http:// URLs are allowed (dev only). */
  readonly allowHttp: boolean;
}

/**
 * The schema of `partners/<orgId>.yaml`. Every message says what is wrong and
 * how to fix it; the loader adds the file and field.
 */
export function partnerSchema(context: PartnerSchemaContext) {
  const webhook = z
    .strictObject({
      id: z
        .string({ error: 'is required: a short slug such as primary' })
        .regex(WEBHOOK_ID_PATTERN, 'must be a slug of 1-32 lower-case letters, digits and dashes, such as primary'),
      url: z.string({ error: 'is required: the https:// URL that receives the events' }).superRefine((url, ctx) => {
        for (const violation of checkWebhookUrl(url, { allowHttp: context.allowHttp })) {
          ctx.addIssue({ code: 'custom', message: violation.message });
        }
      }),
      events: z
        .array(z.string({ error: 'must be an event type name' }), {
          error: `is required: a list of event types, or ["${ALL_EVENTS}"] for all`,
        })
        .superRefine((events, ctx) => {
          for (const problem of eventListProblems(events, context.eventTypes, EVENT_CATALOG_FILE)) {
            ctx.addIssue({
              code: 'custom',
              message: problem.message,
              path: problem.index === undefined ? [] : [problem.index],
            });
          }
        }),
      rateLimitPerSecond: z
        .number({ error: `must be a number of deliveries per second from 1 to ${MAX_RATE}` })
        .int(`must be a whole number of deliveries per second from 1 to ${MAX_RATE}`)
        .min(1, 'must be at least 1 delivery per second')
        .max(MAX_RATE, `must be at most ${MAX_RATE} deliveries per second (EventBridge API destination maximum)`)
        .default(10),
    })
    .strict();

  return z
    .strictObject({
      orgId: z
        .string({ error: 'is required: the partner id, equal to the file name' })
        .regex(ORG_ID_PATTERN, ORG_ID_MESSAGE),
      orgName: z
        .string({ error: 'is required: the organization name' })
        .trim()
        .min(1, 'must not be empty: the organization name')
        .max(ORG_NAME_MAX_LENGTH, `must be at most ${ORG_NAME_MAX_LENGTH} characters`),
      ownerEmail: z.email({ error: 'must be an email address such as owner@example.com' }),
      apiKey: z
        .strictObject({
          validityDays: z
            .union(
              [
                z.literal('never'),
                z.number().int(VALIDITY_MESSAGE).min(1, VALIDITY_MESSAGE).max(3650, VALIDITY_MESSAGE),
              ],
              { error: VALIDITY_MESSAGE },
            )
            .default(365),
          rotationGraceHours: z
            .union(
              GRACE_HOURS.map((hours) => z.literal(hours)),
              { error: `must be one of ${GRACE_HOURS.join(', ')} hours` },
            )
            .default(24),
          /** This partner's own key policy limit; absent: the environment's `apiKey.maxActivePerEnvironment`. */
          maxActivePerEnvironment: keyLimit(`this partner's limit; leave it out for the environment's`).optional(),
        })
        .default({ validityDays: 365, rotationGraceHours: 24 }),
      webhooks: z
        .array(webhook, { error: 'must be a list of webhooks' })
        .max(MAX_WEBHOOKS_PER_PARTNER, `at most ${MAX_WEBHOOKS_PER_PARTNER} webhooks per partner; merge some`)
        .default([])
        .superRefine((webhooks, ctx) => {
          const seen = new Map<string, number>();
          webhooks.forEach((hook, index) => {
            const first = seen.get(hook.id);
            if (first !== undefined) {
              ctx.addIssue({
                code: 'custom',
                path: [index, 'id'],
                message: `"${hook.id}" is already the id of webhooks[${first}]; webhook ids must be unique within a partner`,
              });
            } else {
              seen.set(hook.id, index);
            }
          });
        }),
    })
    .strict();
}

export type PartnerConfig = z.output<ReturnType<typeof partnerSchema>>;
export type WebhookConfig = PartnerConfig['webhooks'][number];
