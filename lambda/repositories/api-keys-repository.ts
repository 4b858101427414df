/**
 * API keys in DynamoDB, keyed by the SHA-256 hash of the key: the plaintext
 * never reaches this class except inside `IssuedKey`, which it returns to
 * the caller and never stores (records keep hash, prefix and last 4).
 *
 * The lifecycle rules are the core's (`issueKey`, `planRotation`, `revoke`,
 * `sweepDecision`); this class stores their results atomically:
 *
 * - issue: the tenant's `activeKeyHash` is set (condition: none set, tenant
 *   active) and the key is put (condition: new hash) in one transaction;
 * - rotate: the pointer moves from the old hash to the new one (condition:
 *   it still points at the old one), the new key is put and the old key's
 *   status changes (condition: unchanged since read), in one transaction;
 * - revoke / sweep of the live key: the pointer is cleared in the same
 *   transaction that revokes the key.
 *
 * So however many requests race, the tenant points at one key and exactly
 * that key is active or expiring. Key updates write only the attributes that
 * changed, so they never undo a concurrent `lastUsedAt` update from usage ingestion.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ApiKeyRecord,
  type GraceHours,
  type IssuedKey,
  type KeyValidity,
  type SweepDecision,
  issueKey,
  mayChangeCredentials,
  planRotation,
  revoke as revokeRecord,
  sweepDecision,
} from '../core/api-keys';
import type { Clock } from '../core/clock';
import { ApiKeysTable, DUE_BUCKET, TenantsTable } from '../core/data-model';
import { ConflictError, KeyNotPermittedError, NotFoundError } from '../core/errors';
import type { RandomSource } from '../core/random';
import {
  CONFLICT_RETRIES,
  decodeCursor,
  diffUpdate,
  encodeCursor,
  isConditionalCheckFailed,
  isTransactionConflict,
  type Page,
  type PageRequest,
  pageSize,
} from './dynamo-support';
import type { TenantRecord } from './tenants-repository';

/**
 * A stored key: the core record, and on keys used before usage was counted
 * from the access logs, the daily counter the partner API used to keep
 * (no longer written: see lambda/repositories/usage-repository.ts).
 */
export type StoredApiKey = ApiKeyRecord & {
  /** Legacy: the UTC day (YYYY-MM-DD) `usageCount` counted. */
  readonly usageDay?: string;
  /** Legacy: requests made with the key on `usageDay`. */
  readonly usageCount?: number;
};

/**
 * The partner key asking for a change, by hash. When given, the change is
 * made only if that key, read from the table, may change credentials
 * (`mayChangeCredentials`), and the write is conditioned on it still being
 * live, so a key that leaves `active` mid-request cannot slip a change in.
 */
export interface ActingKey {
  readonly actingKeyHash?: string;
}

export type IssueInput = KeyValidity &
  ActingKey & {
    readonly orgId: string;
    readonly createdBy?: string;
    /** @default node:crypto randomBytes */
    readonly random?: RandomSource;
  };

export type RotateInput = KeyValidity &
  ActingKey & {
    readonly orgId: string;
    /** The key to rotate; it must be the org's live key. @default the org's live key, whichever it is */
    readonly keyId?: string;
    readonly graceHours: GraceHours;
    readonly createdBy?: string;
    /** @default node:crypto randomBytes */
    readonly random?: RandomSource;
  };

export interface KeyRotationResult {
  /** The plaintext is here once; hand it to its one recipient. */
  readonly newKey: IssuedKey;
  /** The old key as stored: in `grace`, or `revoked` for a 0 h grace. */
  readonly oldKey: ApiKeyRecord;
}

export type SweepOutcome =
  | {
      readonly kind: 'transitioned';
      readonly transition: NonNullable<SweepDecision['transition']>;
      readonly record: ApiKeyRecord;
    }
  /** Nothing was due after all (the index was stale); the due index was repaired if needed. */
  | { readonly kind: 'unchanged' }
  /** Someone changed the key meanwhile; the next sweep looks again. */
  | { readonly kind: 'conflict' }
  | { readonly kind: 'gone' };

