/**
 * An org's team in the tenants table: the members (the memberships of
 * memberships.ts, grouped in the `members#<orgId>` bucket), the invitations
 * and, written in the same transaction as each change, the activity entry
 * that records it.
 *
 * An invitation is `portal-invite#<sha256(token)>`: the token itself is
 * only in the link mailed to the invitee. While pending it sits in the
 * `invitations#<orgId>` bucket; accepting or revoking it takes it out, and
 * the conditions of those writes (still pending, not expired, that email)
 * make it single-use however many requests race. The item stays until a
 * month after it expires (TTL), so a reused link gets a clear answer.
 *
 * "At least one owner" holds in DynamoDB itself: demoting or removing an
 * owner is one transaction with a ConditionCheck that another member is
 * still an owner.
 */
import { createHash } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../core/clock';
import { TenantsTable, tenantItemBucket } from '../core/data-model';
import { partnerFilePath } from '../core/contracts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../core/errors';
import {
  INVITATION_TTL_DAYS,
  type Invitation,
  type InvitationRefusal,
  type TeamRole,
  assertMay,
  invitationRefusal,
  isTeamRole,
  normalizeEmail,
} from '../core/team';
import type { ActivityRepository, RequestOrigin } from '../repositories/activity-repository';
import { cancellationReasons, queryTenantBucket } from '../repositories/dynamo-support';
import { type TenantRecord, ownerClaimUpdate } from '../repositories/tenants-repository';
import {
  MEMBERSHIP_KEY_PREFIX,
  MEMBERSHIP_RECORD_TYPE,
  type MembershipLink,
  type PortalUser,
  membershipKey,
  toMembership,
} from './memberships';
import { randomToken } from './session';

const PK = TenantsTable.partitionKey;
const LIST = TenantsTable.byListIndex;
const TTL = TenantsTable.timeToLiveAttribute;
const INVITE_KEY_PREFIX = 'portal-invite#';
const DAY_MS = 86_400_000;
/** How long a used or expired invitation is kept, so its link gets a clear answer rather than "unknown". */
const INVITATION_KEPT_DAYS = 30;
const MEMBER_ID = /^[0-9a-f]{64}$/;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A member of the org, as the Team page lists them. */
export interface TeamMember {
  /** The hash of their user key (memberships.ts `memberIdOf`). */
  readonly id: string;
  readonly email: string;
  readonly name?: string;
  readonly role: TeamRole;
  readonly linkedBy: MembershipLink;
  readonly createdAt: string;
}

/** Who acts: a member as read at this request, and where the request came from. */
export interface TeamActor {
  readonly id: string;
  readonly email: string;
  readonly role: TeamRole;
  readonly origin: RequestOrigin;
}

/** The invitation cannot be accepted; `reason` says why. Nothing was changed. */
export class InvitationRefusedError extends ConflictError {
  public constructor(public readonly reason: InvitationRefusal) {
    super(`the invitation cannot be accepted: ${reason}`);
    this.name = 'InvitationRefusedError';
  }
}

/** The actor owns the org by its partner file: only a change to that file hands the ownership on. */
export class OwnerDeclaredInFileError extends ConflictError {
  /** The file to change instead, e.g. `partners/acme-corp.yaml`. */
  public readonly file: string;

  public constructor(orgId: string, ownerEmail: string) {
    const file = partnerFilePath(orgId);
    super(
      `${ownerEmail} owns ${orgId} as the ownerEmail of ${file}, so the ownership moves only by a change to that file (a pull request); to share it meanwhile, make the member an owner with Change role`,
    );
    this.name = 'OwnerDeclaredInFileError';
    this.file = file;
  }
}

/** The change would leave the org without an owner. */
export class LastOwnerError extends ConflictError {
  public constructor() {
    super('an organization keeps at least one owner: make another member an owner first');
    this.name = 'LastOwnerError';
  }
}

export function invitationId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function invitationKey(id: string): Record<string, string> {
  return { [PK]: INVITE_KEY_PREFIX + id };
}

function toInvitation(item: Record<string, unknown> | undefined): Invitation | undefined {
  if (item === undefined || typeof item[PK] !== 'string' || !isTeamRole(item.role)) return undefined;
  return {
    id: item[PK].slice(INVITE_KEY_PREFIX.length),
    orgId: String(item.forOrg),
    email: String(item.email),
    role: item.role,
    invitedBy: String(item.invitedBy),
    createdAt: String(item.createdAt),
    expiresAt: String(item.expiresAt),
    status: item.status === 'accepted' || item.status === 'revoked' ? item.status : 'pending',
  };
}

