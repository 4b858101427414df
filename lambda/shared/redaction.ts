/**
 * What may reach a log line: the redacting JSON replacer (a second line of
 * defence behind the rule "log facts, never secrets") and the loggable part
 * of an error. No dependencies, so the lean authorizer logger uses it too.
 */

/** What the replacer writes instead of a sensitive value. */
export const REDACTED = '[REDACTED]';

/**
 * Attribute names that may hold a credential. `keyId`, `keyHash`,
 * `secretArn`, `secretName` and `secretVersionId` name a credential
 * without revealing it, so they are allowed.
 */
const SENSITIVE_NAME =
  /secret(?!arn|name|versionid)|plaintext|password|passwd|apikey(?!id|name)|token|authorization|credential|^value$/i;

/** A Powertools `jsonReplacerFn` that blanks sensitive attributes. */
export function redactSensitive(key: string, value: unknown): unknown {
  if (key !== '' && SENSITIVE_NAME.test(key.replace(/[-_]/g, '')) && value !== undefined && value !== null) {
    return REDACTED;
  }
  return value;
}

/**
 * An error as a log attribute: its name and message only. Messages of domain
 * errors name ids, never key material; the stack and `cause` are left out
 * because an SDK error's cause can carry request parameters.
 */
export function loggableError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'NonError', message: 'a non-Error value was thrown' };
}
