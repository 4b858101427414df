/**
 * The authorizer's signed GetItem (no SDK) against a real HTTP server on
 * 127.0.0.1 answering like DynamoDB: the request DynamoDB receives (JSON
 * protocol, SigV4 signature checked by an independent computation here),
 * the response parsed by hand, and every failure mapped as the SDK client
 * mapped it: throttling and 5xx retried once, then an error named after
 * DynamoDB's; bad credentials and missing tables not retried; a deadline per
 * attempt; no credential in any error.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { EnvironmentError } from '../../lambda/shared/environment-error';
import {
  credentialsFrom,
  DynamoDbGetItemClient,
  DynamoDbRequestError,
  dynamoDbGetItemFromEnvironment,
  publicEndpoint,
  type SigningCredentials,
} from '../../lambda/shared/dynamodb-get-item';
import { ApiKeyLookup, MalformedKeyRecordError } from '../../lambda/repositories/api-key-lookup';
import { answers, type FakeDynamoDb, startFakeDynamoDb } from '../support/fake-dynamodb';

const CREDENTIALS: SigningCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FQoGZXIvYXdzEXAMPLESESSIONTOKEN',
};
const INPUT = { TableName: 'keys', Key: { keyHash: { S: 'a'.repeat(64) } }, ConsistentRead: true };

let fake: FakeDynamoDb;

beforeAll(async () => {
  fake = await startFakeDynamoDb();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => fake.reset());

function client(options: { attemptTimeoutMs?: number } = {}) {
  return new DynamoDbGetItemClient({
    region: 'eu-west-1',
    endpoint: fake.endpoint,
    credentials: () => CREDENTIALS,
    retryDelayMs: 1,
    ...options,
  });
}

/** SigV4 computed here from the received request, independently of the signer under test. */
function expectedSignature(method: string, path: string, headers: IncomingHttpHeaders, body: string, signed: string[]) {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();
  const amzDate = String(headers['x-amz-date']);
  const day = amzDate.slice(0, 8);
  const canonicalHeaders = signed.map((name) => `${name}:${String(headers[name]).trim()}\n`).join('');
  const canonicalRequest = [method, path, '', canonicalHeaders, signed.join(';'), sha256(body)].join('\n');
  const scope = `${day}/eu-west-1/dynamodb/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day);
  for (const part of ['eu-west-1', 'dynamodb', 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('signed GetItem request', () => {
  it('is one SigV4-signed POST of the JSON protocol that DynamoDB can verify, with the session token', async () => {
    await client().getItem({ ...INPUT, ProjectionExpression: '#a0', ExpressionAttributeNames: { '#a0': 'orgId' } });
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/' });
    expect(JSON.parse(request.body)).toEqual({
      ...INPUT,
      ProjectionExpression: '#a0',
      ExpressionAttributeNames: { '#a0': 'orgId' },
    });
    expect(request.headers).toMatchObject({
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'x-amz-security-token': CREDENTIALS.sessionToken,
      'x-amz-date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
      host: new URL(fake.endpoint).host,
    });
    const authorization =
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        String(request.headers.authorization),
      );
    expect(authorization).not.toBeNull();
    const signed = authorization![2].split(';');
    expect(signed).toEqual(
      expect.arrayContaining(['content-type', 'host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']),
    );
    expect(authorization![3]).toBe(expectedSignature('POST', '/', request.headers, request.body, signed));
    expect(JSON.stringify(request)).not.toContain(CREDENTIALS.secretAccessKey);
  });

  it('reuses one keep-alive connection across requests', async () => {
    const keepAlive = client();
    await keepAlive.getItem(INPUT);
    await keepAlive.getItem(INPUT);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].connection).toBe(fake.requests[0].connection);
  });

  it('goes to DynamoDB in the region when no endpoint is set (the China partition on its own domain)', () => {
    expect(publicEndpoint('eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    expect(publicEndpoint('cn-north-1')).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn');
  });
});

describe('GetItem response', () => {
  it('returns the item as DynamoDB sent it, and undefined when there is none', async () => {
    fake.queue.push(answers.item({ orgId: { S: 'acme' }, usageCount: { N: '3' } }), answers.noItem());
    expect(await client().getItem(INPUT)).toEqual({ orgId: { S: 'acme' }, usageCount: { N: '3' } });
    expect(await client().getItem(INPUT)).toBeUndefined();
  });

  it.each([
    ['throttling', answers.throttled()],
    ['a 500', answers.internal()],
    ['a 503 without a JSON body', { status: 503, body: 'Service Unavailable' }],
  ])('retries %s once and returns the second answer', async (_, first) => {
    fake.queue.push(first, answers.item({ orgId: { S: 'acme' } }));
    expect(await client().getItem(INPUT)).toEqual({ orgId: { S: 'acme' } });
    expect(fake.requests).toHaveLength(2);
  });

  it.each([
    ['ProvisionedThroughputExceededException', 400, answers.throttled()],
    ['InternalServerError', 500, answers.internal()],
  ])('fails with %s after one retry', async (name, statusCode, answer) => {
    fake.reset(answer);
    const failure = await client()
      .getItem(INPUT)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DynamoDbRequestError);
    expect(failure).toMatchObject({ name, statusCode, retryable: true });
    expect(fake.requests).toHaveLength(2);
  });

  it.each([
    ['UnrecognizedClientException', 'The security token included in the request is invalid.'],
    ['AccessDeniedException', 'User is not authorized to perform: dynamodb:GetItem'],
    ['ResourceNotFoundException', 'Requested resource not found'],
    ['ValidationException', 'One or more parameter values were invalid'],
  ])('fails at once, without a retry, on %s', async (name, message) => {
    fake.reset(answers.error(400, name, message));
    await expect(client().getItem(INPUT)).rejects.toMatchObject({
      name,
      statusCode: 400,
      retryable: false,
      message: `GetItem: HTTP 400 ${name}: ${message}`,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('never carries the canonical request an InvalidSignatureException quotes (it holds the session token)', async () => {
    const quoted =
      'The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n' +
      `'POST\n/\n\nx-amz-security-token:${CREDENTIALS.sessionToken}\n'`;
    fake.reset(answers.error(400, 'InvalidSignatureException', quoted));
    const failure = (await client()
      .getItem(INPUT)
      .catch((error: unknown) => error)) as Error;
    expect(failure.name).toBe('InvalidSignatureException');
    expect(failure.message).toBe(
      'GetItem: HTTP 400 InvalidSignatureException: The request signature we calculated does not match the signature you provided.',
    );
    expect(JSON.stringify({ ...failure, message: failure.message })).not.toContain(CREDENTIALS.sessionToken);
  });

  it('ends an attempt that gets no answer at its deadline and retries it once', async () => {
    fake.queue.push('hang', answers.item({ orgId: { S: 'acme' } }));
    expect(await client({ attemptTimeoutMs: 200 }).getItem(INPUT)).toEqual({ orgId: { S: 'acme' } });
    expect(fake.requests).toHaveLength(2);

    fake.reset('hang');
    await expect(client({ attemptTimeoutMs: 200 }).getItem(INPUT)).rejects.toMatchObject({
      name: 'TimeoutError',
      retryable: true,
      message: 'GetItem: no answer within 200 ms',
    });
    expect(fake.requests).toHaveLength(2);
  });

  it('maps a refused connection to a network error, after one retry', async () => {
    const closed = await startFakeDynamoDb();
    await closed.close();
    const unreachable = new DynamoDbGetItemClient({
      region: 'eu-west-1',
      endpoint: closed.endpoint,
      credentials: () => CREDENTIALS,
      retryDelayMs: 1,
    });
    await expect(unreachable.getItem(INPUT)).rejects.toMatchObject({
      name: 'NetworkError',
      message: 'GetItem: ECONNREFUSED',
      retryable: true,
    });
  });

  it('refuses a 200 that is not a DynamoDB answer', async () => {
    fake.queue.push({ status: 200, body: { Item: ['not', 'a', 'map'] } });
    await expect(client().getItem(INPUT)).rejects.toMatchObject({ name: 'DynamoDbResponseError', retryable: false });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('the Lambda environment', () => {
  it('gives the region, the endpoint override and the credentials, read on each request', async () => {
    const env: Record<string, string | undefined> = {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_DYNAMODB: fake.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDFIRST',
      AWS_SECRET_ACCESS_KEY: 'first-secret',
    };
    const fromEnv = dynamoDbGetItemFromEnvironment(env);
    await fromEnv.getItem(INPUT);
    env.AWS_ACCESS_KEY_ID = 'AKIDSECOND';
    env.AWS_SESSION_TOKEN = 'second-token';
    await fromEnv.getItem(INPUT);
    expect(fake.requests.map((request) => String(request.headers.authorization).split('/')[0])).toEqual([
      'AWS4-HMAC-SHA256 Credential=AKIDFIRST',
      'AWS4-HMAC-SHA256 Credential=AKIDSECOND',
    ]);
    expect(fake.requests.map((request) => request.headers['x-amz-security-token'])).toEqual([
      undefined,
      'second-token',
    ]);
  });

  it('names missing variables, never their values', () => {
    expect(() => dynamoDbGetItemFromEnvironment({})).toThrow(
      new EnvironmentError('Invalid handler environment: AWS_REGION is not set', ['AWS_REGION']),
    );
    const failure = (() => {
      try {
        return credentialsFrom({ AWS_ACCESS_KEY_ID: 'AKIDONLY' });
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(EnvironmentError);
    expect(failure).toMatchObject({ variables: ['AWS_SECRET_ACCESS_KEY'] });
    expect(String((failure as Error).message)).not.toContain('AKIDONLY');
  });
});

describe("the authorizer's key lookup over it", () => {
  const item = {
    keyHash: { S: 'a'.repeat(64) },
    keyId: { S: 'key-1' },
    orgId: { S: 'acme' },
    prefix: { S: 'AbCdEfGh' },
    status: { S: 'grace' },
    expiresAt: { S: '2027-01-01T00:00:00.000Z' },
    graceEndsAt: { S: '2026-01-02T00:00:00.000Z' },
    environment: { S: 'development' },
  };

  it('asks for the eight attributes it reads, consistently, and parses them by hand', async () => {
    fake.queue.push(answers.item(item));
    const record = await new ApiKeyLookup(client(), 'keys').getByHash('a'.repeat(64));
    expect(record).toEqual({
      keyHash: 'a'.repeat(64),
      keyId: 'key-1',
      orgId: 'acme',
      prefix: 'AbCdEfGh',
      status: 'grace',
      expiresAt: '2027-01-01T00:00:00.000Z',
      graceEndsAt: '2026-01-02T00:00:00.000Z',
      environment: 'development',
    });
    const sent = JSON.parse(fake.requests[0].body);
    expect(sent).toMatchObject({ TableName: 'keys', Key: { keyHash: { S: 'a'.repeat(64) } }, ConsistentRead: true });
    const projected = String(sent.ProjectionExpression)
      .split(', ')
      .map((placeholder) => sent.ExpressionAttributeNames[placeholder]);
    expect(projected.sort()).toEqual(Object.keys(item).sort());
  });

  it('leaves out the optional end dates and environment a key without them lacks', async () => {
    const { expiresAt: _e, graceEndsAt: _g, environment: _v, ...never } = { ...item, status: { S: 'active' } };
    fake.queue.push(answers.item(never));
    expect(await new ApiKeyLookup(client(), 'keys').getByHash('a'.repeat(64))).toEqual({
      keyHash: 'a'.repeat(64),
      keyId: 'key-1',
      orgId: 'acme',
      prefix: 'AbCdEfGh',
      status: 'active',
    });
  });

  it.each([
    ['orgId', { ...item, orgId: undefined }],
    ['orgId', { ...item, orgId: { S: '' } }],
    ['status', { ...item, status: { S: 'superuser' } }],
    ['status', { ...item, status: { S: 'toString' } }],
    ['expiresAt', { ...item, expiresAt: { N: '1767225600' } }],
    ['environment', { ...item, environment: { S: 'staging' } }],
  ])('refuses a record with a bad %s as an error, never as a key', async (attribute, bad) => {
    fake.queue.push(answers.item(JSON.parse(JSON.stringify(bad))));
    await expect(new ApiKeyLookup(client(), 'keys').getByHash('a'.repeat(64))).rejects.toEqual(
      new MalformedKeyRecordError(attribute),
    );
  });
});
