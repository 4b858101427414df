/**
 * API keys in DynamoDB, keyed by the SHA-256 hash of the key: the plaintext
 * never reaches this class except inside `IssuedKey`, which it returns to
 * the caller and never stores (records keep hash, prefix and last 4).
 *
 * The lifecycle rules are the core's (`issueKey`, `planRotation`, `revoke`,
 * `sweepDecision`); this class stores their results atomically, and holds
 * the key policy (at most `maxActivePerEnvironment` live keys per org and
 * environment) with the tenant item's per-environment live-key counters
 * (`LIVE_KEY_COUNTERS`):
 *
 * - issue: the environment's counter goes up (condition: below the org's
 *   limit, tenant active) and the key is put (condition: new hash) in one
 *   transaction;
 * - rotate: the new key is put and the old key's status changes (condition:
 *   unchanged since read) in one transaction with a check that the tenant
 *   is active; the count stays, as one live key replaces another of the
 *   same environment;
 * - revoke / sweep of a live key: the counter goes down in the same
 *   transaction that ends the key. Grace keys never count.
 *
 * So however many requests race, no environment ever has more live keys
 * than the limit. A tenant item from before environments (one
 * `activeKeyHash` pointer) is converted to counters at its first key change.
 * Key updates write only the attributes that changed, so they never undo a
 * concurrent `lastUsedAt` update from usage ingestion.
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
  DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT,
  type GraceHours,
  KEY_ENVIRONMENTS,
  type IssuedKey,
  type KeyEnvironment,
  type KeyLabels,
  type KeyValidity,
  type SweepDecision,
  assertKeyLimit,
  isLiveKey as isLive,
  issueKey,
  keyEnvironmentOf,
  mayChangeCredentials,
  planRotation,
  revoke as revokeRecord,
  sweepDecision,
} from '../core/api-keys';
import type { Clock } from '../core/clock';
import { ApiKeysTable, DUE_BUCKET, LIVE_KEY_COUNTERS, TenantsTable } from '../core/data-model';
import { ConflictError, KeyLimitReachedError, KeyNotPermittedError, NotFoundError } from '../core/errors';
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
import { type TenantRecord, liveKeyCount } from './tenants-repository';

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
  KeyLabels &
  ActingKey & {
    readonly orgId: string;
    readonly createdBy?: string;
    /** @default node:crypto randomBytes */
    readonly random?: RandomSource;
  };

