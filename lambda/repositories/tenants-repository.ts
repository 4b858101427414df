/**
 * Tenants in DynamoDB, one item per org. Besides the profile, the tenant
 * item holds `activeKeyHash`: the hash of the org's one live (active or
 * expiring) API key. Every transaction that issues, rotates or revokes a
 * live key conditions on it, which is how "at most one active key per org"
 * holds in DynamoDB itself, however many requests race.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { GraceHours } from '../core/api-keys';
import type { Clock } from '../core/clock';
import { TENANT_LIST_BUCKET, TenantsTable } from '../core/data-model';
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import { normalizeEmail } from '../core/team';
import {
  cancellationReasons,
  decodeCursor,
  encodeCursor,
  isConditionalCheckFailed,
  type Page,
  type PageRequest,
  pageSize,
} from './dynamo-support';

export type TenantStatus = 'active' | 'disabled';

/** What an admin or the partner's config file says about a tenant. */
export interface TenantProfile {
  readonly orgId: string;
  readonly orgName: string;
  readonly ownerEmail: string;
  /** Validity of keys issued for this org. @default 365 (the core's default) */
  readonly apiKeyValidityDays?: number | 'never';
  /** Grace for scheduled and config-driven rotations. @default 24 */
  readonly rotationGraceHours?: GraceHours;
  /** `config` for partners/<orgId>.yaml, `api` for the admin API, `portal` for a partner's own sign-up. */
  readonly source?: 'config' | 'api' | 'portal';
}

export interface TenantRecord extends TenantProfile {
  readonly status: TenantStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly disabledAt?: string;
  /** Hash of the org's live key; absent when it has none. */
  readonly activeKeyHash?: string;
  /** Public id of that key, so readers need not resolve the hash. */
  readonly activeKeyId?: string;
}

/**
 * Another item of the tenants table written in the same transaction as a new
 * tenant, on condition that it does not exist either (e.g. the portal's
 * user -> org membership). Its key must never be a valid orgId, and it must
 * not be in the tenants' list bucket, so `list` never returns it.
 */
export interface TenantCompanionItem {
  readonly item: Readonly<Record<string, unknown>>;
  /** The error to throw when the companion already exists. */
  readonly onExists: () => Error;
}

export interface TenantsRepositoryProps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
}

const PK = TenantsTable.partitionKey;
const LIST = TenantsTable.byListIndex;

/** A stored item without the list index's bookkeeping attribute. */
function toTenant(item: Record<string, unknown>): TenantRecord {
  const { [LIST.partitionKey]: _bucket, ...tenant } = item;
  return tenant as unknown as TenantRecord;
}
/** Owner items can never collide with a tenant: an orgId cannot contain `#`. */
const OWNER_KEY_PREFIX = 'portal-owner#';
const OWNER_RECORD_TYPE = 'portal-owner';

export { normalizeEmail };

export function ownerClaimKey(email: string): string {
  return OWNER_KEY_PREFIX + createHash('sha256').update(normalizeEmail(email)).digest('hex');
}

/**
 * The write that notes `ownerEmail` owns `orgId` (see
 * {@link TenantsRepository.recordOwner}), for a transaction that changes the
 * owner or registers the org at the same time.
 */
export function ownerClaimUpdate(tableName: string, orgId: string, ownerEmail: string) {
  return {
    TableName: tableName,
    Key: { [PK]: ownerClaimKey(ownerEmail) },
    UpdateExpression: 'SET #type = :type ADD #owns :org',
    ExpressionAttributeNames: { '#type': 'recordType', '#owns': 'ownerOf' },
    ExpressionAttributeValues: { ':type': OWNER_RECORD_TYPE, ':org': new Set([orgId]) },
  };
}

const PROFILE_FIELDS = ['orgName', 'ownerEmail', 'apiKeyValidityDays', 'rotationGraceHours', 'source'] as const;

export class TenantsRepository {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;

  public constructor(props: TenantsRepositoryProps) {
    this.doc = props.doc;
    this.tableName = props.tableName;
    this.clock = props.clock;
  }