export interface ApiKeysRepositoryProps {
  readonly doc: DynamoDBDocumentClient;
  readonly apiKeysTableName: string;
  /** The tenants table, whose items hold each org's `activeKeyHash`. */
  readonly tenantsTableName: string;
  readonly clock: Clock;
  /** Attempts for a transaction that lost a race. @default 5 */
  readonly conflictRetries?: number;
  /**
   * Called after a key is revoked (also by the sweep) or rotated, so cached
   * authorizer answers for it are dropped at once; it must not throw.
   * @default nothing is flushed
   */
  readonly flushAuthorizerCache?: () => Promise<void>;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const KEY_PK = ApiKeysTable.partitionKey;
const TENANT_PK = TenantsTable.partitionKey;

export class ApiKeysRepository {
  private readonly doc: DynamoDBDocumentClient;
  private readonly keysTable: string;
  private readonly tenantsTable: string;
  private readonly clock: Clock;
  private readonly retries: number;
  private readonly flushAuthorizerCache: () => Promise<void>;

  public constructor(props: ApiKeysRepositoryProps) {
    this.flushAuthorizerCache = props.flushAuthorizerCache ?? (async () => undefined);
    this.doc = props.doc;
    this.keysTable = props.apiKeysTableName;
    this.tenantsTable = props.tenantsTableName;
    this.clock = props.clock;
    this.retries = props.conflictRetries ?? CONFLICT_RETRIES;
  }

  /**
   * Issues the org's key when it has none.
   * @throws NotFoundError when the org is not registered.
   * @throws ConflictError when it is disabled or already has a live key.
   */
  public async issue(input: IssueInput): Promise<IssuedKey> {
    const { actingKeyHash, ...issue } = input;
    if (actingKeyHash !== undefined) await this.requirePermitted(actingKeyHash);
    const issued = issueKey({ ...issue, clock: this.clock });
    await this.commitFirstKey(issued.record, actingKeyHash);
    return issued;
  }

