/**
 * Which org a signed-in portal user belongs to, and with which role: one
 * small item in the tenants table per user, keyed
 * `portal-user#<sha256(issuer + " " + sub)>`. An orgId can never contain
 * `#`, so the key cannot collide with a tenant; the item sits in the list
 * index's `members#<orgId>` bucket, so the org's team is one Query and the
 * tenants listing never returns it. Looking a user up (and so every role
 * decision) is one strongly consistent GetItem. Items written before teams
 * existed carry no role: their user registered the org or owns it, so they
 * are its owner, and {@link MembershipsRepository.adopt} files them in the
 * team on their next request. The item is written in the
 * same transaction as the tenant it points at, both conditioned on not
 * existing, so a user never ends up with two orgs nor an org with a dangling
 * membership.
 */
import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TenantsTable, tenantItemBucket } from '../core/data-model';
import { ConflictError } from '../core/errors';
import { type TeamRole, isTeamRole } from '../core/team';
import { isConditionalCheckFailed } from '../repositories/dynamo-support';
import type { TenantProfile, TenantRecord, TenantsRepository } from '../repositories/tenants-repository';

export const MEMBERSHIP_KEY_PREFIX = 'portal-user#';
export const MEMBERSHIP_RECORD_TYPE = 'portal-membership';

/** The user's identity: issuer and subject, as the ID token states them. */
export interface PortalUser {
  readonly iss: string;
  readonly sub: string;
}

/**
 * How the user came to the org: they registered it, or signed in with its
 * `ownerEmail` (both hold only while that email owns it), or accepted an
 * invitation, or stayed on as an admin after handing the ownership over
 * (both hold until they are removed).
 */
export type MembershipLink = 'registration' | 'owner-email' | 'invitation' | 'transfer';

const MEMBERSHIP_LINKS: readonly MembershipLink[] = ['registration', 'owner-email', 'invitation', 'transfer'];

/** Whether a membership holds only while the user's email is the org's `ownerEmail`. */
export function holdsWhileOwnerEmail(link: MembershipLink): boolean {
  return link === 'registration' || link === 'owner-email';
}

export interface Membership {
  readonly orgId: string;
  readonly createdAt: string;
  readonly role: TeamRole;
  readonly linkedBy: MembershipLink;
  /** False for an item written before teams: not in the team listing until adopted. */
  readonly listed: boolean;
}

/** The member id forms carry: the hex hash of the user's key (never the issuer or subject). */
export function memberIdOf(user: PortalUser): string {
  return membershipKey(user).slice(MEMBERSHIP_KEY_PREFIX.length);
}

/** The membership item of a new owner (registration or first sign-in with the owner email). */
function ownerItem(user: PortalUser & { readonly email: string }, orgId: string, linkedBy: MembershipLink, at: string) {
  return {
    [TenantsTable.partitionKey]: membershipKey(user),
    recordType: MEMBERSHIP_RECORD_TYPE,
    memberOf: orgId,
    role: 'owner',
    email: user.email,
    linkedBy,
    createdAt: at,
    [TenantsTable.byListIndex.partitionKey]: tenantItemBucket('members', orgId),
  };
}

export function toMembership(item: Record<string, unknown> | undefined): Membership | undefined {
  if (item === undefined || typeof item.memberOf !== 'string') return undefined;
  const linkedBy = MEMBERSHIP_LINKS.find((link) => link === item.linkedBy) ?? 'registration';
  return {
    orgId: item.memberOf,
    createdAt: String(item.createdAt),
    role: isTeamRole(item.role) ? item.role : 'owner',
    linkedBy,
    listed: isTeamRole(item.role),
  };
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
    return toMembership(Item);
  }

  /**
   * Files a membership written before teams in the org's team as its owner
   * (who else registered or owned it). Only an item still without a role
   * changes, so a concurrent role change is never overwritten. Safe to repeat.
   */
  public async adopt(user: PortalUser & { readonly email: string }, orgId: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tenantsTableName,
          Key: { [TenantsTable.partitionKey]: membershipKey(user) },
          UpdateExpression: 'SET #role = :owner, #email = :email, #bucket = :bucket',
          ConditionExpression: 'memberOf = :org AND attribute_not_exists(#role)',
          ExpressionAttributeNames: {
            '#role': 'role',
            '#email': 'email',
            '#bucket': TenantsTable.byListIndex.partitionKey,
          },
          ExpressionAttributeValues: {
            ':owner': 'owner',
            ':email': user.email,
            ':org': orgId,
            ':bucket': tenantItemBucket('members', orgId),
          },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
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
          Item: ownerItem({ ...user, email: verifiedEmail }, owned.orgId, 'owner-email', createdAt),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TenantsTable.partitionKey },
        }),
      );
    } catch (error) {
      // A concurrent request linked or registered first: its membership stands.
      if (isConditionalCheckFailed(error)) return this.get(user);
      throw error;
    }
    return { orgId: owned.orgId, createdAt, role: 'owner', linkedBy: 'owner-email', listed: true };
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
    user: PortalUser & { readonly email: string },
    profile: TenantProfile,
    now: Date,
  ): Promise<TenantRecord> {
    return tenants.create(profile, {
      item: ownerItem(user, profile.orgId, 'registration', now.toISOString()),
      onExists: () => new AlreadyMemberError(),
    });
  }
}
