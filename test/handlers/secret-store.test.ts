/** The Secrets Manager adapter's error paths, with the SDK mocked. */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  InMemorySecretStore,
  SecretStoreError,
  SecretsManagerSecretStore,
  SecretVersionConflictError,
} from '../../lambda/shared/secret-store';

const sm = mockClient(SecretsManagerClient);
const store = new SecretsManagerSecretStore(new SecretsManagerClient({ region: 'us-east-1' }));
const VALUE = '{"apiKey":"Abcdefgh0123456789Abcdefgh0123456789WXYZ"}';

const exists = () => new ResourceExistsException({ message: 'the secret already exists', $metadata: {} });
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });
const denied = () =>
  new SecretsManagerServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: {},
    message: 'denied',
  });

beforeEach(() => sm.reset());

describe('SecretsManagerSecretStore', () => {
  it('creates a secret with token, KMS key and tags', async () => {
    sm.on(CreateSecretCommand).resolves({ ARN: 'arn:secret', VersionId: 'v1' });
    await expect(
      store.createSecret({
        name: 'p/acme',
        value: VALUE,
        clientRequestToken: 't'.repeat(32),
        kmsKeyId: 'k',
        tags: { org: 'acme' },
      }),
    ).resolves.toEqual({ created: true, arn: 'arn:secret', versionId: 'v1' });
    expect(sm.commandCalls(CreateSecretCommand)[0].args[0].input).toMatchObject({
      Name: 'p/acme',
      ClientRequestToken: 't'.repeat(32),
      KmsKeyId: 'k',
      Tags: [{ Key: 'org', Value: 'acme' }],
    });
  });

  it('reports ResourceExistsException from CreateSecret as "not created" instead of failing', async () => {
    sm.on(CreateSecretCommand).rejects(exists());
    await expect(store.createSecret({ name: 'p/acme', value: VALUE })).resolves.toEqual({ created: false });
  });

  it('wraps other CreateSecret errors without the secret value', async () => {
    sm.on(CreateSecretCommand).rejects(denied());
    const error = await store.createSecret({ name: 'p/acme', value: VALUE }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as Error).message).toBe('CreateSecret for p/acme failed (AccessDeniedException)');
    expect(JSON.stringify(error)).not.toContain('Abcdefgh');
  });

  it('GetSecretValue of a missing secret or version is undefined', async () => {
    sm.on(GetSecretValueCommand).rejects(notFound());
    await expect(store.getSecretValue('p/acme', { versionId: 'v9' })).resolves.toBeUndefined();
    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: 'p/acme', VersionId: 'v9' });
  });

  it('PutSecretValue with a token already used for another value is SecretVersionConflictError', async () => {
    sm.on(PutSecretValueCommand).rejects(exists());
    await expect(
      store.putSecretValue({ secretId: 'arn:s', value: VALUE, clientRequestToken: 'x'.repeat(64) }),
    ).rejects.toThrow(SecretVersionConflictError);
  });
});

describe('InMemorySecretStore behaves like the service for the calls the handlers make', () => {
  it('one value per token, previous version kept, lookups by name or ARN', async () => {
    const memory = new InMemorySecretStore();
    const created = await memory.createSecret({ name: 'n', value: 'a' });
    expect(created.created).toBe(true);
    expect(await memory.createSecret({ name: 'n', value: 'b' })).toEqual({ created: false });
    const arn = memory.arnOf('n') ?? '';
    await memory.putSecretValue({ secretId: arn, value: 'b', clientRequestToken: 'tok' });
    await memory.putSecretValue({ secretId: 'n', value: 'b', clientRequestToken: 'tok' });
    await expect(memory.putSecretValue({ secretId: 'n', value: 'c', clientRequestToken: 'tok' })).rejects.toThrow(
      SecretVersionConflictError,
    );
    expect(await memory.getSecretValue('n')).toEqual({ value: 'b', versionId: 'tok' });
    expect((await memory.getSecretValue(arn, { versionId: created.created ? created.versionId : '' }))?.value).toBe(
      'a',
    );
    expect(await memory.getSecretValue('missing')).toBeUndefined();
  });
});
