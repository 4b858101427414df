/**
 * The Team page: members and roles, the invite form, role changes,
 * removals, pending invitations with revoke, and the org's activity. Every
 * POST checks the actor's role as read from the table at that request
 * (`memberRoute`), before it reads the form: a member's forged POST gets 403
 * and changes nothing. Removing a member ends their sessions at once.
 * Transferring the ownership asks to confirm on a page of its own first.
 */
import { partnerFilePath } from '../../core/contracts';
import { DomainError, ValidationError } from '../../core/errors';
import { type TeamAction, type TeamRole, assertMay, isEmailAddress, isTeamRole, normalizeEmail } from '../../core/team';
import type { Mailer } from '../../shared/mailer';
import { type SignedInMember, memberRoute } from '../members';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { deleteCookie, redirect, requestOrigin, statusOf, viewerOf } from '../responses';
import type { TeamActor } from '../team-repository';
import { teamPage, transferOwnershipPage } from '../team-views';
import { invitationPath } from './invitations';

const NOTICES: Readonly<Record<string, string>> = {
  invited: 'Invitation sent.',
  revoked: 'Invitation revoked.',
  'role-changed': 'Role changed.',
  removed: 'Member removed; their sessions have ended.',
  'ownership-transferred': 'Ownership transferred: you are an admin now.',
  joined: 'Welcome to the team.',
};

type TeamHandler = (
  c: PortalContext,
  portal: PortalRequest,
  member: SignedInMember,
  form: Record<string, unknown>,
) => Promise<Response>;

export const teamRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/team',
    memberRoute(services, async (c, portal, member) => {
      const notice = NOTICES[c.req.query('notice') ?? ''];
      return c.html(await renderTeam(services, portal, member, notice === undefined ? {} : { notice }));
    }),
  );
  /** A team POST: the role check first, then the form; a refusal re-renders the page with the error. */
  const post = (path: string, action: TeamAction, handler: TeamHandler) =>
    app.post(
      path,
      memberRoute(services, async (c, portal, member) => {
        assertMay(member.role, action);
        try {
          return await handler(c, portal, member, await c.req.parseBody());
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          const page = await renderTeam(services, portal, member, { error: error.message });
          return c.html(page, statusOf(error));
        }
      }),
    );
  post('/team/invite', 'invite', (c, portal, member, form) => invite(services, c, portal, member, form));
  post('/team/invitations/revoke', 'revoke-invitation', async (c, portal, member, form) => {
    await portal.team.revokeInvitation(member.orgId, text(form, 'invitation'), actorOf(c, member));
    return redirect(c, '/team?notice=revoked');
  });
  post('/team/members/role', 'change-role', async (c, portal, member, form) => {
    const role = roleOf(form);
    const { ownerEmail } = member.tenant;
    await portal.team.changeRole(member.orgId, ownerEmail, text(form, 'member'), role, actorOf(c, member));
    return redirect(c, '/team?notice=role-changed');
  });
  // Transferring the ownership takes two steps: this page asks to confirm, the POST below does it.
  app.get(
    '/team/ownership',
    memberRoute(services, async (c, portal, member) => {
      const { target, registered } = await portal.team.transferCandidate(
        member.tenant,
        c.req.query('member') ?? '',
        actorOf(c, member),
      );
      return c.html(
        transferOwnershipPage({ viewer: viewerOf(member.session), tenant: member.tenant, target, registered }),
      );
    }),
  );
  post('/team/ownership', 'transfer-ownership', async (c, portal, member, form) => {
    await portal.team.transferOwnership(member.tenant, text(form, 'member'), actorOf(c, member));
    services.logger?.info('ownership transferred', { orgId: member.orgId, outcome: 'transferred' });
    return redirect(c, '/team?notice=ownership-transferred');
  });
  post('/team/members/remove', 'remove-member', async (c, portal, member, form) => {
    const memberId = text(form, 'member');
    const removed = await portal.team.remove(member.orgId, member.tenant.ownerEmail, memberId, actorOf(c, member));
    const ended = await portal.sessions.endAllFor(removed.id);
    services.logger?.info('member removed', { orgId: member.orgId, role: removed.role, sessionsEnded: ended });
    if (removed.id !== member.memberId) return redirect(c, '/team?notice=removed');
    deleteCookie(c, portal, 'session');
    return redirect(c, '/signed-out');
  });
};

