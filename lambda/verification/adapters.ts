/**
 * The verification ports over the shared building blocks: the webhooks
 * repository (DynamoDB), the shared `SecretStore` (Secrets Manager or in
 * memory) and EventBridge for API destination endpoints.
 */
import {
  DescribeApiDestinationCommand,
  type EventBridgeClient,
  UpdateApiDestinationCommand,
} from '@aws-sdk/client-eventbridge';
import { ConflictError } from '../core/errors';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import type { ConnectionUpdater } from '../shared/connection-updater';
import { type SecretStore, SecretStoreError } from '../shared/secret-store';
import type { ApiDestinationEndpoints, SecretReader, VerifiableWebhook, WebhookStore } from './verification-handler';

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

/**
 * Changes only the endpoint of an API destination: its description,
 * connection, method and rate limit are read first and sent back as they
 * were, so an update cannot drop what the deployment set, and a destination
 * that already has the URL is left alone. Needs `events:DescribeApiDestination`
 * and `events:UpdateApiDestination`.
 */
export class EventBridgeApiDestinationEndpoints implements ApiDestinationEndpoints {
  public constructor(private readonly client: EventBridgeClient) {}

  public async setEndpoint(apiDestinationName: string, url: string): Promise<'updated' | 'unchanged'> {
    const current = await this.client.send(new DescribeApiDestinationCommand({ Name: apiDestinationName }));
    if (current.InvocationEndpoint === url) return 'unchanged';
    await this.client.send(
      new UpdateApiDestinationCommand({
        Name: apiDestinationName,
        Description: current.Description,
        InvocationEndpoint: url,
        ConnectionArn: current.ConnectionArn,
        HttpMethod: current.HttpMethod,
        InvocationRateLimitPerSecond: current.InvocationRateLimitPerSecond,
      }),
    );
    return 'updated';
  }
}

/** The shared `ConnectionUpdater` (e.g. the local runtime's in-memory one) as `ApiDestinationEndpoints`. */
export class ConnectionUpdaterEndpoints implements ApiDestinationEndpoints {
  public constructor(private readonly updater: Pick<ConnectionUpdater, 'updateApiDestinationEndpoint'>) {}

  public async setEndpoint(apiDestinationName: string, url: string): Promise<'updated' | 'unchanged'> {
    await this.updater.updateApiDestinationEndpoint({ apiDestinationName, url });
    return 'updated';
  }
}
