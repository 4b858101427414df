/**
 * The access-log line every API that partner keys protect writes (the
 * platform's own REST API and any API that attaches `PartnerKeyAuthorizer`),
 * and the one reader of it. Usage is counted from these lines, not from the
 * authorizer: API Gateway writes one line for every request, including those
 * answered from the authorizer's cache, and `$context.authorizer.*` carries
 * the cached answer's context too.
 *
 * API Gateway substitutes `$context` variables into the format string; a
 * variable with no value becomes `-`. The format names the authorizer's
 * context fields explicitly (never `$context.authorizer.status`, which API
 * Gateway reserves for the authorizer's own status code).
 *
 * Plain values and a plain parser only: no AWS, no zod, no CDK, so the
 * constructs (lib/), the ingestion handler and the local runtime all use it.
 */

/** One access-log line as API Gateway writes it (all strings; `-` when empty). */
export interface AccessLogLine {
  readonly requestId: string;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly requestTimeEpoch: string;
  readonly apiId: string;
  readonly stage: string;
  readonly httpMethod: string;
  readonly resourcePath: string;
  /** The HTTP status API Gateway answered with, as a string. */
  readonly status: string;
  readonly responseLatency: string;
  /** From the partner authorizer's context; `-` when the request never passed it (a 401). */
  readonly orgId: string;
  readonly keyId: string;
  /** The key's environment (`development` / `production`); `-` for keys issued before environments. */
  readonly keyEnvironment: string;
}

/** The `$context` variable behind each field of the line. */
export const ACCESS_LOG_VARIABLES: Readonly<Record<keyof AccessLogLine, string>> = {
  requestId: '$context.requestId',
  requestTimeEpoch: '$context.requestTimeEpoch',
  apiId: '$context.apiId',
  stage: '$context.stage',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  orgId: '$context.authorizer.orgId',
  keyId: '$context.authorizer.keyId',
  keyEnvironment: '$context.authorizer.environment',
};

/**
 * The stage's access-log format: one JSON object per line. Every value is
 * quoted, so a `-` placeholder still parses.
 */
export const ACCESS_LOG_FORMAT: string = `{${Object.entries(ACCESS_LOG_VARIABLES)
  .map(([field, variable]) => `"${field}":"${variable}"`)
  .join(',')}}`;

/** The value API Gateway writes for a variable that has none. */
export const ACCESS_LOG_EMPTY = '-';

/** A line that counts towards a key's usage: it passed the authorizer. */
export interface KeyRequest {
  readonly requestId: string;
  readonly orgId: string;
  readonly keyId: string;
  /** Undefined for keys without an environment. */
  readonly keyEnvironment?: string;
  /** When API Gateway received the request. */
  readonly at: Date;
  readonly status: number;
}

function present(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value !== ACCESS_LOG_EMPTY;
}

/**
 * The key request a line records, or undefined when the line is not one:
 * not our JSON, no key (the authorizer refused it), or a time or status
 * that does not parse. Never throws: one bad line must not stop a batch.
 */
export function parseAccessLogLine(message: string): KeyRequest | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const line = raw as Partial<Record<keyof AccessLogLine, unknown>>;
  if (!present(line.requestId) || !present(line.orgId) || !present(line.keyId)) return undefined;
  const epochMs = Number(line.requestTimeEpoch);
  const status = Number(line.status);
  if (!Number.isSafeInteger(epochMs) || epochMs <= 0) return undefined;
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  return {
    requestId: line.requestId,
    orgId: line.orgId,
    keyId: line.keyId,
    ...(present(line.keyEnvironment) ? { keyEnvironment: line.keyEnvironment } : {}),
    at: new Date(epochMs),
    status,
  };
}

/** Renders a line as API Gateway would (the local runtime's API writes these). */
export function formatAccessLogLine(line: AccessLogLine): string {
  const ordered = Object.fromEntries(
    (Object.keys(ACCESS_LOG_VARIABLES) as (keyof AccessLogLine)[]).map((field) => [
      field,
      line[field] === '' ? ACCESS_LOG_EMPTY : line[field],
    ]),
  );
  return JSON.stringify(ordered);
}
