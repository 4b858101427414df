/**
 * Handler configuration comes from environment variables the CDK wiring
 * sets. Each handler reads them once at cold start through a zod schema, so a
 * missing or malformed variable fails the first invocation with a message
 * naming the variable, instead of an `undefined` table name deep in a call.
 */
import { z } from 'zod';

/** A required environment variable is missing or malformed; the message names it. */
export class EnvironmentError extends Error {
  /** The variables at fault. */
  public readonly variables: readonly string[];

  public constructor(message: string, variables: readonly string[]) {
    super(message);
    this.name = 'EnvironmentError';
    this.variables = variables;
  }
}

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
