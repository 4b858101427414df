/**
 * The Lambda entry points with the SDK mocked: the environment is checked on
 * the first invocation with a message naming the variable, and an SDK
 * failure while writing the pickup secret fails the custom resource without
 * the key in the error or the logs.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { captureOutput, customResourceEvent } from '../support/handler-harness';

const ENV_NAMES = [
  'TENANTS_TABLE',
  'API_KEYS_TABLE',
  'WEBHOOKS_TABLE',
  'PICKUP_SECRET_PREFIX',
  'ENVIRONMENT_NAME',
  'AWS_REGION',
];
const saved: Record<string, string | undefined> = {};

beforeEach(() => {
  jest.resetModules();
  for (const name of ENV_NAMES) saved[name] = process.env[name];
});

afterEach(() => {
  for (const name of ENV_NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

function setEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

const props = { orgId: 'acme', orgName: 'Acme', ownerEmail: 'owner@acme.example', webhooks: [] };

describe('environment checks', () => {
  it('onboarding names the missing variables in the failure CloudFormation shows', async () => {
    setEnv({ TENANTS_TABLE: 't', API_KEYS_TABLE: undefined, WEBHOOKS_TABLE: 'w', PICKUP_SECRET_PREFIX: undefined });
    const output = captureOutput();
    try {
      const { handler } = await import('../../lambda/onboarding/index');
      await expect(handler(customResourceEvent('Create', props))).rejects.toThrow(
        'Invalid handler environment: API_KEYS_TABLE is not set; PICKUP_SECRET_PREFIX is not set',
      );
    } finally {
      output.restore();
    }
  });

  it('rotation names the missing variable', async () => {
    setEnv({ TENANTS_TABLE: 't', API_KEYS_TABLE: 'k', WEBHOOKS_TABLE: undefined });
    const output = captureOutput();
    try {
      const { handler } = await import('../../lambda/rotation/index');
      await expect(handler({ action: 'sweep' })).rejects.toThrow('WEBHOOKS_TABLE is not set');
    } finally {
      output.restore();
    }
  });
});

describe('onboarding when Secrets Manager refuses the pickup secret', () => {
  it('fails the resource with a message naming the secret, stores no key, and logs no key', async () => {
    setEnv({
      TENANTS_TABLE: 't',
      API_KEYS_TABLE: 'k',
      WEBHOOKS_TABLE: 'w',
      PICKUP_SECRET_PREFIX: 'pp/dev/pickup/',
      ENVIRONMENT_NAME: 'dev',
      AWS_REGION: 'us-east-1',
    });
    // After resetModules, mock the very SDK classes the freshly imported handler will use.
    const sm = await import('@aws-sdk/client-secrets-manager');
    const lib = await import('@aws-sdk/lib-dynamodb');
    const dynamo = mockClient(lib.DynamoDBDocumentClient);
    const secrets = mockClient(sm.SecretsManagerClient);
    dynamo.on(lib.PutCommand).resolves({});
    dynamo
      .on(lib.GetCommand)
      .resolves({ Item: { orgId: 'acme', status: 'active', orgName: 'Acme', ownerEmail: 'o@a.example' } });
    dynamo.on(lib.QueryCommand).resolves({ Items: [] });
    secrets.on(sm.GetSecretValueCommand).rejects(new sm.ResourceNotFoundException({ message: 'none', $metadata: {} }));
    secrets.on(sm.CreateSecretCommand).rejects(
      new sm.SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: {},
        message: 'denied',
      }),
    );

    const output = captureOutput();
    let error: unknown;
    try {
      const { handler } = await import('../../lambda/onboarding/index');
      error = await handler(customResourceEvent('Create', props)).catch((caught: unknown) => caught);
    } finally {
      output.restore();
      dynamo.restore();
      secrets.restore();
    }
    expect((error as Error).message).toBe(
      'CreateSecret for pp/dev/pickup/acme/initial-api-key failed (AccessDeniedException)',
    );
    const sent = secrets.commandCalls(sm.CreateSecretCommand)[0].args[0].input.SecretString ?? '';
    const apiKey = JSON.parse(sent).apiKey as string;
    expect(apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(output.text()).toContain('onboarding failed');
    expect(output.text()).not.toContain(apiKey);
    expect(JSON.stringify(error)).not.toContain(apiKey);
    // The key was never committed: the pickup secret comes first.
    expect(dynamo.commandCalls(lib.TransactWriteCommand)).toHaveLength(0);
  });
});
