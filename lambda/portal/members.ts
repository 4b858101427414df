/**
 * Who the signed-in user is in the platform: their org and role (membership,
 * or the org their verified email owns on an owner's first sign-in),
 * re-read on every request (never taken from the session) and checked
 * against the org's status and, for an owner by registration or owner email,
 * its current owner; and the dashboard model of that org, shared by every
 * page that shows it.
 */
import { NotFoundError } from '../core/errors';
import type { TeamRole } from '../core/team';
import { normalizeEmail, type TenantRecord } from '../repositories/tenants-repository';
import { holdsWhileOwnerEmail, memberIdOf } from './memberships';
import type { PortalContext, PortalRequest, PortalServices } from './portal-context';
import { SIGN_IN_AGAIN, deleteCookie, portalRoute, redirect, viewerOf } from './responses';
import type { Session } from './session';
import { type DashboardModel, messagePage } from './views';

/** Why a membership no longer counts: the org is someone else's, off, or gone. */
export type EndedReason = 'owner-changed' | 'disabled' | 'gone';

/** The user's standing, as of this request. */
export type MemberStatus =
  | { readonly state: 'none' }
  | { readonly state: 'member'; readonly orgId: string; readonly tenant: TenantRecord; readonly role: TeamRole }
  | {
      readonly state: 'ended';
      readonly orgId: string;
      readonly reason: EndedReason;
      /** An invited (or former) owner keeps their place while the org is disabled; other links are re-made from the owner email. */
      readonly keepMembership?: boolean;
    };

const ENDED_TEXT: Readonly<Record<EndedReason, string>> = {
  'owner-changed': 'the organization has another owner now',
  disabled: 'the organization was disabled',
  gone: 'the organization is no longer registered',
};

/**
 * The user's org and role, checked now: they are its member only while it
 * is active; one who joined as its registrant or `ownerEmail` only while
 * that is still their verified email (an invited member stays until
 * removed), so an owner change, a removal, a role change or a disabled org
 * takes effect on the very next request.
 */
export async function memberStatus(
  services: PortalServices,
  portal: PortalRequest,
  session: Session,
): Promise<MemberStatus> {
  const membership =
    (await portal.memberships.get(session)) ??
    (await portal.memberships.claimOwnedOrg(portal.repositories.tenants, session, session.email, services.clock.now()));
  if (membership === undefined) return { state: 'none' };
  const { orgId } = membership;
  const tenant = await portal.repositories.tenants.get(orgId);
  if (tenant === undefined) return { state: 'ended', orgId, reason: 'gone' };
  if (tenant.status !== 'active') {
    return { state: 'ended', orgId, reason: 'disabled', keepMembership: !holdsWhileOwnerEmail(membership.linkedBy) };
  }
  if (
    holdsWhileOwnerEmail(membership.linkedBy) &&
    normalizeEmail(tenant.ownerEmail) !== normalizeEmail(session.email)
  ) {
    return { state: 'ended', orgId, reason: 'owner-changed' };
  }
  if (!membership.listed) await portal.memberships.adopt(session, orgId);
  if (membership.role !== 'owner' && normalizeEmail(tenant.ownerEmail) === normalizeEmail(session.email)) {
    // The org's ownerEmail is always an owner, even when it was given to an existing member.
    const restored = await portal.team.restoreRegisteredOwner(
      orgId,
      memberIdOf(session),
      session.email,
      membership.role,
    );
    if (restored) return { state: 'member', orgId, tenant, role: 'owner' };
    const now = await portal.memberships.get(session);
    return now?.orgId === orgId ? { state: 'member', orgId, tenant, role: now.role } : { state: 'none' };
  }
  return { state: 'member', orgId, tenant, role: membership.role };
}

/**
 * A membership that no longer counts. A GET signs the user out (the session
 * and the stale link are deleted, the cookies cleared); a form post is
 * refused with 403 and changes nothing.
 */
export async function accessEnded(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  session: Session,
  ended: { readonly orgId: string; readonly reason: EndedReason; readonly keepMembership?: boolean },
): Promise<Response> {
  services.logger?.warn('portal access ended', { orgId: ended.orgId, reason: ended.reason, method: c.req.method });
  const why = `You are no longer a member of ${ended.orgId}: ${ENDED_TEXT[ended.reason]}.`;
  if (c.req.method === 'POST') {
    return c.html(messagePage('Request refused', `${why} Nothing was changed.`, SIGN_IN_AGAIN), 403);
  }
  await Promise.all([
    portal.sessions.end(session.id),
    ended.keepMembership === true ? undefined : portal.memberships.remove(session, ended.orgId),
  ]);
  deleteCookie(c, portal, 'session');
  deleteCookie(c, portal, 'flash');
  return c.html(messagePage('Your access has ended', `${why} You have been signed out.`, SIGN_IN_AGAIN), 403);
}

/** The user's org, when they are its member now (see {@link memberStatus}). */
export async function membershipOf(
  services: PortalServices,
  portal: PortalRequest,
  session: Session,
): Promise<{ readonly orgId: string } | undefined> {
  const status = await memberStatus(services, portal, session);
  return status.state === 'member' ? { orgId: status.orgId } : undefined;
}

export type Member = SignedInMember | { readonly response: Response };

/** The signed-in member of an org, or where they must go first (sign-in, onboarding, signed out). */
export async function requireMember(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
): Promise<Member> {
  const { session } = portal;
  if (session === undefined) return { response: redirect(c, '/login') };
  const status = await memberStatus(services, portal, session);
  if (status.state === 'none') return { response: redirect(c, '/onboarding') };
  if (status.state === 'ended') return { response: await accessEnded(services, c, portal, session, status) };
  return { session, orgId: status.orgId, tenant: status.tenant, role: status.role, memberId: memberIdOf(session) };
}

/** The signed-in member of an org, as a route handler receives them. */
export interface SignedInMember {
  readonly session: Session;
  readonly orgId: string;
  /** The org as this request read it. */
  readonly tenant: TenantRecord;
  /** Their role, read from the table at this request. */
  readonly role: TeamRole;
  /** Their id in the team (memberships.ts `memberIdOf`). */
  readonly memberId: string;
}

/** A route for members only: others are sent to sign in or onboard first, or signed out. */
export function memberRoute(
  services: PortalServices,
  handler: (c: PortalContext, portal: PortalRequest, member: SignedInMember) => Promise<Response>,
) {
  return portalRoute(services, async (c, portal) => {
    const member = await requireMember(services, c, portal);
    return 'response' in member ? member.response : handler(c, portal, member);
  });
}

export async function dashboardModel(
  services: PortalServices,
  portal: PortalRequest,
  session: Session,
  orgId: string,
  extra: Partial<DashboardModel> = {},
): Promise<DashboardModel> {
  const { tenants, keys, webhooks } = portal.repositories;
  const tenant = await tenants.get(orgId);
  if (tenant === undefined) throw new NotFoundError(`organization ${orgId} is not registered`);
  const [activeKey, webhookList] = await Promise.all([
    tenant.activeKeyHash === undefined ? undefined : keys.getByHash(tenant.activeKeyHash),
    webhooks.listAll(orgId),
  ]);
  return {
    viewer: viewerOf(session),
    tenant,
    ...(activeKey === undefined ? {} : { activeKey }),
    ...(webhookList[0] === undefined ? {} : { webhook: webhookList[0] }),
    webhooks: webhookList,
    canCreateWebhook: services.deps.secrets !== undefined && portal.settings.webhookSecretPrefix !== undefined,
    ...extra,
  };
}
