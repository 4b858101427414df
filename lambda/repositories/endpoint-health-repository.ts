/**
 * Endpoint health in the webhooks table: the state lives on the webhook
 * record (`health`, written through `WebhooksRepository.update`, so it
 * never loses a concurrent change), and a failing webhook has a small
 * marker item (sort key `<webhookId>#health`) in the sparse `byDue` index
 * under its own bucket, with `dueAt` = the streak's start. The sweep finds
 * the streaks old enough to judge with one Query (`dueAt <= now - window`),
 * never a Scan. Listings and lookups never return markers.
 *
 * The marker is written after the record and deleted after the sweep has
 * settled the streak, so a crash between the two leaves at most a marker
 * the next sweep finds with nothing to do, never a streak nobody judges.
 */
import { type DynamoDBDocumentClient, DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type EndpointHealth, onDeliveryFailed } from '../core/endpoint-health';
import { NotFoundError } from '../core/errors';
import { WebhooksTable } from '../core/data-model';
import type { Page, PageRequest } from './dynamo-support';
import { healthMarkerId, type StoredWebhook, type WebhooksRepository } from './webhooks-repository';

/** The `byDue` bucket of health markers, apart from verifications (`due`) and secret overlaps. */
export const HEALTH_BUCKET = 'health';
const MARKER_TYPE = 'endpoint-health';

const PK = WebhooksTable.partitionKey;
const SK = WebhooksTable.sortKey;

/** A streak the sweep must judge. */
export interface HealthCheckDue {
  readonly orgId: string;
  readonly webhookId: string;
  /** The streak's start when the marker was written. */
  readonly failingSince: string;
}

export interface EndpointHealthRepositoryProps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly webhooks: Pick<WebhooksRepository, 'update' | 'queryDue'>;
}

export class EndpointHealthRepository {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly webhooks: Pick<WebhooksRepository, 'update' | 'queryDue'>;

  public constructor(props: EndpointHealthRepositoryProps) {
    this.doc = props.doc;
    this.tableName = props.tableName;
    this.webhooks = props.webhooks;
  }

  /**
   * A failed delivery of the webhook seen at `at` (the DLQ consumer): the
   * streak starts or grows, and a new streak gets its marker.
   * @returns the stored webhook, or undefined when it no longer exists.
   */
  public async recordFailure(orgId: string, webhookId: string, at: Date): Promise<StoredWebhook | undefined> {
    let saved: StoredWebhook;
    try {
      saved = await this.webhooks.update(orgId, webhookId, (current) => ({
        ...current,
        health: onDeliveryFailed(current.health, at),
      }));
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    const since = saved.health?.state === 'failing' ? saved.health.failingSince : undefined;
    if (since !== undefined) await this.putMarker({ orgId, webhookId, failingSince: since });
    return saved;
  }

  /**
   * Saves `change` of the webhook's health (the sweep's and re-enable's
   * transitions), retried on a concurrent write.
   * @throws NotFoundError when the webhook does not exist.
   */
  public setHealth(
    orgId: string,
    webhookId: string,
    change: (health: EndpointHealth | undefined) => EndpointHealth | undefined,
  ): Promise<StoredWebhook> {
    return this.webhooks.update(orgId, webhookId, (current) => {
      const next = change(current.health);
      if (next === current.health) return current;
      if (next === undefined) {
        const { health: _health, ...rest } = current;
        return rest;
      }
      return { ...current, health: next };
    });
  }

  /** Streaks that began at or before `startedBy`: old enough to be judged. */
  public async due(startedBy: Date, page: PageRequest = {}): Promise<Page<HealthCheckDue>> {
    const result = await this.webhooks.queryDue(HEALTH_BUCKET, startedBy, page);
    return {
      items: result.items
        .filter((item) => item.recordType === MARKER_TYPE)
        .map((item) => ({
          orgId: String(item[PK]),
          webhookId: String(item.targetWebhookId),
          failingSince: String(item[WebhooksTable.byDueIndex.sortKey]),
        })),
      nextCursor: result.nextCursor,
    };
  }

  public async putMarker(due: HealthCheckDue): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [PK]: due.orgId,
          [SK]: healthMarkerId(due.webhookId),
          recordType: MARKER_TYPE,
          targetWebhookId: due.webhookId,
          [WebhooksTable.byDueIndex.partitionKey]: HEALTH_BUCKET,
          [WebhooksTable.byDueIndex.sortKey]: due.failingSince,
        },
      }),
    );
  }

  public async deleteMarker(orgId: string, webhookId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { [PK]: orgId, [SK]: healthMarkerId(webhookId) } }),
    );
  }
}
