import { z } from 'zod';
import { endpointFor } from '../../lambda/shared/aws-clients';
import { booleanFlag, EnvironmentError, optionalString, readEnv, requiredString } from '../../lambda/shared/env';
import { loggableError, REDACTED, redactSensitive } from '../../lambda/shared/observability';
import { decodeCursor, diffUpdate, encodeCursor } from '../../lambda/repositories/dynamo-support';
import { InvalidCursorError, ValidationError } from '../../lambda/core/errors';

describe('readEnv', () => {
  const schema = z.object({
    TABLE: requiredString,
    LIMIT: z.coerce.number().int().min(1),
    PREFIX: optionalString,
    ALLOW_HTTP: booleanFlag,
  });

  it('returns the parsed variables, coercing numbers and flags', () => {
    expect(readEnv(schema, { TABLE: 't', LIMIT: '5', ALLOW_HTTP: 'TRUE', OTHER: 'x' })).toEqual({
      TABLE: 't',
      LIMIT: 5,
      PREFIX: undefined,
      ALLOW_HTTP: true,
    });
  });

  it.each([
    [{ LIMIT: '1' }, 'TABLE is not set'],
    [{ TABLE: ' ', LIMIT: '1' }, 'TABLE is empty'],
    [{ TABLE: 't', LIMIT: 'zero' }, 'LIMIT'],
    [{ TABLE: 't', LIMIT: '1', ALLOW_HTTP: 'yes' }, 'ALLOW_HTTP must be "true" or "false"'],
  ])('names the bad variable: %j -> %s', (env, message) => {
    expect(() => readEnv(schema, env)).toThrow(EnvironmentError);
    expect(() => readEnv(schema, env)).toThrow(message);
  });

  it('lists every bad variable and never echoes a value', () => {
    try {
      readEnv(schema, { LIMIT: 's3cr3t-value' });
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(EnvironmentError);
      expect((error as EnvironmentError).variables).toEqual(['TABLE', 'LIMIT']);
      expect((error as Error).message).not.toContain('s3cr3t-value');
    }
  });
});

describe('endpointFor', () => {
  it('prefers the per-service variable, falls back to AWS_ENDPOINT_URL, and is absent in Lambda', () => {
    expect(
      endpointFor('DYNAMODB', { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_ENDPOINT_URL: 'http://x' }),
    ).toBe('http://127.0.0.1:8000');
    expect(endpointFor('SECRETS_MANAGER', { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toBe('http://127.0.0.1:4566');
    expect(endpointFor('EVENTBRIDGE', {})).toBeUndefined();
    expect(endpointFor('DYNAMODB', { AWS_ENDPOINT_URL_DYNAMODB: '' })).toBeUndefined();
  });
});

describe('log redaction', () => {
  it.each([
    ['apiKey', REDACTED],
    ['plaintext', REDACTED],
    ['webhookSecret', REDACTED],
    ['SecretString', REDACTED],
    ['x-partner-platform-secret', REDACTED],
    ['Authorization', REDACTED],
    ['clientRequestToken', REDACTED],
    ['value', REDACTED],
    ['keyId', 'kept'],
    ['keyPrefix', 'kept'],
    ['secretArn', 'kept'],
    ['secretVersionId', 'kept'],
    ['orgId', 'kept'],
  ])('%s -> %s', (name, expected) => {
    expect(redactSensitive(name, 'kept')).toBe(expected);
  });

  it('loggableError keeps name and message but not the cause', () => {
    const error = new ValidationError('bad', { cause: new Error('inner detail') });
    expect(loggableError(error)).toEqual({ name: 'ValidationError', message: 'bad' });
    expect(loggableError('a string')).toEqual({ name: 'NonError', message: 'a non-Error value was thrown' });
  });
});

describe('repository helpers', () => {
  const byOrg = { attributes: ['keyHash', 'orgId', 'createdAt'], fixed: { orgId: 'acme' } };
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

  it('cursors round-trip through the listing they came from', () => {
    const key = { orgId: 'acme', createdAt: '2025-01-01T00:00:00.000Z', keyHash: 'ab' };
    expect(decodeCursor(encodeCursor(key), byOrg)).toEqual(key);
    expect(encodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor(undefined, byOrg)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['bad base64', 'not a cursor!'],
    ['base64 of text that is not JSON', b64('{orgId:')],
    ['JSON that is not an object', b64('["acme"]')],
    ['DynamoDB attribute-value JSON', b64('{"a":{"S":"x"}}')],
    ['a missing key attribute', b64('{"orgId":"acme","createdAt":"2025"}')],
    ['an extra attribute', b64('{"orgId":"acme","createdAt":"2025","keyHash":"ab","x":"y"}')],
    ['a number where a string is', b64('{"orgId":"acme","createdAt":2025,"keyHash":"ab"}')],
    ["another org's position", b64('{"orgId":"globex","createdAt":"2025","keyHash":"ab"}')],
  ])('a cursor with %s is an InvalidCursorError (400 invalid_cursor)', (_label, cursor) => {
    expect(() => decodeCursor(cursor, byOrg)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(cursor, byOrg)).toThrow(ValidationError);
  });

  it('diffUpdate sets what changed, removes what was dropped and skips keys', () => {
    expect(
      diffUpdate(
        { keyHash: 'h', status: 'active', dueAt: 'a', dueBucket: 'due', createdAt: 'c' },
        { keyHash: 'h', status: 'revoked', revokedAt: 'r', createdAt: 'c' },
        ['keyHash'],
      ),
    ).toEqual({
      UpdateExpression: 'SET #u1 = :u1, #u2 = :u2 REMOVE #u3, #u4',
      ExpressionAttributeNames: { '#u1': 'status', '#u2': 'revokedAt', '#u3': 'dueAt', '#u4': 'dueBucket' },
      ExpressionAttributeValues: { ':u1': 'revoked', ':u2': 'r' },
    });
    expect(diffUpdate({ a: 1 }, { a: 1 }, [])).toBeUndefined();
  });
});
