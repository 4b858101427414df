/**
 * Handler configuration comes from environment variables the CDK wiring
 * sets. Each handler reads them once at cold start through a zod schema, so a
 * missing or malformed variable fails the first invocation with a message
 * naming the variable, instead of an `undefined` table name deep in a call.
 */
import { z } from 'zod';
import { EnvironmentError } from './environment-error';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../core/contracts';

export { EnvironmentError };

/** A non-empty string variable, e.g. a table name. */
export const requiredString = z.string({ error: 'is not set' }).trim().min(1, 'is empty');

/** An optional variable: unset and empty both mean absent. */
export const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/**
 * Parses `source` (default `process.env`) with an object schema whose keys
 * are variable names. Values are strings, so use `z.coerce` for numbers.
 * @throws EnvironmentError listing every bad variable with the reason.
 */
export function readEnv<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  source: Readonly<Record<string, string | undefined>> = process.env,
): z.output<z.ZodObject<Shape>> {
  const picked: Record<string, string | undefined> = {};
  for (const name of Object.keys(schema.shape)) picked[name] = source[name];
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(environment)');
    // The value itself is never echoed: a variable may hold something sensitive.
    return { variable, text: `${variable} ${issue.message}` };
  });
  const variables = [...new Set(problems.map((problem) => problem.variable))];
  throw new EnvironmentError(
    `Invalid handler environment: ${problems.map((problem) => problem.text).join('; ')}`,
    variables,
  );
}

/** "true" or "false" (any case); unset or empty means false. */
export const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .optional()
  .refine((value) => value === undefined || value === '' || value === 'true' || value === 'false', {
    message: 'must be "true" or "false"',
  })
  .transform((value) => value === 'true');

/**
 * ENVIRONMENT_NAME and ALLOW_HTTP_WEBHOOKS, for every handler that accepts or
 * calls webhook URLs. Spread it into the schema and wrap it in
 * {@link devOnlyHttpWebhooks}, so a template that sets the flag outside dev
 * fails the first invocation instead of accepting plain http:// URLs.
 */
export const webhookUrlEnvironment = {
  ENVIRONMENT_NAME: z.enum(ENVIRONMENT_NAMES, { error: `must be one of ${ENVIRONMENT_NAMES.join(', ')}` }),
  ALLOW_HTTP_WEBHOOKS: booleanFlag,
};

/** Refuses ALLOW_HTTP_WEBHOOKS=true outside dev, naming the variable. */
export function devOnlyHttpWebhooks<
  Schema extends z.ZodType<{ readonly ENVIRONMENT_NAME: EnvironmentName; readonly ALLOW_HTTP_WEBHOOKS: boolean }>,
>(schema: Schema): Schema {
  return schema.refine((env) => !env.ALLOW_HTTP_WEBHOOKS || env.ENVIRONMENT_NAME === 'dev', {
    path: ['ALLOW_HTTP_WEBHOOKS'],
    message: 'may be true in dev only',
  });
}
