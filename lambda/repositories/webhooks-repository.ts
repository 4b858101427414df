/**
 * Webhooks in DynamoDB: (orgId, webhookId) -> webhook by GetItem, orgId ->
 * webhooks by Query, webhookId -> webhook through the `byWebhookId` index,
 * and pending verifications through the sparse `byDue` index. No Scan.
 *
 * Every stored webhook carries a `version`; `save` writes a record only if
 * nobody else wrote it since it was read (optimistic locking), so the
 * verification handler, the APIs and onboarding can all change webhooks
 * without losing each other's updates. The usual shape of a change is:
 * read, apply a core transition (`onUrlChanged`, `onVerificationSucceeded`,
 * ...), `save` — or let `update` do that loop.
 *
 * A webhook secret rotation in its overlap window also has a small marker
 * item (sort key `<webhookId>#secret-overlap`) in the `byDue` index under
 * its own bucket, so the sweep finds overlaps that have ended with a Query.
 * Listings and lookups never return markers.
 *
 * The provisioner's runtime routes keep their members here too: one item per
 * route (partition `route#<rule name>`, never an orgId), a string set
 * changed only by atomic ADD/DELETE and a version bumped by each change, so
 * concurrent provisioners never lose each other's member.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../core/clock';
import { DUE_BUCKET, WebhooksTable } from '../core/data-model';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import type { DeliveryState } from '../core/provisioning';
import type { WebhookRecord } from '../core/webhooks';
import {
  CONFLICT_RETRIES,
  cancellationReasons,
  decodeCursor,
  encodeCursor,
  isConditionalCheckFailed,
  isTransactionConflict,
  type Page,
  type PageRequest,
  pageSize,
} from './dynamo-support';

/** Where a webhook is delivered from: set by onboarding from the partner's stack. */
export interface WebhookDeliveryBinding {
  /** ARN of the webhook secret (Secrets Manager); signs challenges and authenticates deliveries. */
  readonly secretArn?: string;
  /** The EventBridge connection that sends the secret as a header. */
  readonly connectionName?: string;
  /** The EventBridge API destination that POSTs to the verified URL. */
  readonly apiDestinationName?: string;
}

/**
 * An admin rotation of the webhook secret. `started` until the connection
 * carries the new secret, then `overlap` until `overlapEndsAt`, when the
 * previous secret's header is removed and this field with it.
 */
export interface WebhookSecretRotation {
  readonly status: 'started' | 'overlap';
  /** Secrets Manager version id (and ClientRequestToken) of the new secret. */
  readonly newVersionId: string;
  /** Version id of the secret being replaced, sent in the second header during the overlap. */
  readonly previousVersionId: string;
  readonly startedAt: string;
  readonly overlapEndsAt: string;
}

export type StoredWebhook = WebhookRecord &
  WebhookDeliveryBinding & {
    /** Incremented by every write; `save` requires the one it read. */
    readonly version: number;
    readonly secretRotation?: WebhookSecretRotation;
    /** Run-time webhooks: how far the provisioner has got (absent until it first looks). */
    readonly delivery?: DeliveryState;
  };

/** A webhook not yet stored: a core record plus its delivery binding. */
export type NewWebhook = WebhookRecord & WebhookDeliveryBinding;

export interface WebhookListing {
  readonly items: readonly StoredWebhook[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
}

/** An overlap window that the sweep must close. */
export interface SecretOverlapDue {
  readonly orgId: string;
  readonly webhookId: string;
  readonly overlapEndsAt: string;
}

export interface WebhooksRepositoryProps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
}

/** The `byDue` bucket of secret-overlap markers, apart from pending verifications (`due`). */
export const SECRET_OVERLAP_BUCKET = 'secret-overlap';
const MARKER_SUFFIX = '#secret-overlap';
const MARKER_TYPE = 'secret-overlap';
const ROUTE_KEY_PREFIX = 'route#';
const ROUTE_SORT_KEY = 'members#';
const ROUTE_TYPE = 'runtime-route';

/** The run-time tenants a runtime route must list, and the version of that set. */
export interface RouteMembers {
  readonly members: readonly string[];
  /** Bumped by every membership change; 0 before the first. */
  readonly version: number;
}

/** Keeps listings bounded: a partner has at most 10 config webhooks and a few API ones. */
const MAX_LIST_LIMIT = 100;

const PK = WebhooksTable.partitionKey;
const SK = WebhooksTable.sortKey;

export class WebhooksRepository {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;

