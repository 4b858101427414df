/**
 * The authorizer's Lambda entry point as Lambda runs it (region, credentials
 * and the DynamoDB endpoint from the environment) against a DynamoDB-shaped
 * HTTP server on 127.0.0.1: a live key is allowed and logged by org and
 * prefix; an unknown key is the same 401 as before; a DynamoDB failure
 * (throttling after the retry, bad credentials) is an error, so API Gateway
 * answers 500 as it did with the SDK client, never an allow; and no log line
 * carries the key, the secret access key or the session token.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { FakeClock } from '../../lambda/core/clock';
import { issueKey } from '../../lambda/core/api-keys';
import { answers, type FakeDynamoDb, startFakeDynamoDb } from '../support/fake-dynamodb';

const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'FQoGZXIvYXdzEXAMPLESESSIONTOKEN';
const VARIABLES = [
  'AWS_REGION',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'API_KEYS_TABLE',
  'TENANTS_TABLE',
  'AUTHORIZER_CACHE_TTL_SECONDS',
  'POWERTOOLS_LOG_LEVEL',
];
const saved: Record<string, string | undefined> = {};
let fake: FakeDynamoDb;
let lines: string[];

beforeAll(async () => {
  fake = await startFakeDynamoDb();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  jest.resetModules();
  for (const name of VARIABLES) saved[name] = process.env[name];
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_DYNAMODB: fake.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    API_KEYS_TABLE: 'partner-keys',
    TENANTS_TABLE: 'partner-tenants',
    AUTHORIZER_CACHE_TTL_SECONDS: '30',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
  lines = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((line) => {
    lines.push(String(line));
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

function liveKey() {
  const issued = issueKey({ orgId: 'acme', clock: new FakeClock(new Date().toISOString()) });
  const { keyHash, keyId, orgId, prefix, status, expiresAt } = issued.record;
  const item = {
    keyHash: { S: keyHash },
    keyId: { S: keyId },
    orgId: { S: orgId },
    prefix: { S: prefix },
    status: { S: status },
    expiresAt: { S: String(expiresAt) },
    lastUsedAt: { S: new Date().toISOString() },
  };
  return { issued, item };
}

async function invoke(plaintext: string) {
  const { handler } = await import('../../lambda/authorizer/index');
  const event = {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/partner/me',
    headers: { 'X-API-Key': plaintext },
  } as unknown as APIGatewayRequestAuthorizerEvent;
  return handler(event);
}

function logged(): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line));
}

function expectNoSecretIn(text: string, plaintext: string) {
  for (const secret of [plaintext, SECRET_ACCESS_KEY, SESSION_TOKEN]) expect(text).not.toContain(secret);
}

describe('authorizer entry point over the signed GetItem', () => {
  it('allows a live key read from its table by hash, and logs org and prefix only', async () => {
    const { issued, item } = liveKey();
    fake.queue.push(answers.item(item));
    const result = await invoke(issued.plaintext);
    expect(result.principalId).toBe('acme');
    expect(result.context).toMatchObject({ orgId: 'acme', keyId: issued.record.keyId, status: 'active' });
    expect(JSON.parse(fake.requests[0].body)).toMatchObject({
      TableName: 'partner-keys',
      Key: { keyHash: { S: issued.record.keyHash } },
      ConsistentRead: true,
    });
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'partner key accepted',
        orgId: 'acme',
        keyPrefix: issued.record.prefix,
      }),
    ]);
    expectNoSecretIn(lines.join(''), issued.plaintext);
  });

  it('refuses a key its table does not hold with the same 401', async () => {
    const { issued } = liveKey();
    await expect(invoke(issued.plaintext)).rejects.toThrow(/^Unauthorized$/);
    expect(logged()).toEqual([expect.objectContaining({ message: 'partner key refused', outcome: 'unauthorized' })]);
  });

  it.each([
    ['throttling that outlasts the retry', answers.throttled(), 'ProvisionedThroughputExceededException', 2],
    ['a 500 that outlasts the retry', answers.internal(), 'InternalServerError', 2],
    [
      'credentials DynamoDB does not know',
      answers.error(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'),
      'UnrecognizedClientException',
      1,
    ],
  ])(
    'fails (API Gateway answers 500), never allows, on %s, and logs the error without secrets',
    async (_, answer, name, attempts) => {
      const { issued } = liveKey();
      fake.reset(answer);
      await expect(invoke(issued.plaintext)).rejects.toMatchObject({ name });
      expect(fake.requests).toHaveLength(attempts);
      expect(logged()).toEqual([
        expect.objectContaining({
          level: 'ERROR',
          message: 'authorizer failed',
          error: expect.objectContaining({ name }),
        }),
      ]);
      expectNoSecretIn(lines.join(''), issued.plaintext);
    },
  );
});
