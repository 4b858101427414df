/**
 * Who the signed-in user is in the platform: their org (membership, or the
 * org their verified email owns on an owner's first sign-in) and the
 * dashboard model of that org, shared by every page that shows it.
 */
import { NotFoundError } from '../core/errors';
import type { PortalContext, PortalRequest, PortalServices } from './portal-context';
import { portalRoute, redirect, viewerOf } from './responses';
import type { Session } from './session';
import type { DashboardModel } from './views';

/**
 * The user's org: their membership or, on an owner's first sign-in, the org
 * their verified email owns (sessions only ever hold a verified email).
 */
export async function membershipOf(services: PortalServices, portal: PortalRequest, session: Session) {
  return (
    (await portal.memberships.get(session)) ??
    (await portal.memberships.claimOwnedOrg(portal.repositories.tenants, session, session.email, services.clock.now()))
  );
}

export type Member = SignedInMember | { readonly response: Response };

/** The signed-in user's org, or a redirect to where they must go first. */
export async function requireMember(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
): Promise<Member> {
  if (portal.session === undefined) return { response: redirect(c, '/login') };
  const membership = await membershipOf(services, portal, portal.session);
  if (membership === undefined) return { response: redirect(c, '/onboarding') };
  return { session: portal.session, orgId: membership.orgId };
}

/** The signed-in member of an org, as a route handler receives them. */
export interface SignedInMember {
  readonly session: Session;
  readonly orgId: string;
}

/** A route for members only: others are sent to sign in or onboard first. */
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
    canCreateWebhook: services.deps.secrets !== undefined && portal.settings.webhookSecretPrefix !== undefined,
    ...extra,
  };
}