  public constructor(props: WebhooksRepositoryProps) {
    this.doc = props.doc;
    this.tableName = props.tableName;
    this.clock = props.clock;
  }

  /**
   * Stores a new webhook (version 1).
   * @throws ConflictError when the org already has a webhook with this id.
   */
  public async create(record: NewWebhook): Promise<StoredWebhook> {
    const stored: StoredWebhook = { ...stripVersion(record), version: 1 };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: stored,
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': SK },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new ConflictError(`webhook ${record.webhookId} already exists for org ${record.orgId}`, {
          cause: error,
        });
      }
      throw error;
    }
    return stored;
  }

  /** Strongly consistent. */
  public async get(orgId: string, webhookId: string): Promise<StoredWebhook | undefined> {
    // Webhook ids have no '#': a sort key with one is a marker (secret overlap, endpoint health).
    if (webhookId.includes('#')) return undefined;
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: orgId, [SK]: webhookId }, ConsistentRead: true }),
    );
    return Item as StoredWebhook | undefined;
  }

  /** @throws NotFoundError naming the org and webhook. */
  public async require(orgId: string, webhookId: string): Promise<StoredWebhook> {
    const webhook = await this.get(orgId, webhookId);
    if (webhook === undefined) throw new NotFoundError(`webhook ${webhookId} not found for org ${orgId}`);
    return webhook;
  }

  /**
   * A webhook by id alone, for callers that do not know its org. The index
   * finds the org; the record itself is then read consistently.
   */
  public async findById(webhookId: string): Promise<StoredWebhook | undefined> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: WebhooksTable.byWebhookIdIndex.name,
        KeyConditionExpression: '#id = :id',
        ExpressionAttributeNames: { '#id': WebhooksTable.byWebhookIdIndex.partitionKey },
        ExpressionAttributeValues: { ':id': webhookId },
      }),
    );
    const hit = (Items ?? []).find((item) => item.recordType === undefined);
    return hit === undefined ? undefined : this.get(String(hit[PK]), webhookId);
  }

  /**
   * The org's webhooks, oldest first, with the total for `limit`/`offset`
   * pagination as the admin API returns it.
   */
  public async list(
    orgId: string,
    options: { readonly limit?: number; readonly offset?: number } = {},
  ): Promise<WebhookListing> {
    const limit = options.limit ?? 50;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new ValidationError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`, { field: 'limit' });
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new ValidationError('offset must be a whole number from 0', { field: 'offset' });
    }
    const all = await this.listAll(orgId);
    return { items: all.slice(offset, offset + limit), total: all.length, limit, offset };
  }

  /** Every webhook of the org, oldest first (a partner has few). */
  public async listAll(orgId: string): Promise<StoredWebhook[]> {
    const items: StoredWebhook[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :orgId',
          FilterExpression: 'attribute_not_exists(recordType)',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':orgId': orgId },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((page.Items ?? []) as StoredWebhook[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.webhookId.localeCompare(b.webhookId));
  }

  /**
   * Writes `next` if the stored webhook still has `next.version` (the
   * version it was read with), and returns it with the version incremented.
   * @throws ConflictError when it was changed or deleted since it was read.
   */
  public async save(next: StoredWebhook): Promise<StoredWebhook> {
    const stored: StoredWebhook = { ...next, version: next.version + 1 };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: stored,
          ConditionExpression: '#version = :read',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':read': next.version },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new ConflictError(
          `webhook ${next.webhookId} of org ${next.orgId} was changed or deleted since it was read; read it again`,
          { cause: error },
        );
      }
      throw error;
    }
    return stored;
  }

  /**
   * Saves the result of a core transition (`onUrlChanged`,
   * `onVerificationSucceeded`, ...) of `read`. The core functions return
   * their input with their own fields changed, so the binding and version
   * of `read` are still on `next`; this only restores the type.
   * @throws ConflictError when the webhook was written since `read`.
   */
  public async saveTransition(read: StoredWebhook, next: WebhookRecord): Promise<StoredWebhook> {
    return this.save({ ...(next as StoredWebhook), version: read.version });
  }

  /**
   * Read, change, save, retried when another writer got there first.
   * `change` returns the new record, or the one it was given to leave it as is.
   * @throws NotFoundError when the webhook does not exist.
   * @throws ConflictError when it kept changing for every attempt.
   */
  public async update(
    orgId: string,
    webhookId: string,
    change: (current: StoredWebhook) => StoredWebhook,
  ): Promise<StoredWebhook> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.require(orgId, webhookId);
      const next = change(current);
      if (next === current) return current;
      try {
        return await this.save({ ...next, version: current.version });
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw error;
      }
    }
  }

  /**
   * Deletes the webhook and any secret-overlap or health marker it has.
   * @throws NotFoundError when it does not exist.
   */
  public async delete(orgId: string, webhookId: string): Promise<void> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: { [PK]: orgId, [SK]: webhookId },
                ConditionExpression: 'attribute_exists(#sk)',
                ExpressionAttributeNames: { '#sk': SK },
              },
            },
            { Delete: { TableName: this.tableName, Key: { [PK]: orgId, [SK]: markerId(webhookId) } } },
            { Delete: { TableName: this.tableName, Key: { [PK]: orgId, [SK]: healthMarkerId(webhookId) } } },
          ],
        }),
      );
    } catch (error) {
      if (cancellationReasons(error)?.[0] === 'ConditionalCheckFailed') {
        throw new NotFoundError(`webhook ${webhookId} not found for org ${orgId}`, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Pending webhooks whose next verification attempt is due at `now`, from
   * the sparse `byDue` index (eventually consistent: re-read a webhook
   * before acting on it, or rely on `save`'s version check).
   */
  /** The members of a runtime route, strongly read. */
  public async routeMembers(routeName: string): Promise<RouteMembers> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: routeKey(routeName), ConsistentRead: true }),
    );
    const members = (Item?.members as Set<string> | undefined) ?? new Set<string>();
    return { members: [...members].sort(), version: Number(Item?.version ?? 0) };
  }

  /** Adds `orgId` to the route's members or removes it, atomically; the version moves either way. */
  public async setRouteMember(routeName: string, orgId: string, member: boolean): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: routeKey(routeName),
        UpdateExpression: member
          ? 'SET #type = :type ADD #version :one, #members :org'
          : 'SET #type = :type ADD #version :one DELETE #members :org',
        ExpressionAttributeNames: { '#type': 'recordType', '#version': 'version', '#members': 'members' },
        ExpressionAttributeValues: { ':type': ROUTE_TYPE, ':one': 1, ':org': new Set([orgId]) },
      }),
    );
  }

  public async dueForVerification(now: Date, page: PageRequest = {}): Promise<Page<StoredWebhook>> {
    const result = await this.queryDue(DUE_BUCKET, now, page);
    return {
      items: result.items.filter((item) => item.recordType === undefined) as unknown as StoredWebhook[],
      nextCursor: result.nextCursor,
    };
  }

  /**
   * Records that a secret rotation has begun, unless one is already under
   * way (then the stored one is returned so the caller resumes it).
   */
  public async beginSecretRotation(
    orgId: string,
    webhookId: string,
    rotation: Omit<WebhookSecretRotation, 'status' | 'startedAt'>,
  ): Promise<StoredWebhook> {
    const startedAt = this.clock.now().toISOString();
    return this.update(orgId, webhookId, (current) => {
      if (current.secretRotation?.status === 'started') return current;
      return { ...current, secretRotation: { ...rotation, status: 'started', startedAt } };
    });
  }

  /**
   * The connection now sends the new secret and the previous one: the
   * rotation enters its overlap, and a marker schedules its end for the sweep.
   * Idempotent: a rotation already in overlap is left as it is.
   */
  public async enterSecretOverlap(orgId: string, webhookId: string, newVersionId: string): Promise<StoredWebhook> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.require(orgId, webhookId);
      const rotation = current.secretRotation;
      if (rotation === undefined || rotation.newVersionId !== newVersionId) {
        throw new ConflictError(
          `webhook ${webhookId} of org ${orgId} has no secret rotation ${newVersionId} under way`,
        );
      }
      if (rotation.status === 'overlap') return current;
      const next: StoredWebhook = {
        ...current,
        secretRotation: { ...rotation, status: 'overlap' },
        version: current.version + 1,
      };
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: next,
                  ConditionExpression: '#version = :read',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':read': current.version },
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    [PK]: orgId,
                    [SK]: markerId(webhookId),
                    recordType: MARKER_TYPE,
                    targetWebhookId: webhookId,
                    overlapEndsAt: rotation.overlapEndsAt,
                    [WebhooksTable.byDueIndex.partitionKey]: SECRET_OVERLAP_BUCKET,
                    [WebhooksTable.byDueIndex.sortKey]: rotation.overlapEndsAt,
                  },
                },
              },
            ],
          }),
        );
        return next;
      } catch (error) {
        if (!isTransactionConflict(error) || attempt >= CONFLICT_RETRIES) throw error;
      }
    }
  }

  /** Overlap windows that have ended by `now`, for the sweep. */
  public async dueSecretOverlapEnds(now: Date, page: PageRequest = {}): Promise<Page<SecretOverlapDue>> {
    const result = await this.queryDue(SECRET_OVERLAP_BUCKET, now, page);
    return {
      items: result.items
        .filter((item) => item.recordType === MARKER_TYPE)
        .map((item) => ({
          orgId: String(item[PK]),
          webhookId: String(item.targetWebhookId),
          overlapEndsAt: String(item.overlapEndsAt),
        })),
      nextCursor: result.nextCursor,
    };
  }

  /**
   * Closes an overlap once the previous secret's header is gone: clears the
   * rotation and deletes the marker in one transaction. A newer rotation
   * started meanwhile (different `overlapEndsAt`) is left alone.
   */
  public async endSecretOverlap(due: SecretOverlapDue): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(due.orgId, due.webhookId);
      const rotation = current?.secretRotation;
      const markerDelete = {
        Delete: {
          TableName: this.tableName,
          Key: { [PK]: due.orgId, [SK]: markerId(due.webhookId) },
          ConditionExpression: 'overlapEndsAt = :ends',
          ExpressionAttributeValues: { ':ends': due.overlapEndsAt },
        },
      };
      const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [markerDelete];
      if (current !== undefined && rotation?.status === 'overlap' && rotation.overlapEndsAt === due.overlapEndsAt) {
        const { secretRotation: _ended, ...rest } = current;
        items.push({
          Put: {
            TableName: this.tableName,
            Item: { ...rest, version: current.version + 1 },
            ConditionExpression: '#version = :read',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':read': current.version },
          },
        });
      }
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        const marker = await this.doc.send(
          new GetCommand({
            TableName: this.tableName,
            Key: { [PK]: due.orgId, [SK]: markerId(due.webhookId) },
            ConsistentRead: true,
          }),
        );
        // Another sweep closed it, or a newer rotation replaced the marker.
        if (marker.Item === undefined || marker.Item.overlapEndsAt !== due.overlapEndsAt) return;
        if (attempt >= CONFLICT_RETRIES) throw error;
      }
    }
  }

  /**
   * Items of one `byDue` bucket due by `now` (pending verifications, secret
   * overlaps, endpoint-health markers), a page at a time, from the sparse
   * index (eventually consistent).
   */
  public async queryDue(
    bucket: string,
    now: Date,
    page: PageRequest,
  ): Promise<{ items: Record<string, unknown>[]; nextCursor?: string }> {
    const { Items, LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: WebhooksTable.byDueIndex.name,
        KeyConditionExpression: '#bucket = :bucket AND #dueAt <= :now',
        ExpressionAttributeNames: {
          '#bucket': WebhooksTable.byDueIndex.partitionKey,
          '#dueAt': WebhooksTable.byDueIndex.sortKey,
        },
        ExpressionAttributeValues: { ':bucket': bucket, ':now': now.toISOString() },
        Limit: pageSize(page.limit),
        ExclusiveStartKey: decodeCursor(page.cursor, {
          attributes: [
            WebhooksTable.partitionKey,
            WebhooksTable.sortKey,
            WebhooksTable.byDueIndex.partitionKey,
            WebhooksTable.byDueIndex.sortKey,
          ],
          fixed: { [WebhooksTable.byDueIndex.partitionKey]: bucket },
        }),
      }),
    );
    return { items: Items ?? [], nextCursor: encodeCursor(LastEvaluatedKey) };
  }
}

function routeKey(routeName: string): Record<string, string> {
  return { [PK]: `${ROUTE_KEY_PREFIX}${routeName}`, [SK]: ROUTE_SORT_KEY };
}

/** The sort key of a webhook's endpoint-health marker (lambda/repositories/endpoint-health-repository.ts). */
export function healthMarkerId(webhookId: string): string {
  return `${webhookId}#health`;
}

function markerId(webhookId: string): string {
  return `${webhookId}${MARKER_SUFFIX}`;
}

function stripVersion(record: NewWebhook): NewWebhook {
  const {
    version: _version,
    secretRotation: _rotation,
    ...rest
  } = record as NewWebhook & {
    version?: number;
    secretRotation?: WebhookSecretRotation;
  };
  return rest;
}