function text(form: Record<string, unknown>, field: string): string {
  const value = form[field];
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(`${field} is required`, { field });
  return value.trim();
}

function roleOf(form: Record<string, unknown>): TeamRole {
  const role = form.role;
  if (!isTeamRole(role)) throw new ValidationError('choose a role: owner, admin or member', { field: 'role' });
  return role;
}

function actorOf(c: PortalContext, member: SignedInMember): TeamActor {
  return { id: member.memberId, email: member.session.email, role: member.role, origin: requestOrigin(c) };
}

async function invite(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  member: SignedInMember,
  form: Record<string, unknown>,
): Promise<Response> {
  const { mailer } = services.deps;
  if (mailer === undefined) throw new ValidationError('invitations need email, which is not configured here');
  const email = normalizeEmail(text(form, 'email'));
  if (!isEmailAddress(email)) throw new ValidationError('enter an email address such as colleague@example.com');
  const role = roleOf(form);
  assertMay(member.role, 'invite', role);
  if (email === normalizeEmail(member.tenant.ownerEmail)) {
    throw new ValidationError(`${email} owns this organization: they sign in directly, no invitation needed`, {
      field: 'email',
    });
  }
  const members = await portal.team.members(member.orgId);
  if (members.some((existing) => normalizeEmail(existing.email) === email)) {
    throw new ValidationError(`${email} is already a member of this organization`, { field: 'email' });
  }
  const actor = actorOf(c, member);
  const { token, invitation } = await portal.team.invite(member.orgId, email, role, actor);
  try {
    await sendInvitation(mailer, new URL(invitationPath(token), portal.baseUrl).href, member, email, role);
  } catch (error) {
    // An invitation nobody received must not stay usable.
    await portal.team.revokeInvitation(member.orgId, invitation.id, actor);
    services.logger?.error('invitation email failed', { orgId: member.orgId, outcome: 'revoked' });
    throw new ValidationError('the invitation email could not be sent, so the invitation was revoked; try again', {
      cause: error,
    });
  }
  services.logger?.info('member invited', { orgId: member.orgId, role, outcome: 'invited' });
  return redirect(c, '/team?notice=invited');
}

async function sendInvitation(
  mailer: Mailer,
  link: string,
  member: SignedInMember,
  email: string,
  role: TeamRole,
): Promise<void> {
  const { orgName, orgId } = member.tenant;
  await mailer.send({
    to: email,
    subject: `You are invited to join ${orgName} on the partner portal`,
    text: [
      `${member.session.email} invited you to join ${orgName} (${orgId}) as ${role}.`,
      '',
      `Accept the invitation: ${link}`,
      '',
      `Sign in with ${email}. The link works once and expires in 7 days.`,
    ].join('\n'),
  });
}

async function renderTeam(
  services: PortalServices,
  portal: PortalRequest,
  member: SignedInMember,
  extra: { readonly notice?: string; readonly error?: string },
): Promise<string> {
  const canSeeInvitations = member.role !== 'member';
  const [members, invitations, activity] = await Promise.all([
    portal.team.members(member.orgId),
    canSeeInvitations ? portal.team.pendingInvitations(member.orgId) : [],
    portal.repositories.activity.list(member.orgId),
  ]);
  return teamPage({
    viewer: viewerOf(member.session),
    orgId: member.orgId,
    orgName: member.tenant.orgName,
    self: { id: member.memberId, role: member.role },
    ownerEmail: member.tenant.ownerEmail,
    ...(member.tenant.source === 'config' ? { ownerFile: partnerFilePath(member.orgId) } : {}),
    members,
    invitations,
    activity,
    now: services.clock.now(),
    canMail: services.deps.mailer !== undefined,
    ...extra,
  });
}