function toMember(item: Record<string, unknown>): TeamMember | undefined {
  const membership = toMembership(item);
  if (membership === undefined || typeof item[PK] !== 'string') return undefined;
  return {
    id: item[PK].slice(MEMBERSHIP_KEY_PREFIX.length),
    email: String(item.email),
    ...(typeof item.name === 'string' ? { name: item.name } : {}),
    role: membership.role,
    linkedBy: membership.linkedBy,
    createdAt: membership.createdAt,
  };
}

const ROLE_ORDER: Readonly<Record<TeamRole, number>> = { owner: 0, admin: 1, member: 2 };

export class TeamRepository {
  public constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly activity: ActivityRepository,
  ) {}

  /** The org's members, owners first, then by email: one Query. */
  public async members(orgId: string): Promise<TeamMember[]> {
    const items = await this.bucket(tenantItemBucket('members', orgId));
    return items
      .map(toMember)
      .filter((member): member is TeamMember => member !== undefined)
      .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.email.localeCompare(b.email));
  }

  /** One member of the org, strongly consistent; undefined for a malformed id or anyone else's member. */
  public async member(orgId: string, memberId: string): Promise<TeamMember | undefined> {
    if (!MEMBER_ID.test(memberId)) return undefined;
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: MEMBERSHIP_KEY_PREFIX + memberId },
        ConsistentRead: true,
      }),
    );
    return Item?.memberOf === orgId ? toMember(Item) : undefined;
  }

  /** Pending invitations, newest first: one Query (expired ones included, marked by their expiry). */
  public async pendingInvitations(orgId: string): Promise<Invitation[]> {
    const items = await this.bucket(tenantItemBucket('invitations', orgId));
    return items
      .map(toInvitation)
      .filter((invitation): invitation is Invitation => invitation?.status === 'pending')
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The invitation a link's token names, strongly consistent. */
  public async invitation(token: string): Promise<Invitation | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: invitationKey(invitationId(token)), ConsistentRead: true }),
    );
    return toInvitation(Item);
  }

  /**
   * Invites `email` with `role`; returns the token for the link (the only
   * place it ever is) and the stored invitation.
   * @throws ForbiddenError when the actor's role may not invite (an owner, for an admin).
   */
  public async invite(
    orgId: string,
    email: string,
    role: TeamRole,
    actor: TeamActor,
  ): Promise<{ readonly token: string; readonly invitation: Invitation }> {
    assertMay(actor.role, 'invite', role);
    const now = this.clock.now();
    const token = randomToken();
    const expires = new Date(now.getTime() + INVITATION_TTL_DAYS * DAY_MS);
    const invitation: Invitation = {
      id: invitationId(token),
      orgId,
      email: normalizeEmail(email),
      role,
      invitedBy: actor.email,
      createdAt: now.toISOString(),
      expiresAt: expires.toISOString(),
      status: 'pending',
    };
    const { id: _id, orgId: _org, ...stored } = invitation;
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...stored,
                ...invitationKey(invitation.id),
                recordType: 'portal-invitation',
                forOrg: orgId,
                [LIST.partitionKey]: tenantItemBucket('invitations', orgId),
                [TTL]: Math.floor(expires.getTime() / 1000) + INVITATION_KEPT_DAYS * 86_400,
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': PK },
            },
          },
          this.activity.putFor(
            {
              orgId,
              action: 'member.invited',
              actor: `portal:${actor.email}`,
              subject: invitation.email,
              role,
              ...actor.origin,
            },
            now,
          ),
        ],
      }),
    );
    return { token, invitation };
  }

  /**
   * Revokes a pending invitation of the org.
   * @throws NotFoundError when the org has no such pending invitation.
   */
  public async revokeInvitation(orgId: string, id: string, actor: TeamActor): Promise<Invitation> {
    assertMay(actor.role, 'revoke-invitation');
    const invitation = MEMBER_ID.test(id) ? await this.invitationById(id) : undefined;
    if (invitation === undefined || invitation.orgId !== orgId || invitation.status !== 'pending') {
      throw new NotFoundError('there is no such pending invitation');
    }
    const now = this.clock.now();
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: invitationKey(id),
                UpdateExpression: 'SET #status = :revoked, revokedAt = :now, revokedBy = :actor REMOVE #bucket',
                ConditionExpression: 'forOrg = :org AND #status = :pending',
                ExpressionAttributeNames: { '#status': 'status', '#bucket': LIST.partitionKey },
                ExpressionAttributeValues: {
                  ':revoked': 'revoked',
                  ':pending': 'pending',
                  ':now': now.toISOString(),
                  ':actor': actor.email,
                  ':org': orgId,
                },
              },
            },
            this.activity.putFor(
              {
                orgId,
                action: 'invitation.revoked',
                actor: `portal:${actor.email}`,
                subject: invitation.email,
                role: invitation.role,
                ...actor.origin,
              },
              now,
            ),
          ],
        }),
      );
    } catch (error) {
      if (cancellationReasons(error)?.[0] === 'ConditionalCheckFailed') {
        throw new NotFoundError('there is no such pending invitation', { cause: error });
      }
      throw error;
    }
    return { ...invitation, status: 'revoked' };
  }

  /**
   * The signed-in user (whose verified email the session holds) accepts the
   * invitation: it is used up and they become a member, in one transaction,
   * or nothing changes.
   * @throws InvitationRefusedError (unknown, used, revoked, expired, other email).
   * @throws ConflictError when the user already belongs to an org.
   */
  public async accept(
    token: string,
    user: PortalUser & { readonly email: string; readonly name?: string },
    origin: RequestOrigin,
  ): Promise<Invitation> {
    const now = this.clock.now();
    const invitation = await this.invitation(token);
    const refusal = invitationRefusal(invitation, user.email, now);
    if (refusal !== undefined || invitation === undefined) throw new InvitationRefusedError(refusal ?? 'unknown');
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: invitationKey(invitation.id),
                UpdateExpression: 'SET #status = :accepted, acceptedAt = :now REMOVE #bucket',
                ConditionExpression: '#status = :pending AND expiresAt > :now AND email = :email',
                ExpressionAttributeNames: { '#status': 'status', '#bucket': LIST.partitionKey },
                ExpressionAttributeValues: {
                  ':accepted': 'accepted',
                  ':pending': 'pending',
                  ':now': now.toISOString(),
                  ':email': normalizeEmail(user.email),
                },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  [PK]: membershipKey(user),
                  recordType: MEMBERSHIP_RECORD_TYPE,
                  memberOf: invitation.orgId,
                  role: invitation.role,
                  email: user.email,
                  ...(user.name === undefined ? {} : { name: user.name }),
                  linkedBy: 'invitation',
                  createdAt: now.toISOString(),
                  [LIST.partitionKey]: tenantItemBucket('members', invitation.orgId),
                },
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': PK },
              },
            },
            this.activity.putFor(
              {
                orgId: invitation.orgId,
                action: 'invitation.accepted',
                actor: `portal:${user.email}`,
                subject: invitation.email,
                role: invitation.role,
                ...origin,
              },
              now,
            ),
          ],
        }),
      );
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[1] === 'ConditionalCheckFailed') {
        throw new ConflictError('this sign-in already belongs to an organization; sign in with another account', {
          cause: error,
        });
      }
      if (reasons?.[0] === 'ConditionalCheckFailed') {
        const again = invitationRefusal(await this.invitation(token), user.email, now);
        throw new InvitationRefusedError(again ?? 'used');
      }
      throw error;
    }
    return invitation;
  }

  /**
   * Gives a member another role. The partner's `ownerEmail` stays an owner
   * and the org keeps at least one owner.
   * @throws ForbiddenError, NotFoundError, LastOwnerError, ConflictError.
   */
  public async changeRole(
    orgId: string,
    ownerEmail: string,
    memberId: string,
    role: TeamRole,
    actor: TeamActor,
  ): Promise<TeamMember> {
    assertMay(actor.role, 'change-role');
    const target = await this.requireMember(orgId, memberId);
    if (target.role === role) return target;
    if (target.role === 'owner') assertNotProtected(target, ownerEmail, 'demoted');
    const now = this.clock.now();
    await this.transactKeepingAnOwner(orgId, target, [
      roleUpdate(this.tableName, orgId, memberId, target.role, role),
      this.activity.putFor(
        {
          orgId,
          action: 'member.role-changed',
          actor: `portal:${actor.email}`,
          subject: target.email,
          role,
          previousRole: target.role,
          ...actor.origin,
        },
        now,
      ),
    ]);
    return { ...target, role };
  }

  /**
   * Removes a member from the org (the caller then ends their sessions). An
   * admin removes members and admins; only an owner removes an owner; the
   * partner's `ownerEmail` and the last owner stay.
   */
  public async remove(orgId: string, ownerEmail: string, memberId: string, actor: TeamActor): Promise<TeamMember> {
    const target = await this.requireMember(orgId, memberId);
    assertMay(actor.role, 'remove-member', target.role);
    if (target.role === 'owner') assertNotProtected(target, ownerEmail, 'removed');
    const now = this.clock.now();
    await this.transactKeepingAnOwner(orgId, target, [
      {
        Delete: {
          TableName: this.tableName,
          Key: { [PK]: MEMBERSHIP_KEY_PREFIX + memberId },
          ConditionExpression: 'memberOf = :org AND #role = :was',
          ExpressionAttributeNames: { '#role': 'role' },
          ExpressionAttributeValues: { ':was': target.role, ':org': orgId },
        },
      },
      this.activity.putFor(
        {
          orgId,
          action: 'member.removed',
          actor: `portal:${actor.email}`,
          subject: target.email,
          role: target.role,
          ...actor.origin,
        },
        now,
      ),
    ]);
    return target;
  }

  /**
   * Makes the org's `ownerEmail`, found holding a lesser role, an owner
   * again: a partner file (or the admin API) named an existing member as
   * the owner, and that owner stays an owner. Only a membership still at
   * `was` changes, so a concurrent change wins (false) and this is safe to repeat.
   */
  public async restoreRegisteredOwner(orgId: string, memberId: string, email: string, was: TeamRole): Promise<boolean> {
    const now = this.clock.now();
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            roleUpdate(this.tableName, orgId, memberId, was, 'owner'),
            this.activity.putFor(
              {
                orgId,
                action: 'member.role-changed',
                actor: 'platform:ownerEmail',
                subject: email,
                role: 'owner',
                previousRole: was,
              },
              now,
            ),
          ],
        }),
      );
    } catch (error) {
      if (cancellationReasons(error)?.[0] !== 'ConditionalCheckFailed') throw error;
      return false;
    }
    return true;
  }

  /**
   * The acting owner hands the ownership to another member: in one
   * transaction the member becomes owner and the actor admin, each on
   * condition that their role is still what this request read, so the org
   * has an owner before, after and whatever races it. When the actor is the
   * registered owner (`ownerEmail`), that moves to the new owner in the same
   * transaction, and the actor stays on as an admin until removed; a
   * partner file's owner is refused, as only the file names its owner.
   * @throws ForbiddenError, ValidationError, NotFoundError, ConflictError.
   */
  public async transferOwnership(
    tenant: Pick<TenantRecord, 'orgId' | 'ownerEmail' | 'source'>,
    memberId: string,
    actor: TeamActor,
  ): Promise<TeamMember> {
    const { target, registered } = await this.transferCandidate(tenant, memberId, actor);
    const { orgId } = tenant;
    const now = this.clock.now();
    const items: TransactItem[] = [
      roleUpdate(this.tableName, orgId, memberId, target.role, 'owner'),
      roleUpdate(this.tableName, orgId, actor.id, 'owner', 'admin', registered ? 'transfer' : undefined),
      this.activity.putFor(
        {
          orgId,
          action: 'ownership.transferred',
          actor: `portal:${actor.email}`,
          subject: target.email,
          role: 'owner',
          previousRole: target.role,
          ...actor.origin,
        },
        now,
      ),
    ];
    if (registered) items.push(...this.ownerEmailMove(tenant, target.email, now));
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[1] === 'ConditionalCheckFailed') {
        throw new ForbiddenError('you are no longer an owner of this organization; nothing was changed', {
          cause: error,
        });
      }
      if (reasons?.some((reason) => reason === 'ConditionalCheckFailed')) {
        throw new ConflictError('the team changed meanwhile; reload the page and try again', { cause: error });
      }
      throw error;
    }
    return { ...target, role: 'owner' };
  }

  /**
   * The member the actor may hand the ownership to, and whether the actor is
   * the registered owner (so `ownerEmail` moves too): what the confirmation
   * page shows and the transfer re-checks.
   * @throws ForbiddenError, ValidationError, NotFoundError, OwnerDeclaredInFileError.
   */
  public async transferCandidate(
    tenant: Pick<TenantRecord, 'orgId' | 'ownerEmail' | 'source'>,
    memberId: string,
    actor: TeamActor,
  ): Promise<{ readonly target: TeamMember; readonly registered: boolean }> {
    assertMay(actor.role, 'transfer-ownership');
    if (memberId === actor.id) throw new ValidationError('choose another member to transfer the ownership to');
    const target = await this.requireMember(tenant.orgId, memberId);
    const registered = normalizeEmail(actor.email) === normalizeEmail(tenant.ownerEmail);
    if (registered && tenant.source === 'config') throw new OwnerDeclaredInFileError(tenant.orgId, actor.email);
    return { target, registered };
  }

  /** The tenant's `ownerEmail` set to `email` (if it is still the one read) and the new owner's claim noted. */
  private ownerEmailMove(tenant: Pick<TenantRecord, 'orgId' | 'ownerEmail'>, email: string, now: Date): TransactItem[] {
    return [
      {
        Update: {
          TableName: this.tableName,
          Key: { [PK]: tenant.orgId },
          UpdateExpression: 'SET #owner = :email, updatedAt = :now',
          ConditionExpression: '#owner = :was AND #status = :active',
          ExpressionAttributeNames: { '#owner': 'ownerEmail', '#status': 'status' },
          ExpressionAttributeValues: {
            ':email': email,
            ':was': tenant.ownerEmail,
            ':active': 'active',
            ':now': now.toISOString(),
          },
        },
      },
      { Update: ownerClaimUpdate(this.tableName, tenant.orgId, email) },
    ];
  }

  private async requireMember(orgId: string, memberId: string): Promise<TeamMember> {
    const member = await this.member(orgId, memberId);
    if (member === undefined) throw new NotFoundError('there is no such member in this organization');
    return member;
  }

  /**
   * Runs the change; when it takes an owner away, on condition that another
   * member is an owner at that moment. The first item is the target's.
   */
  private async transactKeepingAnOwner(
    orgId: string,
    target: TeamMember,
    items: readonly TransactItem[],
  ): Promise<void> {
    const keepers: TransactItem[] = [];
    if (target.role === 'owner') {
      const other = (await this.members(orgId)).find((member) => member.role === 'owner' && member.id !== target.id);
      if (other === undefined) throw new LastOwnerError();
      keepers.push({
        ConditionCheck: {
          TableName: this.tableName,
          Key: { [PK]: MEMBERSHIP_KEY_PREFIX + other.id },
          ConditionExpression: 'memberOf = :org AND #role = :owner',
          ExpressionAttributeNames: { '#role': 'role' },
          ExpressionAttributeValues: { ':org': orgId, ':owner': 'owner' },
        },
      });
    }
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: [...items, ...keepers] }));
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[items.length] === 'ConditionalCheckFailed') throw new LastOwnerError();
      if (reasons?.[0] === 'ConditionalCheckFailed') {
        throw new ConflictError('the member changed meanwhile; reload the page and try again', { cause: error });
      }
      throw error;
    }
  }

  private async invitationById(id: string): Promise<Invitation | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: invitationKey(id), ConsistentRead: true }),
    );
    return toInvitation(Item);
  }

  private bucket(bucket: string): Promise<Record<string, unknown>[]> {
    return queryTenantBucket(this.doc, this.tableName, bucket);
  }
}

/** A member's role from `was` to `role` (and how they are linked, when that changes too), if still `was`. */
function roleUpdate(
  tableName: string,
  orgId: string,
  memberId: string,
  was: TeamRole,
  role: TeamRole,
  linkedBy?: MembershipLink,
): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: { [PK]: MEMBERSHIP_KEY_PREFIX + memberId },
      UpdateExpression: linkedBy === undefined ? 'SET #role = :role' : 'SET #role = :role, linkedBy = :link',
      ConditionExpression: 'memberOf = :org AND #role = :was',
      ExpressionAttributeNames: { '#role': 'role' },
      ExpressionAttributeValues: {
        ':role': role,
        ':was': was,
        ':org': orgId,
        ...(linkedBy === undefined ? {} : { ':link': linkedBy }),
      },
    },
  };
}

/** The partner's `ownerEmail` (its file's or its registrant's) is an owner the portal never takes away. */
function assertNotProtected(target: TeamMember, ownerEmail: string, what: 'demoted' | 'removed'): void {
  if (normalizeEmail(target.email) === normalizeEmail(ownerEmail)) {
    throw new ConflictError(
      `${target.email} is the organization's registered owner (ownerEmail) and cannot be ${what} in the portal`,
    );
  }
}
