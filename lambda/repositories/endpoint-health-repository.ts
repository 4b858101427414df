/**
 * Endpoint health in the webhooks table. A streak lives on a small marker
 * item (sort key `<webhookId>#health`) in the sparse `byDue` index under
 * its own bucket, with `dueAt` = the streak's start: every failure is one
 * atomic UpdateItem of it (first and latest failure, count), so the sweep
 * finds the streaks old enough to judge with one Query (`dueAt <= now -
 * window`), never a Scan. The webhook record's `health` (written through
 * `WebhooksRepository.update`, so it never loses a concurrent change)
 * changes only when the state does: a streak starts, ends, disables, is
 * re-enabled. So a failing endpoint costs no write of the webhook per
 * failure, and the provisioner (fed by the table's stream, which ignores
 * markers) is woken only by those changes. Listings and lookups never
 * return markers.
 */
import { type DynamoDBDocumentClient, DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type EndpointHealth, onDeliveryFailed } from '../core/endpoint-health';
import { NotFoundError } from '../core/errors';
import { WebhooksTable } from '../core/data-model';
import { isConditionalCheckFailed, type Page, type PageRequest } from './dynamo-support';
import { healthMarkerId, type StoredWebhook, type WebhooksRepository } from './webhooks-repository';

/** The `byDue` bucket of health markers, apart from verifications (`due`) and secret overlaps. */
export const HEALTH_BUCKET = 'health';
const MARKER_TYPE = 'endpoint-health';

const PK = WebhooksTable.partitionKey;
const SK = WebhooksTable.sortKey;

/** A streak the sweep must judge, as its marker holds it. */
export interface HealthCheckDue {
  readonly orgId: string;
  readonly webhookId: string;
  /** The streak's first failure. */
  readonly failingSince: string;
  readonly lastFailureAt: string;
  readonly failuresInStreak: number;
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
   * A failed delivery of the webhook seen at `at` (the DLQ consumer): one
   * atomic update of its streak marker; the first failure of a streak also
   * marks the webhook `failing`.
   */
  public async recordFailure(orgId: string, webhookId: string, at: Date): Promise<HealthCheckDue> {
    const when = at.toISOString();
    const result = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: orgId, [SK]: healthMarkerId(webhookId) },
        UpdateExpression:
          'SET #type = :type, #target = :target, #bucket = :bucket, #due = if_not_exists(#due, :at), #last = :at ADD #count :one',
        ExpressionAttributeNames: {
          '#type': 'recordType',
          '#target': 'targetWebhookId',
          '#bucket': WebhooksTable.byDueIndex.partitionKey,
          '#due': WebhooksTable.byDueIndex.sortKey,
          '#last': 'lastFailureAt',
          '#count': 'failuresInStreak',
        },
        ExpressionAttributeValues: {
          ':type': MARKER_TYPE,
          ':target': webhookId,
          ':bucket': HEALTH_BUCKET,
          ':at': when,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const due = dueOf(result.Attributes ?? {});
    if (due.failuresInStreak === 1) await this.markFailing(orgId, webhookId, new Date(due.failingSince));
    return due;
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
      items: result.items.filter((item) => item.recordType === MARKER_TYPE).map(dueOf),
      nextCursor: result.nextCursor,
    };
  }

  /**
   * Ends the streak's marker; with `failuresInStreak`, only if no failure
   * was added since it was read (that one starts the next judgement).
   */
  public async deleteMarker(orgId: string, webhookId: string, failuresInStreak?: number): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: orgId, [SK]: healthMarkerId(webhookId) },
          ...(failuresInStreak === undefined
            ? {}
            : {
                ConditionExpression: '#count = :count',
                ExpressionAttributeNames: { '#count': 'failuresInStreak' },
                ExpressionAttributeValues: { ':count': failuresInStreak },
              }),
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** Shows the streak on the webhook (a webhook gone meanwhile is no error: its marker goes with the sweep). */
  private async markFailing(orgId: string, webhookId: string, since: Date): Promise<void> {
    try {
      await this.setHealth(orgId, webhookId, (health) =>
        health?.state === 'failing' || health?.state === 'disabled' ? health : onDeliveryFailed(health, since),
      );
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
}

function dueOf(item: Record<string, unknown>): HealthCheckDue {
  return {
    orgId: String(item[PK]),
    webhookId: String(item.targetWebhookId),
    failingSince: String(item[WebhooksTable.byDueIndex.sortKey]),
    lastFailureAt: String(item.lastFailureAt),
    failuresInStreak: Number(item.failuresInStreak ?? 0),
  };
}
