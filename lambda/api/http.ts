/**
 * The HTTP edge shared by the admin and partner APIs: JSON responses, and
 * the one place where errors become status codes. Every 4xx/5xx body is
 * `{error: {code, message}}`; a 5xx never carries the original message,
 * because only domain errors are written to be shown to callers.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  DomainError,
  type DomainErrorCode,
  InvalidCursorError,
  KeyLimitReachedError,
  KeyNotPermittedError,
} from '../core/errors';

/** The `error.code` values the APIs document. */
export type ApiErrorCode =
  | 'bad_request'
  | 'validation_error'
  | 'invalid_cursor'
  | 'unauthorized'
  | 'forbidden'
  | 'key_not_permitted'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'key_limit_reached'
  | 'managed_by_config'
  | 'payload_too_large'
  | 'headers_too_large'
  | 'throttled'
  | 'rate_limited'
  | 'internal_error';

export const STATUS_OF: Readonly<Record<ApiErrorCode, number>> = {
  bad_request: 400,
  validation_error: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  key_not_permitted: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  key_limit_reached: 409,
  managed_by_config: 409,
  payload_too_large: 413,
  headers_too_large: 431,
  throttled: 429,
  rate_limited: 429,
  internal_error: 500,
};

const CODE_OF_DOMAIN: Readonly<Record<DomainErrorCode, ApiErrorCode>> = {
  validation: 'validation_error',
  'not-found': 'not_found',
  conflict: 'conflict',
  'managed-by-config': 'managed_by_config',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
};

/** The HTTP status of a domain error: the one mapping every door (the APIs and the portal) uses. */
export function statusOfDomainError(error: DomainError): number {
  return STATUS_OF[CODE_OF_DOMAIN[error.code]];
}

/** An HTTP-level refusal (bad JSON, too large, unknown route) raised by the router itself. */
export class HttpError extends Error {
  public constructor(
    public readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string };
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

/**
 * A success answer every caller may cache for `maxAgeSeconds`, with a strong
 * ETag of the body: a request whose `If-None-Match` names it gets a bodiless 304.
 */
export function cacheableJsonResponse(
  statusCode: number,
  body: unknown,
  maxAgeSeconds: number,
  requestHeaders: Readonly<Record<string, string | undefined>> | null,
): APIGatewayProxyResult {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  const headers = { 'content-type': 'application/json', 'cache-control': `public, max-age=${maxAgeSeconds}`, etag };
  const ifNoneMatch = Object.entries(requestHeaders ?? {}).find(
    ([name]) => name.toLowerCase() === 'if-none-match',
  )?.[1];
  const matches =
    ifNoneMatch?.split(',').some((tag) => tag.trim() === '*' || tag.trim().replace(/^W\//, '') === etag) ?? false;
  return matches ? { statusCode: 304, headers, body: '' } : { statusCode, headers, body: text };
}

export function errorResponse(code: ApiErrorCode, message: string): APIGatewayProxyResult {
  const body: ErrorBody = { error: { code, message } };
  return jsonResponse(STATUS_OF[code], body);
}

/**
 * 429 `rate_limited`: the caller's org is over its own partner API limit
 * (lambda/core/rate-limit.ts), with `Retry-After` in whole seconds. The
 * stage-wide limit answers 429 `throttled` from API Gateway instead.
 */
export function rateLimitedResponse(retryAfterSeconds: number): APIGatewayProxyResult {
  const response = errorResponse(
    'rate_limited',
    `Too many requests for this organization; retry after ${retryAfterSeconds} s`,
  );
  return { ...response, headers: { ...response.headers, 'retry-after': String(retryAfterSeconds) } };
}

/** Unauthorized answers never say which check failed. */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized';
const INTERNAL_MESSAGE = 'Internal server error';

/** The few domain errors whose API code is finer than their domain code. */
function refinedCode(error: DomainError): ApiErrorCode {
  if (error instanceof KeyNotPermittedError) return 'key_not_permitted';
  if (error instanceof InvalidCursorError) return 'invalid_cursor';
  if (error instanceof KeyLimitReachedError) return 'key_limit_reached';
  return CODE_OF_DOMAIN[error.code];
}

/**
 * Maps any thrown value to a response. `unexpected` reports whether the
 * caller should log it as a fault (everything that is not a typed error).
 */
export function toErrorResponse(error: unknown): { response: APIGatewayProxyResult; unexpected: boolean } {
  if (error instanceof HttpError) return { response: errorResponse(error.code, error.message), unexpected: false };
  if (error instanceof DomainError) {
    const code = refinedCode(error);
    const message = code === 'unauthorized' ? UNAUTHORIZED_MESSAGE : error.message;
    return { response: errorResponse(code, message), unexpected: false };
  }
  return { response: errorResponse('internal_error', INTERNAL_MESSAGE), unexpected: true };
}
