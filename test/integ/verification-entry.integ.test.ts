/**
 * The deployed entry point (lambda/verification/index.ts) as Lambda loads it:
 * environment variables only, DynamoDB Local for the table, and a stand-in
 * Secrets Manager on 127.0.0.1. It proves that no environment variable lets
 * the production wiring reach a loopback receiver, even in dev with http
 * allowed, and that the Powertools log output holds no secret value.
 */
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../lambda/core/clock';
import { createWebhook } from '../../lambda/core/webhooks';
import { WebhooksRepository } from '../../lambda/repositories/webhooks-repository';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';
import { type Receiver, startReceiver } from '../verification/receiver';

const SECRET = 'entry-Test-Secret-Value-5d4c3b2a1f0e9d8c7b6a';
const SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:000000000000:secret:partner-platform/dev/webhooks/acme-corp/primary-AbCdEf';

interface FakeSecretsManager {
  readonly endpoint: string;
  readonly requests: Array<{ target: string; secretId: unknown }>;
  close(): Promise<void>;
}

/** Answers GetSecretValue (AWS JSON 1.1) for one secret, as Secrets Manager does. */
async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const requests: FakeSecretsManager['requests'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: unknown };
      requests.push({ target, secretId: input.SecretId });
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target === 'secretsmanager.GetSecretValue' && input.SecretId === SECRET_ARN) {
        response.end(
          JSON.stringify({
            ARN: SECRET_ARN,
            Name: 'partner-platform/dev/webhooks/acme-corp/primary',
            SecretString: SECRET,
            VersionId: 'v-1',
            VersionStages: ['AWSCURRENT'],
          }),
        );
        return;
      }
      response.statusCode = 400;
      response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'not found' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let ddb: IntegDynamoDb;
let tables: PlatformTableNames | undefined;
let secretsManager: FakeSecretsManager;
let receiver: Receiver;
let savedEnv: NodeJS.ProcessEnv;
let output: string[];
let stdoutSpy: jest.SpyInstance;
let stderrSpy: jest.SpyInstance;
let handler: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'verification-entry');
  secretsManager = await startFakeSecretsManager();
  receiver = await startReceiver({ secret: SECRET });

  const repository = new WebhooksRepository({ doc: ddb.doc, tableName: tables.webhooks, clock: new FakeClock() });
  // Records pointing at this machine, as if a bad URL had slipped past every earlier check.
  for (const [webhookId, host] of [
    ['by-address', '127.0.0.1'],
    ['by-name', 'localhost'],
  ] as const) {
    await repository.create({
      ...createWebhook({
        orgId: 'acme-corp',
        webhookId,
        url: `http://${host}:${receiver.port}/hook`,
        events: ['*'],
        source: 'api',
        clock: new FakeClock(new Date()),
        urlPolicy: { allowHttp: true, allowLoopback: true },
      }),
      secretArn: SECRET_ARN,
    });
  }

  savedEnv = process.env;
  process.env = {
    ...savedEnv,
    // The most permissive deployable configuration there is.
    ENVIRONMENT_NAME: 'dev',
    ALLOW_HTTP_WEBHOOKS: 'true',
    WEBHOOKS_TABLE: tables.webhooks,
    // Names a loopback switch might plausibly have: none of them exists.
    ALLOW_LOOPBACK: 'true',
    LOCAL: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: secretsManager.endpoint,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  };
  delete process.env.POWERTOOLS_DEV;
  output = [];
  const capture = (chunk: unknown): boolean => {
    output.push(String(chunk));
    return true;
  };
  stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  stderrSpy = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  jest.isolateModules(() => {
    ({ handler } = require('../../lambda/verification/index') as { handler: typeof handler });
  });
  // Synthesizing the platform template for the tables takes a few seconds.
}, 60_000);

afterAll(async () => {
  stdoutSpy?.mockRestore();
  stderrSpy?.mockRestore();
  if (savedEnv !== undefined) process.env = savedEnv;
  await receiver?.close();
  await secretsManager?.close();
  await deletePlatformTables(ddb.client, tables);
  await ddb?.close();
}, 30_000);

describe('lambda/verification/index.ts wired by environment variables', () => {
  it('a direct invoke refuses a loopback URL even in dev: the receiver sees no connection', async () => {
    const result = await handler({ orgId: 'acme-corp', webhookId: 'by-address' });

    expect(result).toMatchObject({
      action: 'verify',
      result: {
        outcome: 'retrying',
        lastError: expect.stringMatching(
          /^URL refused: host 127\.0\.0\.1 is a loopback, private, link-local or metadata address/,
        ),
      },
    });
    expect(receiver.connections()).toBe(0);
    expect(secretsManager.requests).toContainEqual({ target: 'secretsmanager.GetSecretValue', secretId: SECRET_ARN });
  });

  it('the scheduled sweep refuses a localhost URL the same way', async () => {
    const result = await handler({ action: 'sweep' });

    expect(result).toMatchObject({ action: 'sweep', counts: { retrying: 1, verified: 0 } });
    expect(receiver.connections()).toBe(0);
  });

  it('wrote structured Powertools logs and metrics, none holding the secret value', () => {
    const text = output.join('');
    expect(text).toContain('"message":"verification attempt"');
    expect(text).toContain('"service":"webhook-verification"');
    expect(text).toContain('WebhookVerificationRetrying');
    expect(text).not.toContain(SECRET);
  });
});
