import {
  GetSecretValueCommand,
  ResourceNotFoundException as SecretNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeClock } from '../../lambda/core/clock';
import { ConflictError } from '../../lambda/core/errors';
import { createWebhook } from '../../lambda/core/webhooks';
import type { StoredWebhook, WebhooksRepository } from '../../lambda/repositories/webhooks-repository';
import { InMemorySecretStore, SecretStoreError, SecretsManagerSecretStore } from '../../lambda/shared/secret-store';
import { RepositoryWebhookStore, SecretStoreReader } from '../../lambda/verification/adapters';

describe('SecretStoreReader', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  beforeEach(() => secretsManager.reset());

  it('reads the current value and a named version from the shared secret store', async () => {
    const store = new InMemorySecretStore();
    const created = await store.createSecret({ name: 'partner-platform/dev/webhooks/acme/primary', value: 'first' });
    if (!created.created) throw new Error('secret not created');
    await store.putSecretValue({ secretId: created.arn, value: 'second' });
    const reader = new SecretStoreReader(store);

    await expect(reader.getSecretString(created.arn)).resolves.toBe('second');
    await expect(reader.getSecretString(created.arn, created.versionId)).resolves.toBe('first');
  });

  it('a missing secret is a SecretStoreError naming the ARN', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(new SecretNotFoundException({ message: 'gone', $metadata: {} }));
    const reader = new SecretStoreReader(new SecretsManagerSecretStore(new SecretsManagerClient({})));

    await expect(reader.getSecretString('arn:aws:secretsmanager:eu-west-1:1:secret:x')).rejects.toThrow(
      new SecretStoreError('secret arn:aws:secretsmanager:eu-west-1:1:secret:x not found or empty'),
    );
  });

  it('access denied surfaces as the shared store error, whose message names the AWS error and not the value', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const reader = new SecretStoreReader(new SecretsManagerSecretStore(new SecretsManagerClient({})));

    await expect(reader.getSecretString('arn:x')).rejects.toThrow(
      'GetSecretValue for arn:x failed (AccessDeniedException)',
    );
  });
});

describe('RepositoryWebhookStore', () => {
  const clock = new FakeClock('2025-03-01T12:00:00.000Z');
  const stored = (webhookId: string, version = 3): StoredWebhook => ({
    ...createWebhook({
      orgId: 'acme-corp',
      webhookId,
      url: 'https://partner.example/hook',
      events: ['*'],
      source: 'api',
      clock,
    }),
    secretArn: 'arn:s',
    version,
  });

  function fakeRepository(pages: StoredWebhook[][]): Pick<WebhooksRepository, 'get' | 'dueForVerification' | 'save'> & {
    limits: number[];
    saved: StoredWebhook[];
  } {
    const limits: number[] = [];
    const saved: StoredWebhook[] = [];
    return {
      limits,
      saved,
      get: async () => undefined,
      dueForVerification: async (_now, page = {}) => {
        limits.push(page.limit ?? 50);
        const index = page.cursor === undefined ? 0 : Number(page.cursor);
        return { items: pages[index], nextCursor: index + 1 < pages.length ? String(index + 1) : undefined };
      },
      save: async (next) => {
        if (next.webhookId === 'raced') throw new ConflictError('changed since read');
        saved.push(next);
        return { ...next, version: next.version + 1 };
      },
    };
  }

  it('pages the due index until the limit, asking only for what is still needed', async () => {
    const repository = fakeRepository([[stored('a'), stored('b')], [stored('c'), stored('d')], [stored('e')]]);

    const due = await new RepositoryWebhookStore(repository).listDue(clock.now(), 3);

    expect(due.map((webhook) => webhook.webhookId)).toEqual(['a', 'b', 'c', 'd']);
    expect(repository.limits).toEqual([3, 1]);
  });

  it('saves with the version that was read, and reports a lost race as false', async () => {
    const repository = fakeRepository([]);
    const store = new RepositoryWebhookStore(repository);

    await expect(store.saveIfUnchanged(stored('a', 7), { ...stored('a', 7), status: 'active' })).resolves.toBe(true);
    await expect(store.saveIfUnchanged(stored('raced'), stored('raced'))).resolves.toBe(false);
    expect(repository.saved.map((webhook) => [webhook.webhookId, webhook.version, webhook.status])).toEqual([
      ['a', 7, 'active'],
    ]);
  });
});
