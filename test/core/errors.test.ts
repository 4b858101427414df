import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../lambda/core';

describe('domain errors', () => {
  it.each([
    [new ValidationError('bad'), 'ValidationError', 'validation'],
    [new NotFoundError('missing'), 'NotFoundError', 'not-found'],
    [new ConflictError('clash'), 'ConflictError', 'conflict'],
    [new UnauthorizedError('who'), 'UnauthorizedError', 'unauthorized'],
    [new ForbiddenError('no'), 'ForbiddenError', 'forbidden'],
  ])('%s carries its own name and code and is a DomainError', (error, name, code) => {
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(String(error)).toBe(`${name}: ${error.message}`);
  });

  it('keeps the cause for logs', () => {
    const cause = new Error('ConditionalCheckFailed');
    const error = new ConflictError('org acme already has an active API key', { cause });
    expect(error.cause).toBe(cause);
  });

  it('has no cause property when none was given', () => {
    expect('cause' in new NotFoundError('tenant acme is not registered')).toBe(false);
  });

  it('names the field a validation error is about', () => {
    expect(new ValidationError('must be in the future', { field: 'expiresAt' }).field).toBe('expiresAt');
  });
});
