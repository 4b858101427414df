/**
 * Accepting an invitation: the link mailed to the invitee
 * (`/invitations/<token>`) asks them to sign in first (and brings them back
 * here), then shows the org and role with an Accept button. Accepting needs
 * the session's email, verified by the issuer at sign-in, to be the one
 * invited; a used, expired, revoked, unknown or other-email invitation gets
 * a page that says which, and nothing changes.
 */
import type { InvitationRefusal } from '../../core/team';
import { invitationRefusal } from '../../core/team';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { portalRoute, redirect, requestOrigin, viewerOf } from '../responses';
import { InvitationRefusedError } from '../team-repository';
import { invitationPage, invitationRefusedPage } from '../team-views';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const INVITATION_PATH = /^\/invitations\/[A-Za-z0-9_-]{43}$/;

/** The path a mailed link opens for `token`. */
export function invitationPath(token: string): string {
  return `/invitations/${token}`;
}

/** Whether a sign-in may come back to `path`: an invitation link, nothing else (no open redirect). */
export function isInvitationPath(path: string): boolean {
  return INVITATION_PATH.test(path);
}

const REFUSAL_STATUS: Readonly<Record<InvitationRefusal, ContentfulStatusCode>> = {
  unknown: 404,
  used: 410,
  revoked: 410,
  expired: 410,
  'other-email': 403,
};

export const invitationRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/invitations/:token',
    portalRoute(services, (c, portal) => showInvitation(services, c, portal, c.req.param('token') ?? '')),
  );
  app.post(
    '/invitations/:token/accept',
    portalRoute(services, (c, portal) => acceptInvitation(services, c, portal, c.req.param('token') ?? '')),
  );
};

function refused(c: PortalContext, portal: PortalRequest, reason: InvitationRefusal): Response {
  return c.html(invitationRefusedPage(reason, viewerOf(portal.session)), REFUSAL_STATUS[reason]);
}

async function showInvitation(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  token: string,
): Promise<Response> {
  if (!TOKEN.test(token)) return refused(c, portal, 'unknown');
  if (portal.session === undefined) return redirect(c, `/login?return=${encodeURIComponent(invitationPath(token))}`);
  const invitation = await portal.team.invitation(token);
  const refusal = invitationRefusal(invitation, portal.session.email, services.clock.now());
  if (refusal !== undefined || invitation === undefined) return refused(c, portal, refusal ?? 'unknown');
  const tenant = await portal.repositories.tenants.get(invitation.orgId);
  if (tenant?.status !== 'active') return refused(c, portal, 'unknown');
  const acceptPath = `${invitationPath(token)}/accept`;
  return c.html(invitationPage(viewerOf(portal.session), invitation, tenant.orgName, acceptPath));
}

async function acceptInvitation(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  token: string,
): Promise<Response> {
  const { session } = portal;
  if (session === undefined) return redirect(c, '/login');
  if (!TOKEN.test(token)) return refused(c, portal, 'unknown');
  const pending = await portal.team.invitation(token);
  const tenant = pending === undefined ? undefined : await portal.repositories.tenants.get(pending.orgId);
  if (tenant?.status !== 'active') return refused(c, portal, 'unknown');
  try {
    const invitation = await portal.team.accept(token, session, requestOrigin(c));
    services.logger?.info('invitation accepted', { orgId: invitation.orgId, role: invitation.role, outcome: 'joined' });
  } catch (error) {
    if (!(error instanceof InvitationRefusedError)) throw error;
    services.logger?.warn('invitation refused', { reason: error.reason });
    return refused(c, portal, error.reason);
  }
  return redirect(c, '/team?notice=joined');
}
