/**
 * Powertools logger and metrics, created once per handler module with the
 * handler's service name.
 *
 * The logging rule: log facts about an operation (orgId, webhookId, the
 * public keyId, a key's 8-character prefix, the outcome and counts), never a
 * plaintext key, a secret value, a whole event or a whole record. The
 * handlers follow it by construction; the JSON replacer below is a second
 * line of defence that blanks any attribute whose name says it holds a
 * credential, wherever in a log item it appears.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

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

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Metric namespace shared by every handler; the service name is a dimension. */
export const METRICS_NAMESPACE = 'PartnerPlatform';

/**
 * A logger and metrics for one handler. `POWERTOOLS_SERVICE_NAME` and
 * `POWERTOOLS_LOG_LEVEL`, when the function sets them, still win.
 */
export function createObservability(serviceName: string): Observability {
  const logger = new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || serviceName,
    jsonReplacerFn: redactSensitive,
  });
  const metrics = new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || serviceName,
  });
  return { logger, metrics };
}

/** The part of an API key that may be logged: the first 8 characters stored on its record. */
export function loggableKey(record: { readonly keyId: string; readonly prefix: string }): {
  keyId: string;
  keyPrefix: string;
} {
  return { keyId: record.keyId, keyPrefix: record.prefix };
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

/** Flushes stored metrics; skips Powertools' "no metrics" warning when there are none. */
export function publishMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