  /**
   * Stores a key built elsewhere (onboarding builds it first so the
   * plaintext can be put into the pickup secret before the key exists) as
   * the org's live key, in one transaction with the tenant's pointer.
   * Committing the key that is already the org's live key is a no-op, so a
   * retried commit succeeds.
   * @throws NotFoundError when the org is not registered.
   * @throws ConflictError when it is disabled, has another live key, or the key is stored already.
   */
  public async commitFirstKey(record: ApiKeyRecord, actingKeyHash?: string): Promise<void> {
    const actorCheck = actingKeyHash === undefined ? [] : [this.stillPermitted(actingKeyHash)];
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tenantsTable,
                  Key: { [TENANT_PK]: record.orgId },
                  UpdateExpression: 'SET activeKeyHash = :hash, activeKeyId = :keyId, updatedAt = :now',
                  ConditionExpression:
                    'attribute_exists(#pk) AND #status = :active AND attribute_not_exists(activeKeyHash)',
                  ExpressionAttributeNames: { '#pk': TENANT_PK, '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':hash': record.keyHash,
                    ':keyId': record.keyId,
                    ':now': this.clock.now().toISOString(),
                    ':active': 'active',
                  },
                },
              },
              {
                Put: {
                  TableName: this.keysTable,
                  Item: record,
                  ConditionExpression: 'attribute_not_exists(#pk)',
                  ExpressionAttributeNames: { '#pk': KEY_PK },
                },
              },
              ...actorCheck,
            ],
          }),
        );
        return;
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        if (actingKeyHash !== undefined) await this.requirePermitted(actingKeyHash);
        const tenant = await this.tenant(record.orgId);
        if (tenant?.activeKeyHash === record.keyHash) return;
        const reason = explainIssueConflict(record.orgId, tenant);
        if (reason !== undefined) throw withCause(reason, error);
        if ((await this.getByHash(record.keyHash)) !== undefined) {
          throw new ConflictError(
            `key ${record.keyId} is already stored and is not the live key of org ${record.orgId}`,
            {
              cause: error,
            },
          );
        }
        if (attempt >= this.retries) throw retriesExhausted(`issuing a key for org ${record.orgId}`, error);
        await backoff(attempt);
      }
    }
  }

  /** The authorizer's lookup: one strongly consistent GetItem. */
  public async getByHash(keyHash: string): Promise<StoredApiKey | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.keysTable, Key: { [KEY_PK]: keyHash }, ConsistentRead: true }),
    );
    return Item as StoredApiKey | undefined;
  }

  /** A key by its public id, within its org (so one org can never address another's key). */
  public async findById(orgId: string, keyId: string): Promise<StoredApiKey | undefined> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.keysTable,
          IndexName: ApiKeysTable.byOrgIndex.name,
          KeyConditionExpression: '#org = :orgId',
          FilterExpression: 'keyId = :keyId',
          ExpressionAttributeNames: { '#org': ApiKeysTable.byOrgIndex.partitionKey },
          ExpressionAttributeValues: { ':orgId': orgId, ':keyId': keyId },
          ExclusiveStartKey: startKey,
        }),
      );
      const hit = page.Items?.[0];
      // The index is eventually consistent; the table read is not.
      if (hit !== undefined) return this.getByHash(String(hit[KEY_PK]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return undefined;
  }

  /** @throws NotFoundError naming the key and org. */
  public async requireById(orgId: string, keyId: string): Promise<StoredApiKey> {
    const key = await this.findById(orgId, keyId);
    if (key === undefined) throw new NotFoundError(`key ${keyId} not found for org ${orgId}`);
    return key;
  }

  /** The org's keys, oldest first, a page at a time (from the `byOrg` index). */
  public async listByOrg(orgId: string, page: PageRequest = {}): Promise<Page<StoredApiKey>> {
    const { Items, LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({
        TableName: this.keysTable,
        IndexName: ApiKeysTable.byOrgIndex.name,
        KeyConditionExpression: '#org = :orgId',
        ExpressionAttributeNames: { '#org': ApiKeysTable.byOrgIndex.partitionKey },
        ExpressionAttributeValues: { ':orgId': orgId },
        Limit: pageSize(page.limit),
        ExclusiveStartKey: decodeCursor(page.cursor, {
          attributes: [
            ApiKeysTable.partitionKey,
            ApiKeysTable.byOrgIndex.partitionKey,
            ApiKeysTable.byOrgIndex.sortKey,
          ],
          fixed: { [ApiKeysTable.byOrgIndex.partitionKey]: orgId },
        }),
      }),
    );
    return { items: (Items ?? []) as StoredApiKey[], nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  /** The org's live (active or expiring) key, through the tenant's pointer. */
  public async getActive(orgId: string): Promise<StoredApiKey | undefined> {
    const tenant = await this.tenant(orgId);
    return tenant?.activeKeyHash === undefined ? undefined : this.getByHash(tenant.activeKeyHash);
  }

  /**
   * Replaces the org's live key: the new key is active and the old one in
   * grace (or revoked for 0 h), in one transaction. A rotation that loses a
   * race re-reads and lets the core decide again: with `keyId`, the key has
   * then usually left `active` and the rotation fails with ConflictError;
   * without it, the newer live key is rotated.
   * @throws NotFoundError when the org, the key or a live key does not exist.
   * @throws ConflictError when the key is not the org's live key or the tenant is disabled.
   */
  public async rotate(input: RotateInput): Promise<KeyRotationResult> {
    const { orgId, keyId, graceHours, createdBy, random, actingKeyHash, ...validity } = input;
    for (let attempt = 1; ; attempt++) {
      if (actingKeyHash !== undefined) await this.requirePermitted(actingKeyHash);
      const tenant = await this.requireTenant(orgId);
      if (tenant.status !== 'active') throw new ConflictError(`org ${orgId} is disabled; its keys cannot be rotated`);
      const current =
        keyId === undefined ? await this.requireActive(orgId, tenant) : await this.requireById(orgId, keyId);
      if (keyId === undefined && !isLive(current) && attempt < this.retries) {
        // The pointer moved between the two reads: a concurrent rotation won; rotate its key instead.
        await backoff(attempt);
        continue;
      }
      const plan = planRotation({
        ...(validity as KeyValidity),
        current,
        graceHours,
        clock: this.clock,
        ...(createdBy === undefined ? {} : { createdBy }),
        ...(random === undefined ? {} : { random }),
      });
      if (tenant.activeKeyHash !== current.keyHash) {
        throw new ConflictError(`key ${current.keyId} is not the live key of org ${orgId}; it cannot be rotated`);
      }
      const newRecord = plan.newKey.record;
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tenantsTable,
                  Key: { [TENANT_PK]: orgId },
                  UpdateExpression: 'SET activeKeyHash = :new, activeKeyId = :newId, updatedAt = :now',
                  ConditionExpression: '#status = :active AND activeKeyHash = :old',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':new': newRecord.keyHash,
                    ':newId': newRecord.keyId,
                    ':old': current.keyHash,
                    ':active': 'active',
                    ':now': this.clock.now().toISOString(),
                  },
                },
              },
              {
                Put: {
                  TableName: this.keysTable,
                  Item: newRecord,
                  ConditionExpression: 'attribute_not_exists(#pk)',
                  ExpressionAttributeNames: { '#pk': KEY_PK },
                },
              },
              this.keyTransition(current, plan.oldKeyAfter),
              ...this.actorCheckBesides(actingKeyHash, current),
            ],
          }),
        );
        await this.flushAuthorizerCache();
        return { newKey: plan.newKey, oldKey: plan.oldKeyAfter };
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        if (attempt >= this.retries) throw retriesExhausted(`rotating the key of org ${orgId}`, error);
        await backoff(attempt);
      }
    }
  }

  /**
   * Revokes one key; revoking the live key also clears the tenant's pointer,
   * in the same transaction, so a new key can be issued.
   * @throws NotFoundError when the key does not exist in this org.
   * @throws ConflictError when it is already revoked.
   */
  public async revoke(input: { readonly orgId: string; readonly keyId: string } & ActingKey): Promise<ApiKeyRecord> {
    const revoked = await this.revokeWithoutFlush(input);
    await this.flushAuthorizerCache();
    return revoked;
  }

  private async revokeWithoutFlush(
    input: { readonly orgId: string; readonly keyId: string } & ActingKey,
  ): Promise<ApiKeyRecord> {
    for (let attempt = 1; ; attempt++) {
      if (input.actingKeyHash !== undefined) await this.requirePermitted(input.actingKeyHash);
      const current = await this.requireById(input.orgId, input.keyId);
      const next = revokeRecord(current, this.clock);
      try {
        await this.writeTransition(current, next, this.actorCheckBesides(input.actingKeyHash, current));
        return next;
      } catch (error) {
        if (!isTransactionConflict(error) && !isConditionalCheckFailed(error)) throw error;
        if (attempt >= this.retries) throw retriesExhausted(`revoking key ${input.keyId}`, error);
        await backoff(attempt);
      }
    }
  }

  /**
   * Revokes every key of the org that is not revoked yet (offboarding).
   * Safe to repeat: already revoked keys are skipped.
   * @returns how many keys this call revoked.
   */
  public async revokeAllForOrg(orgId: string): Promise<number> {
    let revoked = 0;
    let cursor: string | undefined;
    do {
      const page = await this.listByOrg(orgId, { limit: 100, cursor });
      for (const listed of page.items) {
        if (listed.status === 'revoked') continue;
        try {
          await this.revokeWithoutFlush({ orgId, keyId: listed.keyId });
          revoked++;
        } catch (error) {
          // Revoked meanwhile (a sweep, a concurrent offboarding): the goal is met.
          if (!(error instanceof ConflictError)) throw error;
        }
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    // Once for the whole org, even when nothing was left to revoke: a retried offboarding still flushes.
    await this.flushAuthorizerCache();
    return revoked;
  }

  /**
   * Keys with a lifecycle step due at `now`, from the sparse `byDue` index
   * (eventually consistent: `sweep` re-reads each one).
   */
  public async dueForSweep(now: Date, page: PageRequest = {}): Promise<Page<ApiKeyRecord>> {
    const { Items, LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({
        TableName: this.keysTable,
        IndexName: ApiKeysTable.byDueIndex.name,
        KeyConditionExpression: '#bucket = :bucket AND #dueAt <= :now',
        ExpressionAttributeNames: {
          '#bucket': ApiKeysTable.byDueIndex.partitionKey,
          '#dueAt': ApiKeysTable.byDueIndex.sortKey,
        },
        ExpressionAttributeValues: { ':bucket': DUE_BUCKET, ':now': now.toISOString() },
        Limit: pageSize(page.limit),
        ExclusiveStartKey: decodeCursor(page.cursor, {
          attributes: [
            ApiKeysTable.partitionKey,
            ApiKeysTable.byDueIndex.partitionKey,
            ApiKeysTable.byDueIndex.sortKey,
          ],
          fixed: { [ApiKeysTable.byDueIndex.partitionKey]: DUE_BUCKET },
        }),
      }),
    );
    return { items: (Items ?? []) as ApiKeyRecord[], nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  /**
   * Applies the core's sweep decision to one key at `now`: grace ended or
   * expired -> revoked (clearing the tenant's pointer for the live key),
   * near expiry -> expiring. Never throws for a lost race; reports it.
   */
  public async sweep(keyHash: string, now: Date): Promise<SweepOutcome> {
    const current = await this.getByHash(keyHash);
    if (current === undefined) return { kind: 'gone' };
    const decision = sweepDecision(current, now);
    try {
      const wrote = await this.writeTransition(current, decision.record);
      if (decision.transition === undefined || !wrote) return { kind: 'unchanged' };
      if (decision.transition.to === 'revoked') await this.flushAuthorizerCache();
      return { kind: 'transitioned', transition: decision.transition, record: decision.record };
    } catch (error) {
      if (isTransactionConflict(error) || isConditionalCheckFailed(error)) return { kind: 'conflict' };
      throw error;
    }
  }

  /**
   * Writes `current -> next`; when the live key stops being live, clears
   * the tenant's pointer in the same transaction.
   * @returns false when there was nothing to write.
   */
  private async writeTransition(
    current: ApiKeyRecord,
    next: ApiKeyRecord,
    conditions: readonly TransactItem[] = [],
  ): Promise<boolean> {
    const keyItem = this.keyTransition(current, next);
    if (keyItem.Update === undefined) return false;
    const leavesLive = isLive(current) && !isLive(next);
    const tenant = leavesLive ? await this.tenant(current.orgId) : undefined;
    if (tenant?.activeKeyHash !== current.keyHash) {
      if (conditions.length === 0) await this.doc.send(new UpdateCommand(keyItem.Update));
      else await this.doc.send(new TransactWriteCommand({ TransactItems: [keyItem, ...conditions] }));
      return true;
    }
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          ...conditions,
          {
            Update: {
              TableName: this.tenantsTable,
              Key: { [TENANT_PK]: current.orgId },
              UpdateExpression: 'SET updatedAt = :now REMOVE activeKeyHash, activeKeyId',
              ConditionExpression: 'activeKeyHash = :hash',
              ExpressionAttributeValues: { ':hash': current.keyHash, ':now': this.clock.now().toISOString() },
            },
          },
          keyItem,
        ],
      }),
    );
    return true;
  }

  /** An Update of the attributes that differ, conditioned on the status it was read with. */
  private keyTransition(current: ApiKeyRecord, next: ApiKeyRecord): TransactItem {
    const diff = diffUpdate(current as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>, [
      KEY_PK,
      'lastUsedAt',
      'usageDay',
      'usageCount',
    ]);
    if (diff === undefined) return {};
    return {
      Update: {
        TableName: this.keysTable,
        Key: { [KEY_PK]: current.keyHash },
        UpdateExpression: diff.UpdateExpression,
        ConditionExpression: 'attribute_exists(#pk) AND #expectedStatus = :expectedStatus',
        ExpressionAttributeNames: { ...diff.ExpressionAttributeNames, '#pk': KEY_PK, '#expectedStatus': 'status' },
        ExpressionAttributeValues: { ...diff.ExpressionAttributeValues, ':expectedStatus': current.status },
      },
    };
  }

  /**
   * Re-reads the acting key (never trusting a cached authorizer answer).
   * @throws KeyNotPermittedError unless it may change credentials now.
   */
  public async requirePermitted(actingKeyHash: string): Promise<StoredApiKey> {
    const actor = await this.getByHash(actingKeyHash);
    if (actor === undefined || !mayChangeCredentials(actor, this.clock.now())) {
      const state = actor === undefined ? 'unknown' : isLive(actor) ? 'expired' : actor.status;
      throw new KeyNotPermittedError(
        `this API key is ${state}; only the org's active key may change credentials or webhooks`,
      );
    }
    return actor;
  }

  /**
   * A transaction condition that the acting key is still live and unexpired
   * when the write lands. Not for the key the same transaction updates
   * (DynamoDB allows one action per item): its own update is conditioned on
   * its status already.
   */
  private stillPermitted(actingKeyHash: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.keysTable,
        Key: { [KEY_PK]: actingKeyHash },
        ConditionExpression:
          '#status IN (:active, :expiring) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':active': 'active',
          ':expiring': 'expiring',
          ':now': this.clock.now().toISOString(),
        },
      },
    };
  }

  private actorCheckBesides(actingKeyHash: string | undefined, updated: ApiKeyRecord): TransactItem[] {
    return actingKeyHash === undefined || actingKeyHash === updated.keyHash ? [] : [this.stillPermitted(actingKeyHash)];
  }

  private async tenant(orgId: string): Promise<TenantRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tenantsTable, Key: { [TENANT_PK]: orgId }, ConsistentRead: true }),
    );
    return Item as TenantRecord | undefined;
  }

  private async requireTenant(orgId: string): Promise<TenantRecord> {
    const tenant = await this.tenant(orgId);
    if (tenant === undefined) throw new NotFoundError(`org ${orgId} is not registered`);
    return tenant;
  }

  private async requireActive(orgId: string, tenant: TenantRecord): Promise<StoredApiKey> {
    const key = tenant.activeKeyHash === undefined ? undefined : await this.getByHash(tenant.activeKeyHash);
    if (key === undefined) throw new NotFoundError(`org ${orgId} has no active API key`);
    return key;
  }
}

function isLive(record: ApiKeyRecord): boolean {
  return record.status === 'active' || record.status === 'expiring';
}

function explainIssueConflict(orgId: string, tenant: TenantRecord | undefined): Error | undefined {
  if (tenant === undefined) return new NotFoundError(`org ${orgId} is not registered`);
  if (tenant.status !== 'active') return new ConflictError(`org ${orgId} is disabled; no key can be issued`);
  if (tenant.activeKeyHash !== undefined) {
    return new ConflictError(
      `org ${orgId} already has an active API key (${tenant.activeKeyId ?? 'unknown id'}); rotate or revoke it first`,
    );
  }
  return undefined;
}

function withCause(error: Error, cause: unknown): Error {
  if (error instanceof NotFoundError) return new NotFoundError(error.message, { cause });
  if (error instanceof ConflictError) return new ConflictError(error.message, { cause });
  return error;
}

function retriesExhausted(what: string, cause: unknown): ConflictError {
  return new ConflictError(`${what} kept conflicting with concurrent changes; try again`, { cause });
}

/** Jittered, so racing writers do not collide again in lockstep. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * 20 * 2 ** Math.min(attempt, 5);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
