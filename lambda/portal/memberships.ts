/**
 * Which org a signed-in portal user belongs to: one small item in the
 * tenants table per user, keyed `portal-user#<sha256(issuer + " " + sub)>`.
 * An orgId can never contain `#`, so the key cannot collide with a tenant,
 * and the item has no list-bucket attribute, so the tenants listing never
 * returns it. Looking a user up is one GetItem. The item is written in the
 * same transaction as the tenant it points at, both conditioned on not
 * existing, so a user never ends up with two orgs nor an org with a dangling
 * membership.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TenantsTable } from '../core/data-model';
import { ConflictError } from '../core/errors';
import { isConditionalCheckFailed } from '../repositories/dynamo-support';
import type { TenantProfile, TenantRecord, TenantsRepository } from '../repositories/tenants-repository';

export const MEMBERSHIP_KEY_PREFIX = 'portal-user#';
export const MEMBERSHIP_RECORD_TYPE = 'portal-membership';

/** The user's identity: issuer and subject, as the ID token states them. */
export interface PortalUser {
  readonly iss: string;
  readonly sub: string;
}

export interface Membership {
  readonly orgId: string;
  readonly createdAt: string;
}

/** The user already belongs to an org (a second onboarding raced the first). */
export class AlreadyMemberError extends ConflictError {
  public constructor() {
    super('this sign-in already belongs to an organization');
    this.name = 'AlreadyMemberError';
  }
}

export function membershipKey(user: PortalUser): string {
  return MEMBERSHIP_KEY_PREFIX + createHash('sha256').update(`${user.iss} ${user.sub}`).digest('hex');
}

export class MembershipsRepository {
  public constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tenantsTableName: string,
  ) {}

  /** Strongly consistent, so the dashboard right after onboarding finds the org. */
  public async get(user: PortalUser): Promise<Membership | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tenantsTableName,
        Key: { [TenantsTable.partitionKey]: membershipKey(user) },
        ConsistentRead: true,
      }),
    );
    if (Item === undefined || typeof Item.memberOf !== 'string') return undefined;
    return { orgId: Item.memberOf, createdAt: String(Item.createdAt) };
  }

  /**
   * The first sign-in of an org's owner: when the user's verified email is
   * the current `ownerEmail` of an active org (a partner file's owner, say),
   * the user becomes its member instead of being asked to register a new
   * one. With several such orgs the first by orgId is taken: one org per
   * sign-in, as everywhere in the portal.
   */
  public async claimOwnedOrg(
    tenants: TenantsRepository,
    user: PortalUser,
    verifiedEmail: string,
    now: Date,
  ): Promise<Membership | undefined> {
    const [owned] = await tenants.ownedBy(verifiedEmail);
    if (owned === undefined) return undefined;
    const createdAt = now.toISOString();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tenantsTableName,
          Item: {
            [TenantsTable.partitionKey]: membershipKey(user),
            recordType: MEMBERSHIP_RECORD_TYPE,
            memberOf: owned.orgId,
            linkedBy: 'owner-email',
            createdAt,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TenantsTable.partitionKey },
        }),
      );
    } catch (error) {
      // A concurrent request linked or registered first: its membership stands.
      if (isConditionalCheckFailed(error)) return this.get(user);
      throw error;
    }
    return { orgId: owned.orgId, createdAt };
  }

  /**
   * Unlinks the user from `orgId` (they no longer own it), so their next
   * sign-in finds no org, or the org they own then. A link to another org,
   * made meanwhile, is left alone.
   */
  public async remove(user: PortalUser, orgId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tenantsTableName,
          Key: { [TenantsTable.partitionKey]: membershipKey(user) },
          ConditionExpression: 'memberOf = :org',
          ExpressionAttributeValues: { ':org': orgId },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /**
   * Registers the tenant and makes the user its member, atomically.
   * @throws ConflictError when the orgId is taken.
   * @throws AlreadyMemberError when the user already belongs to an org.
   */
  public async registerTenant(
    tenants: TenantsRepository,
    user: PortalUser,
    profile: TenantProfile,
    now: Date,
  ): Promise<TenantRecord> {
    return tenants.create(profile, {
      item: {
        [TenantsTable.partitionKey]: membershipKey(user),
        recordType: MEMBERSHIP_RECORD_TYPE,
        memberOf: profile.orgId,
        createdAt: now.toISOString(),
      },
      onExists: () => new AlreadyMemberError(),
    });
  }
}
