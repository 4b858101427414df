import { z } from 'zod';
import { ALL_EVENTS } from '../../lambda/core/event-catalog';

/** EventBridge's limit on a detail-type (PutEvents `DetailType`). */
export const MAX_DETAIL_TYPE_LENGTH = 128;
/** EventBridge's limit on a source (PutEvents `Source`). */
export const MAX_SOURCE_LENGTH = 256;

/**
 * A detail-type is a free EventBridge string: letters, digits, spaces and
 * common punctuation (`Shadow Update` is one), 1-128 characters, no control
 * characters, no leading or trailing space, and never the `*` wildcard.
 */
const detailType = z
  .string({ error: 'is required: the detail-type producers publish, e.g. LockCreated or Shadow Update' })
  .min(1, 'must not be empty')
  .max(MAX_DETAIL_TYPE_LENGTH, `must be at most ${MAX_DETAIL_TYPE_LENGTH} characters (the EventBridge limit)`)
  .regex(/^[\x20-\x7e]+$/, 'must hold printable ASCII characters only (letters, digits, spaces, punctuation)')
  .refine((name) => name.trim() === name, 'must not start or end with a space')
  .refine((name) => !name.includes(ALL_EVENTS), `must not contain "${ALL_EVENTS}", which means every event type`);

const source = z
  .string({ error: 'is required: the EventBridge source that publishes the type, e.g. spk.api' })
  .regex(
    new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_SOURCE_LENGTH - 1}}$`),
    'must be an event source such as spk.api (letters, digits, dots, dashes, underscores)',
  )
  .refine((value) => !value.startsWith('aws.'), 'must not start with "aws.", which EventBridge reserves for AWS');

const jsonObject = (what: string) =>
  z.record(z.string(), z.unknown(), { error: `must be ${what}` }).refine((v) => !Array.isArray(v), `must be ${what}`);

const detailSchema = jsonObject('a JSON Schema object describing detail').superRefine((schema, ctx) => {
  const required = Array.isArray(schema.required) ? schema.required : [];
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  if (schema.type !== 'object') {
    ctx.addIssue({ code: 'custom', path: ['type'], message: 'must be object: detail is a JSON object' });
  }
  if (!required.includes('partnerId') || typeof properties !== 'object' || !('partnerId' in properties)) {
    ctx.addIssue({
      code: 'custom',
      path: ['required'],
      message: 'must require partnerId (and describe it under properties): rules deliver on detail.partnerId',
    });
  }
});

/** Where the event catalog lives, relative to the repository root. */
export const EVENT_CATALOG_FILE = 'config/event-types.yaml';

/** `config/event-types.yaml`: the event catalog. */
export const eventCatalogFileSchema = z.strictObject({
  /** Shared field schemas, reached through YAML aliases; not read otherwise. */
  definitions: z.record(z.string(), z.unknown()).optional(),
  eventTypes: z
    .array(
      z.strictObject({
        name: detailType,
        source,
        description: z.string({ error: 'is required: say what the event means' }).min(1, 'say what the event means'),
        schema: detailSchema,
        example: jsonObject('one example detail that validates against schema'),
      }),
      { error: 'must be a list of event types' },
    )
    .min(1, 'list at least one event type')
    .superRefine((types, ctx) => {
      const seen = new Map<string, number>();
      types.forEach((type, index) => {
        const first = seen.get(type.name);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: `"${type.name}" is already eventTypes[${first}]; a detail-type has one source and one schema`,
          });
        } else {
          seen.set(type.name, index);
        }
      });
    }),
});
