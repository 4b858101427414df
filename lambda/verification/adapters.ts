/**
 * The verification ports over the shared building blocks: the webhooks
 * repository (DynamoDB) and the shared `SecretStore` (Secrets Manager or in
 * memory).
 */
import { ConflictError } from '../core/errors';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import { type SecretStore, SecretStoreError } from '../shared/secret-store';
import type { SecretReader, VerifiableWebhook, WebhookStore } from './verification-handler';

/** The repository pages the due index in pages of at most this many. */
const DUE_PAGE_LIMIT = 100;

/** `WebhooksRepository` as the verification handler's `WebhookStore`. */
export class RepositoryWebhookStore implements WebhookStore {
  public constructor(private readonly repository: Pick<WebhooksRepository, 'get' | 'dueForVerification' | 'save'>) {}

  public get(orgId: string, webhookId: string): Promise<VerifiableWebhook | undefined> {
    return this.repository.get(orgId, webhookId);
  }

  public async listDue(now: Date, limit: number): Promise<readonly VerifiableWebhook[]> {
    const due: VerifiableWebhook[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.repository.dueForVerification(now, {
        limit: Math.min(DUE_PAGE_LIMIT, limit - due.length),
        cursor,
      });
      due.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined && due.length < limit);
    return due;
  }

  /** The repository's version check is the condition: it holds only if nobody wrote since `previous` was read. */
  public async saveIfUnchanged(previous: VerifiableWebhook, next: VerifiableWebhook): Promise<boolean> {
    if (previous.version === undefined) {
      throw new ConflictError(`webhook ${previous.webhookId} of org ${previous.orgId} was not read from the store`);
    }
    try {
      // `next` came from a stored record through core transitions, which keep
      // the attributes they do not own (delivery binding, rotation), so it is
      // a whole stored webhook.
      await this.repository.save({ ...(next as StoredWebhook), version: previous.version });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }
}

/** The shared `SecretStore` as a `SecretReader`: a missing secret or version is an error here. */
export class SecretStoreReader implements SecretReader {
  public constructor(private readonly store: Pick<SecretStore, 'getSecretValue'>) {}

  public async getSecretString(secretArn: string, versionId?: string): Promise<string> {
    const secret = await this.store.getSecretValue(secretArn, versionId === undefined ? {} : { versionId });
    if (secret === undefined || secret.value === '') {
      // Names the secret and version, never a value.
      throw new SecretStoreError(
        `secret ${secretArn}${versionId === undefined ? '' : ` version ${versionId}`} not found or empty`,
      );
    }
    return secret.value;
  }
}
