/**
 * Powertools logger and metrics, created once per handler module with the
 * handler's service name.
 *
 * The logging rule: log facts about an operation (orgId, webhookId, the
 * public keyId, a key's 8-character prefix, the outcome and counts), never a
 * plaintext key, a secret value, a whole event or a whole record. The
 * handlers follow it by construction; the JSON replacer (redaction.ts) is a second
 * line of defence that blanks any attribute whose name says it holds a
 * credential, wherever in a log item it appears.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../core/contracts';
import { redactSensitive } from './redaction';

export { REDACTED, loggableError, redactSensitive } from './redaction';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export { METRICS_NAMESPACE } from '../core/contracts';

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

/** Flushes stored metrics; skips Powertools' "no metrics" warning when there are none. */
export function publishMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
