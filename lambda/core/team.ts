/**
 * Teams: who may do what in an org's portal, and when an invitation still
 * counts. Pure rules, no I/O: the portal's team routes and the repositories
 * ask these, and the tests drive them table by table.
 *
 * - owner: everything, role changes and ownership transfer included;
 * - admin: members (invite, revoke an invitation, remove a member or an
 *   admin) and keys;
 * - member: reads.
 */
import { ForbiddenError } from './errors';

export const TEAM_ROLES = ['owner', 'admin', 'member'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** The actions of the Team page, each checked on the server against the actor's role read at that request. */
export const TEAM_ACTIONS = [
  'view',
  'invite',
  'revoke-invitation',
  'change-role',
  'remove-member',
  'transfer-ownership',
] as const;
export type TeamAction = (typeof TEAM_ACTIONS)[number];

/** How long an invitation link stays good. */
export const INVITATION_TTL_DAYS = 7;

/** How long the activity log keeps an entry (DynamoDB TTL). */
export const ACTIVITY_RETENTION_DAYS = 365;

const ALLOWED: Readonly<Record<TeamAction, readonly TeamRole[]>> = {
  view: ['owner', 'admin', 'member'],
  invite: ['owner', 'admin'],
  'revoke-invitation': ['owner', 'admin'],
  'change-role': ['owner'],
  'remove-member': ['owner', 'admin'],
  'transfer-ownership': ['owner'],
};

/** How a refusal names the action. */
const ACTION_TEXT: Readonly<Record<TeamAction, string>> = {
  view: 'view the team',
  invite: 'invite',
  'revoke-invitation': 'revoke invitations',
  'change-role': 'change roles',
  'remove-member': 'remove',
  'transfer-ownership': 'transfer ownership',
};

export function isTeamRole(value: unknown): value is TeamRole {
  return typeof value === 'string' && (TEAM_ROLES as readonly string[]).includes(value);
}

export function may(role: TeamRole, action: TeamAction): boolean {
  return ALLOWED[action].includes(role);
}

/**
 * Whether `actor` may act on someone holding (or being given) `targetRole`:
 * only an owner makes, unmakes or removes an owner.
 * @throws ForbiddenError naming what the actor's role does not allow.
 */
export function assertMay(actor: TeamRole, action: TeamAction, targetRole?: TeamRole): void {
  if (!may(actor, action)) {
    throw new ForbiddenError(`${actor === 'member' ? 'a member' : `an ${actor}`} may not ${ACTION_TEXT[action]}`);
  }
  if (targetRole === 'owner' && actor !== 'owner') {
    throw new ForbiddenError(`only an owner may ${ACTION_TEXT[action]} an owner`);
  }
}

/** What the activity log records (never a token, a key or a secret). */
export const ACTIVITY_ACTIONS = [
  'member.invited',
  'invitation.accepted',
  'invitation.revoked',
  'member.role-changed',
  'member.removed',
  'ownership.transferred',
] as const;
export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];

/** An invitation as stored (its token only as a hash, which is its id). */
export interface Invitation {
  readonly id: string;
  readonly orgId: string;
  /** Normalized (trimmed, lower case). */
  readonly email: string;
  readonly role: TeamRole;
  readonly invitedBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly status: 'pending' | 'accepted' | 'revoked';
}

export type InvitationRefusal = 'unknown' | 'used' | 'revoked' | 'expired' | 'other-email';

/** Why an invitation cannot be accepted by `email` at `now`, or undefined when it can. */
export function invitationRefusal(
  invitation: Invitation | undefined,
  email: string,
  now: Date,
): InvitationRefusal | undefined {
  if (invitation === undefined) return 'unknown';
  if (invitation.status === 'accepted') return 'used';
  if (invitation.status === 'revoked') return 'revoked';
  if (Date.parse(invitation.expiresAt) <= now.getTime()) return 'expired';
  if (invitation.email !== normalizeEmail(email)) return 'other-email';
  return undefined;
}

/** Emails compare trimmed and lower-cased, everywhere (owners, members, invitations). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}