  /**
   * Registers a new, active tenant; with a companion, and with the owner's
   * claim when `recordOwner` is set (see {@link recordOwner}), all items are
   * written in one transaction or none is.
   * @throws ConflictError when the org is already registered.
   * @throws the companion's `onExists()` error when the companion item exists.
   */
  public async create(
    profile: TenantProfile,
    companion?: TenantCompanionItem,
    options: { readonly recordOwner?: boolean } = {},
  ): Promise<TenantRecord> {
    assertProfile(profile);
    const now = this.clock.now().toISOString();
    const record: TenantRecord = { ...definedProfile(profile), status: 'active', createdAt: now, updatedAt: now };
    const put = {
      TableName: this.tableName,
      Item: { ...record, [LIST.partitionKey]: TENANT_LIST_BUCKET },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK },
    };
    const taken = (error: unknown) => new ConflictError(`org ${profile.orgId} is already registered`, { cause: error });
    if (companion === undefined && options.recordOwner !== true) {
      try {
        await this.doc.send(new PutCommand(put));
      } catch (error) {
        if (isConditionalCheckFailed(error)) throw taken(error);
        throw error;
      }
      return record;
    }
    if (companion?.item[LIST.partitionKey] === TENANT_LIST_BUCKET) {
      throw new ValidationError(`a companion item must not be in the ${TENANT_LIST_BUCKET} list`, {
        field: LIST.partitionKey,
      });
    }
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: put },
            ...(companion === undefined ? [] : [{ Put: { ...put, Item: { ...companion.item } } }]),
            ...(options.recordOwner === true
              ? [{ Update: ownerClaimUpdate(this.tableName, profile.orgId, profile.ownerEmail) }]
              : []),
          ],
        }),
      );
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[0] === 'ConditionalCheckFailed') throw taken(error);
      if (companion !== undefined && reasons?.[1] === 'ConditionalCheckFailed') throw companion.onExists();
      throw error;
    }
    return record;
  }

  /**
   * Makes the tenant exist, active, with this profile: creates it, or
   * updates the profile of an existing one (re-enabling it if disabled).
   * Its key pointer is never touched. Safe to repeat.
   */
  public async ensure(profile: TenantProfile): Promise<{ readonly tenant: TenantRecord; readonly created: boolean }> {
    try {
      return { tenant: await this.create(profile), created: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    // A partner file takes over an org registered in the portal only when it names the
    // same owner: otherwise that org's portal users would get the config partner's org.
    const tenant = await this.update(profile.orgId, profile, {
      enable: true,
      ...(profile.source === 'config' ? { guard: { source: 'portal' as const, unlessOwner: profile.ownerEmail } } : {}),
    });
    return { tenant, created: false };
  }

  /**
   * Notes that `ownerEmail` owns the org, so the owner can find it when
   * signing in to the portal the first time (see {@link ownedBy}). Kept in a
   * small item per owner, keyed by a hash of the lower-cased email; an entry
   * left behind by an owner change is harmless, as `ownedBy` checks each
   * org's current owner. Safe to repeat.
   */
  public async recordOwner(orgId: string, ownerEmail: string): Promise<void> {
    await this.doc.send(new UpdateCommand(ownerClaimUpdate(this.tableName, orgId, ownerEmail)));
  }

  /**
   * The active orgs whose owner is `email` now (case-insensitive), in orgId
   * order: one GetItem, then one per recorded org.
   */
  public async ownedBy(email: string): Promise<TenantRecord[]> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: ownerClaimKey(email) }, ConsistentRead: true }),
    );
    const orgIds = [...((Item?.ownerOf as Set<string> | undefined) ?? [])].sort();
    const tenants = await Promise.all(orgIds.map((orgId) => this.get(orgId)));
    return tenants.filter(
      (tenant): tenant is TenantRecord =>
        tenant !== undefined &&
        tenant.status === 'active' &&
        normalizeEmail(tenant.ownerEmail) === normalizeEmail(email),
    );
  }

  /** Strongly consistent. */
  public async get(orgId: string): Promise<TenantRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: orgId }, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toTenant(Item);
  }

  /** @throws NotFoundError naming the org. */
  public async require(orgId: string): Promise<TenantRecord> {
    const tenant = await this.get(orgId);
    if (tenant === undefined) throw new NotFoundError(`org ${orgId} is not registered`);
    return tenant;
  }

  /**
   * All tenants, a page at a time, in orgId order: a Query of the list index
   * (eventually consistent, as every GSI read is).
   */
  public async list(page: PageRequest = {}): Promise<Page<TenantRecord>> {
    const { Items, LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: LIST.name,
        KeyConditionExpression: '#bucket = :bucket',
        ExpressionAttributeNames: { '#bucket': LIST.partitionKey },
        ExpressionAttributeValues: { ':bucket': TENANT_LIST_BUCKET },
        Limit: pageSize(page.limit),
        ExclusiveStartKey: decodeCursor(page.cursor, {
          attributes: [TenantsTable.partitionKey, LIST.partitionKey],
          fixed: { [LIST.partitionKey]: TENANT_LIST_BUCKET },
        }),
      }),
    );
    const items = (Items ?? []).map(toTenant);
    return { items, nextCursor: encodeCursor(LastEvaluatedKey) };
  }

  /**
   * Changes profile fields (only those given).
   * @throws NotFoundError when the org is not registered.
   */
  public async update(
    orgId: string,
    changes: Partial<Omit<TenantProfile, 'orgId'>>,
    options: {
      readonly enable?: boolean;
      /** Refuse (ConflictError) when the stored tenant came from `source`, unless its owner is `unlessOwner`. */
      readonly guard?: { readonly source: TenantProfile['source']; readonly unlessOwner: string };
    } = {},
  ): Promise<TenantRecord> {
    const names: Record<string, string> = { '#pk': PK, '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':now': this.clock.now().toISOString() };
    let condition = 'attribute_exists(#pk)';
    const { guard } = options;
    if (guard !== undefined) {
      names['#source'] = 'source';
      names['#owner'] = 'ownerEmail';
      values[':guarded'] = guard.source;
      values[':owner'] = guard.unlessOwner;
      condition += ' AND (attribute_not_exists(#source) OR #source <> :guarded OR #owner = :owner)';
    }
    const sets = ['#updatedAt = :now'];
    const removes: string[] = [];
    for (const field of PROFILE_FIELDS) {
      const value = changes[field];
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    if (options.enable) {
      names['#status'] = 'status';
      names['#disabledAt'] = 'disabledAt';
      values[':active'] = 'active';
      sets.push('#status = :active');
      removes.push('#disabledAt');
    }
    if (changes.orgName !== undefined) assertOrgName(changes.orgName);
    if (changes.ownerEmail !== undefined) assertOwnerEmail(changes.ownerEmail);
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: orgId },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toTenant(Attributes ?? {});
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = guard === undefined ? undefined : await this.get(orgId);
      if (existing !== undefined && existing.source === guard?.source) {
        throw new ConflictError(
          `org ${orgId} was registered through the ${existing.source} by another owner; it can only be taken over with the same ownerEmail: choose another orgId or set that owner`,
          { cause: error },
        );
      }
      throw new NotFoundError(`org ${orgId} is not registered`, { cause: error });
    }
  }

  /**
   * Disables the tenant: no key can be issued or rotated for it any more.
   * Its keys are revoked separately (`ApiKeysRepository.revokeAllForOrg`);
   * its data is kept. Disabling a disabled tenant changes nothing.
   * @throws NotFoundError when the org is not registered.
   */
  public async disable(orgId: string): Promise<TenantRecord> {
    const now = this.clock.now().toISOString();
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: orgId },
          UpdateExpression:
            'SET #status = :disabled, #updatedAt = :now, #disabledAt = if_not_exists(#disabledAt, :now)',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: {
            '#pk': PK,
            '#status': 'status',
            '#updatedAt': 'updatedAt',
            '#disabledAt': 'disabledAt',
          },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toTenant(Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new NotFoundError(`org ${orgId} is not registered`, { cause: error });
      throw error;
    }
  }
}

function definedProfile(profile: TenantProfile): TenantProfile {
  return Object.fromEntries(
    Object.entries(profile).filter(([, value]) => value !== undefined),
  ) as unknown as TenantProfile;
}

function assertProfile(profile: TenantProfile): void {
  if (profile.orgId.trim() === '') throw new ValidationError('orgId must not be empty', { field: 'orgId' });
  assertOrgName(profile.orgName);
  assertOwnerEmail(profile.ownerEmail);
}

function assertOrgName(orgName: string): void {
  if (orgName.trim() === '') throw new ValidationError('orgName must not be empty', { field: 'orgName' });
}

function assertOwnerEmail(ownerEmail: string): void {
  if (!/^[^\s@]+@[^\s@]+$/.test(ownerEmail)) {
    throw new ValidationError('ownerEmail must be an email address such as owner@example.com', { field: 'ownerEmail' });
  }
}
