/**
 * An org's activity log in the tenants table: one small item per action,
 * keyed `activity#<orgId>#<ISO time>#<random>` and grouped in the list
 * index's `activity#<orgId>` bucket, so the log, newest first, is one Query
 * (the key sorts by time within the bucket). Items expire by the table's TTL
 * a year after they were written. An entry holds who, what, when, the
 * source IP and user agent, and the member or email acted on: never a
 * token, a key or a secret.
 */
import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TenantsTable, tenantItemBucket } from '../core/data-model';
import { ACTIVITY_RETENTION_DAYS, type ActivityAction, type TeamRole } from '../core/team';
import { queryTenantBucket } from './dynamo-support';

const PK = TenantsTable.partitionKey;
const LIST = TenantsTable.byListIndex;
const ACTIVITY_KEY_PREFIX = 'activity#';
const DAY_SECONDS = 86_400;

/** The longest user agent kept: enough to recognize a browser, never a whole header dump. */
const USER_AGENT_MAX_LENGTH = 256;

/** Where an action came from, as the request states it. */
export interface RequestOrigin {
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

export interface ActivityInput extends RequestOrigin {
  readonly orgId: string;
  readonly action: ActivityAction;
  /** Who acted: `portal:<email>`, `admin:<email>` or `partner:<keyId>`. */
  readonly actor: string;
  /** What was acted on: the invited or removed member's email, a key (`name (environment, keyId)`), a webhook id. */
  readonly subject?: string;
  /** The role given (invite, accept, role change) or held (removal). */
  readonly role?: TeamRole;
  /** The role held before a role change. */
  readonly previousRole?: TeamRole;
}

export interface ActivityEntry extends ActivityInput {
  readonly at: string;
}

export const ACTIVITY_PAGE_SIZE = 50;

export class ActivityRepository {
  public constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The Put of one entry at `now`, for a transaction that writes it with the action it records. */
  public putFor(input: ActivityInput, now: Date): { Put: { TableName: string; Item: Record<string, unknown> } } {
    const at = now.toISOString();
    const userAgent = input.userAgent?.slice(0, USER_AGENT_MAX_LENGTH);
    const entry = Object.fromEntries(
      Object.entries({ ...input, userAgent, at }).filter(([, value]) => value !== undefined && value !== ''),
    );
    const { orgId, ...rest } = entry;
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...rest,
          // `forOrg`, not `orgId`: that is the table's partition key.
          forOrg: orgId,
          recordType: 'activity',
          [PK]: `${ACTIVITY_KEY_PREFIX}${input.orgId}#${at}#${randomBytes(6).toString('hex')}`,
          [LIST.partitionKey]: tenantItemBucket('activity', input.orgId),
          [TenantsTable.timeToLiveAttribute]: Math.floor(now.getTime() / 1000) + ACTIVITY_RETENTION_DAYS * DAY_SECONDS,
        },
      },
    };
  }

  /** Writes one entry at `now`, for an action that is not itself a transaction on the tenants table. */
  public async record(input: ActivityInput, now: Date): Promise<void> {
    await this.doc.send(new PutCommand(this.putFor(input, now).Put));
  }

  /** The newest entries first, up to `limit`: one Query of the org's bucket. */
  public async list(orgId: string, limit = ACTIVITY_PAGE_SIZE): Promise<ActivityEntry[]> {
    const items = await queryTenantBucket(this.doc, this.tableName, tenantItemBucket('activity', orgId), {
      limit,
      newestFirst: true,
    });
    return items.map((item) => toEntry(item));
  }
}

function toEntry(item: Record<string, unknown>): ActivityEntry {
  const text = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] as string } : {});
  return {
    orgId: String(item.forOrg),
    action: item.action as ActivityAction,
    actor: String(item.actor),
    at: String(item.at),
    ...text('subject'),
    ...text('role'),
    ...text('previousRole'),
    ...text('sourceIp'),
    ...text('userAgent'),
  } as ActivityEntry;
}
