/**
 * The error every handler's environment check throws. Apart from env.ts (zod)
 * so the authorizer, which checks its three variables by hand to stay small,
 * throws the same error.
 */
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
