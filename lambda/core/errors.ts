/**
 * Typed domain errors, as Powertools' packages shape theirs: one base class
 * and a subclass per outcome, so handlers map errors to HTTP in one place by
 * `code` instead of by matching message text. Messages are shown to callers
 * and written to logs, so they name ids and fields, never key material.
 */
import { partnerFilePath } from './contracts';

/** What went wrong, from the caller's point of view. */
export type DomainErrorCode =
  'validation' | 'not-found' | 'conflict' | 'managed-by-config' | 'unauthorized' | 'forbidden';

export interface DomainErrorOptions {
  /** The lower-level error this one explains; kept for logs, never shown. */
  readonly cause?: unknown;
}

export abstract class DomainError extends Error {
  public abstract readonly code: DomainErrorCode;

  protected constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export interface ValidationErrorOptions extends DomainErrorOptions {
  /** The input field at fault, so an API can point at it. */
  readonly field?: string;
}

/** The input breaks a rule; retrying the same input fails the same way. */
export class ValidationError extends DomainError {
  public readonly code = 'validation';
  public readonly field?: string;

  public constructor(message: string, options: ValidationErrorOptions = {}) {
    super(message, options);
    // Set explicitly: bundlers may minify class names, and `name` is what logs show.
    this.name = 'ValidationError';
    this.field = options.field;
  }
}

/** The addressed tenant, key or webhook does not exist. */
export class NotFoundError extends DomainError {
  public readonly code = 'not-found';

  public constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** The request is valid but the current state forbids it (e.g. a second active key). */
export class ConflictError extends DomainError {
  public readonly code = 'conflict';

  public constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/**
 * The org already has as many live keys in the environment as its key policy
 * allows (`apiKey.maxActivePerEnvironment`). API code `key_limit_reached`
 * (409); the message names the environment and the limit.
 */
export class KeyLimitReachedError extends ConflictError {
  public constructor(
    public readonly orgId: string,
    public readonly environment: string,
    public readonly limit: number,
    options: DomainErrorOptions = {},
  ) {
    super(
      `org ${orgId} already has ${limit} active ${environment} API ${limit === 1 ? 'key' : 'keys'} (the limit for ${environment}); rotate or revoke one first`,
      options,
    );
    this.name = 'KeyLimitReachedError';
  }
}

/**
 * The webhook is declared in a partner file: CloudFormation owns its
 * connection, destination and rule, so its URL, events and rate limit change
 * only by a change to that file (its secret stays rotatable).
 */
export class ManagedByConfigError extends DomainError {
  public readonly code = 'managed-by-config';
  /** The file to change instead, e.g. `partners/acme-corp.yaml`. */
  public readonly file: string;

  public constructor(orgId: string, webhookId: string, options: DomainErrorOptions = {}) {
    const file = partnerFilePath(orgId);
    super(
      `webhook ${webhookId} is declared in ${file}; change its url, events or rate limit there (a pull request), not through the API`,
      options,
    );
    this.name = 'ManagedByConfigError';
    this.file = file;
  }
}

/** No usable credential was presented. */
export class UnauthorizedError extends DomainError {
  public readonly code = 'unauthorized';

  public constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options);
    this.name = 'UnauthorizedError';
  }
}

/** The credential is valid but does not allow this action (e.g. another org's data). */
export class ForbiddenError extends DomainError {
  public readonly code = 'forbidden';

  public constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options);
    this.name = 'ForbiddenError';
  }
}

/**
 * The partner key is valid for ordinary calls but may not change credentials
 * or webhooks: only the org's live key, read from the table at the time of
 * the request, may (a key in grace, revoked or expired may not, whatever a
 * cached authorizer answer says). API code `key_not_permitted`.
 */
export class KeyNotPermittedError extends ForbiddenError {
  public constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options);
    this.name = 'KeyNotPermittedError';
  }
}

/**
 * A listing cursor this API did not hand out for this listing: not base64url
 * JSON, not the listing's key attributes, or positioned in another partition
 * (another org's keys). API code `invalid_cursor`; refused before any read.
 */
export class InvalidCursorError extends ValidationError {
  public constructor(message = 'cursor is not one this listing returned', options: DomainErrorOptions = {}) {
    super(message, { ...options, field: 'cursor' });
    this.name = 'InvalidCursorError';
  }
}