export type RotateInput = KeyValidity &
  ActingKey & {
    readonly orgId: string;
    /** The key to rotate; it must be live. @default the org's one live key (ConflictError when it has several) */
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
  /** The tenants table, whose items count each org's live keys per environment. */
  readonly tenantsTableName: string;
  /**
   * The environment's key policy: live keys per org and environment, unless
   * the tenant item sets its own (`maxActivePerEnvironment`, from its partner file).
   * @default 1
   */
  readonly maxActivePerEnvironment?: number;
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
  private readonly defaultLimit: number;

  public constructor(props: ApiKeysRepositoryProps) {
    this.defaultLimit = props.maxActivePerEnvironment ?? DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT;
    assertKeyLimit(this.defaultLimit);
    this.flushAuthorizerCache = props.flushAuthorizerCache ?? (async () => undefined);
    this.doc = props.doc;
    this.keysTable = props.apiKeysTableName;
    this.tenantsTable = props.tenantsTableName;
    this.clock = props.clock;
    this.retries = props.conflictRetries ?? CONFLICT_RETRIES;
  }

  /**
   * Issues a key in its environment (default production) while the org is
   * below its limit there.
   * @throws NotFoundError when the org is not registered.
   * @throws KeyLimitReachedError when the environment already has the org's limit of live keys.
   * @throws ConflictError when the org is disabled.
   */
  public async issue(input: IssueInput): Promise<IssuedKey> {
    const { actingKeyHash, ...issue } = input;
    if (actingKeyHash !== undefined) await this.requirePermitted(actingKeyHash);
    const issued = issueKey({ ...issue, clock: this.clock });
    await this.commitKey(issued.record, actingKeyHash);
    return issued;
  }

  /**
   * Stores a key built elsewhere (onboarding builds it first so the
   * plaintext can be put into the pickup secret before the key exists) as a
   * live key, in one transaction with its environment's counter. Committing
   * a key that is stored and live already is a no-op, so a retried commit
   * succeeds.
   * @throws NotFoundError when the org is not registered.
   * @throws KeyLimitReachedError when the environment is at the org's limit.
   * @throws ConflictError when the org is disabled or the key is stored already and not live.
   */
  public async commitKey(record: ApiKeyRecord, actingKeyHash?: string): Promise<void> {
    const environment = keyEnvironmentOf(record);
    for (let attempt = 1; ; attempt++) {
      const tenant = await this.requireTenant(record.orgId);
      if (tenant.status !== 'active') throw new ConflictError(`org ${record.orgId} is disabled; no key can be issued`);
      if (await this.convertLegacyPointer(tenant)) continue;
      const limit = this.limitFor(tenant);
      if (liveKeyCount(tenant, environment) >= limit) {
        if (await this.isStoredLive(record)) return;
        throw new KeyLimitReachedError(record.orgId, environment, limit);
      }
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              this.countLiveKey(tenant, environment, limit),
              {
                Put: {
                  TableName: this.keysTable,
                  Item: record,
                  ConditionExpression: 'attribute_not_exists(#pk)',
                  ExpressionAttributeNames: { '#pk': KEY_PK },
                },
              },
              ...(actingKeyHash === undefined ? [] : [this.stillPermitted(actingKeyHash)]),
            ],
          }),
        );
        return;
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        if (actingKeyHash !== undefined) await this.requirePermitted(actingKeyHash);
        const stored = await this.getByHash(record.keyHash);
        if (stored !== undefined) {
          if (isLive(stored)) return;
          throw new ConflictError(`key ${record.keyId} is already stored and is not live`, { cause: error });
        }
        if (attempt >= this.retries) throw retriesExhausted(`issuing a key for org ${record.orgId}`, error);
        await backoff(attempt);
      }
    }
  }

  /** The org's key policy limit: its own (from its partner file), else the environment's. */
  public limitFor(tenant: Pick<TenantRecord, 'maxActivePerEnvironment'>): number {
    return tenant.maxActivePerEnvironment ?? this.defaultLimit;
  }

  /** The tenant update that counts one more live key in `environment`, on condition it stays within `limit`. */
  private countLiveKey(tenant: TenantRecord, environment: KeyEnvironment, limit: number): TransactItem {
    return {
      Update: {
        TableName: this.tenantsTable,
        Key: { [TENANT_PK]: tenant.orgId },
        UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one, updatedAt = :now',
        ConditionExpression:
          'attribute_exists(#pk) AND #status = :active AND attribute_not_exists(activeKeyHash) AND (attribute_not_exists(#count) OR #count < :limit)',
        ExpressionAttributeNames: { '#pk': TENANT_PK, '#status': 'status', '#count': LIVE_KEY_COUNTERS[environment] },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':one': 1,
          ':limit': limit,
          ':active': 'active',
          ':now': this.clock.now().toISOString(),
        },
      },
    };
  }

  /**
   * Converts a tenant item from before key environments: its `activeKeyHash`
   * pointer (the one live key, a production key) becomes a production count
   * of 1. Conditional on the pointer, so racing conversions count it once.
   * @returns whether the item needed converting (re-read it).
   */
  private async convertLegacyPointer(tenant: TenantRecord): Promise<boolean> {
    if (tenant.activeKeyHash === undefined) return false;
    const pointed = await this.getByHash(tenant.activeKeyHash);
    const counter = LIVE_KEY_COUNTERS[keyEnvironmentOf(pointed ?? {})];
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tenantsTable,
          Key: { [TENANT_PK]: tenant.orgId },
          UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :live REMOVE activeKeyHash, activeKeyId',
          ConditionExpression: 'activeKeyHash = :hash',
          ExpressionAttributeNames: { '#count': counter },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':live': pointed !== undefined && isLive(pointed) ? 1 : 0,
            ':hash': tenant.activeKeyHash,
          },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    return true;
  }

  private async isStoredLive(record: ApiKeyRecord): Promise<boolean> {
    const stored = await this.getByHash(record.keyHash);
    return stored !== undefined && isLive(stored);
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

  /** Every key of the org, oldest first (all pages of the `byOrg` Query). */
  public async listAll(orgId: string): Promise<StoredApiKey[]> {
    const all: StoredApiKey[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listByOrg(orgId, { limit: 100, cursor });
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The org's live (active or expiring) keys, oldest first, optionally of one environment (Query, then a consistent read each). */
  public async listLive(orgId: string, environment?: KeyEnvironment): Promise<StoredApiKey[]> {
    const live = (await this.listAll(orgId)).filter(
      (key) => isLive(key) && (environment === undefined || keyEnvironmentOf(key) === environment),
    );
    const fresh = await Promise.all(live.map((key) => this.getByHash(key.keyHash)));
    return fresh.filter((key): key is StoredApiKey => key !== undefined && isLive(key));
  }

  /** The org's newest live key (of one environment, when given). */
  public async getActive(orgId: string, environment?: KeyEnvironment): Promise<StoredApiKey | undefined> {
    return (await this.listLive(orgId, environment)).at(-1);
  }

  /**
   * Replaces one live key: the new key is active, with the old one's name
   * and environment, and the old one in grace (or revoked for 0 h), in one
   * transaction. A rotation that loses a race re-reads and lets the core
   * decide again: the key has then usually left `active` and the rotation
   * fails with ConflictError.
   * @throws NotFoundError when the org, the key or a live key does not exist.
   * @throws ConflictError when the key is not live, the tenant is disabled, or
   *   no keyId is given and the org has several live keys.
   */
  public async rotate(input: RotateInput): Promise<KeyRotationResult> {
    const { orgId, keyId, graceHours, createdBy, random, actingKeyHash, ...validity } = input;
    for (let attempt = 1; ; attempt++) {
      if (actingKeyHash !== undefined) await this.requirePermitted(actingKeyHash);
      const tenant = await this.requireTenant(orgId);
      if (tenant.status !== 'active') throw new ConflictError(`org ${orgId} is disabled; its keys cannot be rotated`);
      if (await this.convertLegacyPointer(tenant)) continue;
      const current = keyId === undefined ? await this.requireSoleLive(tenant) : await this.requireById(orgId, keyId);
      const plan = planRotation({
        ...(validity as KeyValidity),
        current,
        graceHours,
        clock: this.clock,
        ...(createdBy === undefined ? {} : { createdBy }),
        ...(random === undefined ? {} : { random }),
      });
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              this.tenantStillActive(orgId),
              {
                Put: {
                  TableName: this.keysTable,
                  Item: plan.newKey.record,
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

  /** The rotation's tenant condition: active, and counted per environment (not a pointer item). */
  private tenantStillActive(orgId: string): TransactItem {
    return {
      Update: {
        TableName: this.tenantsTable,
        Key: { [TENANT_PK]: orgId },
        UpdateExpression: 'SET updatedAt = :now',
        ConditionExpression: 'attribute_exists(#pk) AND #status = :active AND attribute_not_exists(activeKeyHash)',
        ExpressionAttributeNames: { '#pk': TENANT_PK, '#status': 'status' },
        ExpressionAttributeValues: { ':active': 'active', ':now': this.clock.now().toISOString() },
      },
    };
  }

  /**
   * Revokes one key; revoking a live key also frees its place in its
   * environment's count, in the same transaction, so a new key can be issued.
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
   * expired -> revoked (freeing a live key's place in its environment's count),
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
   * Writes `current -> next`; when a live key stops being live, lowers its
   * environment's count in the same transaction.
   * @returns false when there was nothing to write.
   */
  private async writeTransition(
    current: ApiKeyRecord,
    next: ApiKeyRecord,
    conditions: readonly TransactItem[] = [],
  ): Promise<boolean> {
    const keyItem = this.keyTransition(current, next);
    if (keyItem.Update === undefined) return false;
    const tenant = isLive(current) && !isLive(next) ? await this.tenant(current.orgId) : undefined;
    if (tenant !== undefined && (await this.convertLegacyPointer(tenant))) {
      return this.writeTransition(current, next, conditions);
    }
    const items =
      tenant === undefined ? [keyItem, ...conditions] : [...conditions, this.uncountLiveKey(current), keyItem];
    if (items.length === 1) await this.doc.send(new UpdateCommand(keyItem.Update));
    else await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    return true;
  }

  /** The tenant update that frees a live key's place; exact because the key's own update is conditioned on its status. */
  private uncountLiveKey(key: ApiKeyRecord): TransactItem {
    return {
      Update: {
        TableName: this.tenantsTable,
        Key: { [TENANT_PK]: key.orgId },
        UpdateExpression: 'SET #count = if_not_exists(#count, :one) - :one, updatedAt = :now',
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(activeKeyHash)',
        ExpressionAttributeNames: { '#pk': TENANT_PK, '#count': LIVE_KEY_COUNTERS[keyEnvironmentOf(key)] },
        ExpressionAttributeValues: { ':one': 1, ':now': this.clock.now().toISOString() },
      },
    };
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

  /**
   * The org's one live key, for callers that name none (the rotation
   * schedule). The tenant's counts say how many there are; the listing
   * (an eventually consistent index) is read again until it agrees.
   */
  private async requireSoleLive(tenant: TenantRecord): Promise<StoredApiKey> {
    const { orgId } = tenant;
    const total = KEY_ENVIRONMENTS.reduce((sum, environment) => sum + liveKeyCount(tenant, environment), 0);
    if (total === 0) throw new NotFoundError(`org ${orgId} has no active API key`);
    if (total > 1) throw new ConflictError(`org ${orgId} has ${total} active API keys; name the key to rotate (keyId)`);
    for (let pass = 1; ; pass++) {
      const live = await this.listLive(orgId);
      if (live.length === 1) return live[0];
      if (pass >= this.retries) throw retriesExhausted(`finding the live key of org ${orgId}`, undefined);
      await backoff(pass);
    }
  }
}

function retriesExhausted(what: string, cause: unknown): ConflictError {
  return new ConflictError(`${what} kept conflicting with concurrent changes; try again`, { cause });
}

/** Jittered, so racing writers do not collide again in lockstep. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * 20 * 2 ** Math.min(attempt, 5);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
