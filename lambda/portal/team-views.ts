/**
 * The Team page (members and their roles, pending invitations, the org's
 * activity) and the invitation pages. Controls appear only for the roles
 * that may use them (core/team.ts); the server checks again on every POST.
 * Plain forms, native widgets only, so the page works with the keyboard.
 */
import {
  TEAM_ROLES,
  type ActivityAction,
  type Invitation,
  type InvitationRefusal,
  type TeamRole,
  may,
} from '../core/team';
import type { ActivityEntry } from '../repositories/activity-repository';
import { html, type SafeHtml } from './html';
import type { TeamMember } from './team-repository';
import { type Viewer, csrfField, layout, titledTable } from './views';

export interface TeamPageModel {
  readonly viewer: Viewer;
  readonly orgId: string;
  readonly orgName: string;
  /** The signed-in member's id and role, as read at this request. */
  readonly self: { readonly id: string; readonly role: TeamRole };
  readonly ownerEmail: string;
  /** The partner file that names `ownerEmail`, for an org onboarded by one. */
  readonly ownerFile?: string;
  readonly members: readonly TeamMember[];
  readonly invitations: readonly Invitation[];
  readonly activity: readonly ActivityEntry[];
  readonly now: Date;
  readonly canMail: boolean;
  readonly notice?: string;
  readonly error?: string;
}

const ACTIVITY_TEXT: Readonly<Record<ActivityAction, string>> = {
  'member.invited': 'invited',
  'invitation.accepted': 'accepted the invitation of',
  'invitation.revoked': 'revoked the invitation of',
  'member.role-changed': 'changed the role of',
  'member.removed': 'removed',
  'ownership.transferred': 'transferred the ownership to',
  'key.created': 'created the API key',
  'key.rotated': 'rotated the API key',
  'key.revoked': 'revoked the API key',
  'webhook.created': 'created the webhook',
  'webhook.updated': 'changed the webhook',
  'webhook.deleted': 'deleted the webhook',
  'webhook.enabled': 're-enabled the webhook',
  'webhook.replayed': 'replayed failed deliveries of the webhook',
};

export function teamPage(model: TeamPageModel): string {
  return layout(
    'Team',
    html`<p><a href="/dashboard">← Dashboard</a></p>
      <h1>Team of ${model.orgName}</h1>
      <p>You are <strong id="team-self-role">${model.self.role}</strong> of <code>${model.orgId}</code>.</p>
      ${model.notice === undefined ? '' : html`<div class="notice" role="status" id="team-notice">${model.notice}</div>`}
      ${model.error === undefined ? '' : html`<div class="alert" role="alert" id="team-error">${model.error}</div>`}
      ${membersTable(model)} ${may(model.self.role, 'invite') ? inviteForm(model) : ''} ${invitationsTable(model)}
      ${activityTable(model)}`,
    model.viewer,
  );
}

function roleOptions(selected: TeamRole, roles: readonly TeamRole[]): SafeHtml[] {
  return roles.map((role) => html`<option value="${role}" ${role === selected ? html`selected` : ''}>${role}</option>`);
}

function membersTable(model: TeamPageModel): SafeHtml {
  const selfRegistered = model.viewer.email.toLowerCase() === model.ownerEmail.toLowerCase();
  const selfByFile = selfRegistered && model.ownerFile !== undefined;
  const rows = model.members.map((member) => {
    const protectedOwner = member.email.toLowerCase() === model.ownerEmail.toLowerCase();
    const canChange = may(model.self.role, 'change-role') && !protectedOwner;
    const canRemove =
      may(model.self.role, 'remove-member') &&
      !protectedOwner &&
      (member.role !== 'owner' || model.self.role === 'owner');
    // To an owner only when it moves the registered ownership; otherwise it would just demote the viewer.
    const canTransfer =
      may(model.self.role, 'transfer-ownership') &&
      member.id !== model.self.id &&
      !selfByFile &&
      (member.role !== 'owner' || selfRegistered);
    return html`<tr class="member" data-email="${member.email}">
      <td>${member.name ?? member.email}<br /><span class="muted">${member.email}</span></td>
      <td class="member-role">
        ${member.role}${protectedOwner ? html` <span class="muted">(registered owner)</span>` : ''}
      </td>
      <td>
        ${
          canChange
            ? html`<form method="post" action="/team/members/role" class="inline">
                ${csrfField(model.viewer)}
                <input type="hidden" name="member" value="${member.id}" />
                <label for="role-${member.id}">Role of ${member.email}</label>
                <select id="role-${member.id}" name="role">
                  ${roleOptions(member.role, TEAM_ROLES)}
                </select>
                <button type="submit" class="secondary">Change role</button>
              </form>`
            : ''
        }
        ${canTransfer ? transferButton(member) : ''}
        ${
          canRemove
            ? html`<form method="post" action="/team/members/remove" class="inline">
                ${csrfField(model.viewer)}
                <input type="hidden" name="member" value="${member.id}" />
                <button type="submit" class="danger" aria-label="Remove ${member.email}">Remove</button>
              </form>`
            : ''
        }
      </td>
    </tr>`;
  });
  const table = titledTable('Members', 'team-members', ['Member', 'Role', 'Actions'], rows);
  if (!selfByFile || !may(model.self.role, 'transfer-ownership')) return table;
  return html`${table}
    <p class="hint" id="team-owner-file">
      You own this organization as the <code>ownerEmail</code> of <code>${model.ownerFile}</code>: the ownership moves
      only by a change to that file. To share it meanwhile, make a member an owner.
    </p>`;
}

/** Opens the confirmation page; nothing changes until it is confirmed there. */
function transferButton(member: TeamMember): SafeHtml {
  return html`<form method="get" action="/team/ownership" class="inline">
    <input type="hidden" name="member" value="${member.id}" />
    <button type="submit" class="secondary" aria-label="Transfer ownership to ${member.email}">
      Transfer ownership…
    </button>
  </form>`;
}

export interface TransferOwnershipModel {
  readonly viewer: Viewer;
  readonly tenant: { readonly orgId: string; readonly orgName: string };
  readonly target: TeamMember;
  /** Whether the viewer is the registered owner, so `ownerEmail` moves too. */
  readonly registered: boolean;
}

/** The confirmation step of an ownership transfer. */
export function transferOwnershipPage(model: TransferOwnershipModel): string {
  const { tenant, target } = model;
  return layout(
    'Transfer ownership',
    html`<h1>Transfer the ownership of ${tenant.orgName}?</h1>
      <p id="transfer-summary">
        ${target.email} (now ${target.role}) becomes an owner of <code>${tenant.orgId}</code> and you become an admin.
        ${model.registered ? html`They also become its registered owner (<code>ownerEmail</code>).` : ''} Only an owner
        can give the ownership back.
      </p>
      <form method="post" action="/team/ownership" class="card">
        ${csrfField(model.viewer)}
        <input type="hidden" name="member" value="${target.id}" />
        <button type="submit" class="danger" id="transfer-confirm">Transfer ownership to ${target.email}</button>
        <a href="/team">Cancel</a>
      </form>`,
    model.viewer,
  );
}

function inviteForm(model: TeamPageModel): SafeHtml {
  const roles = model.self.role === 'owner' ? TEAM_ROLES : TEAM_ROLES.filter((role) => role !== 'owner');
  if (!model.canMail) {
    return html`<p id="team-invite-unavailable">
      Invitations need email, which is not configured in this deployment.
    </p>`;
  }
  return html`<h2>Invite a team member</h2>
    <form method="post" action="/team/invite" class="card" id="team-invite">
      ${csrfField(model.viewer)}
      <label for="invite-email">Email address</label>
      <input type="email" id="invite-email" name="email" required autocomplete="off" maxlength="254" />
      <label for="invite-role">Role</label>
      <select id="invite-role" name="role">
        ${roleOptions('member', roles)}
      </select>
      <p class="hint">
        The link in the email works once, for 7 days, and only for someone signed in with that address.
      </p>
      <button type="submit">Send invitation</button>
    </form>`;
}

function invitationsTable(model: TeamPageModel): SafeHtml {
  if (model.invitations.length === 0)
    return html`<h2>Pending invitations</h2>
      <p id="team-no-invitations">None.</p>`;
  const canRevoke = may(model.self.role, 'revoke-invitation');
  const rows = model.invitations.map((invitation) => {
    const expired = Date.parse(invitation.expiresAt) <= model.now.getTime();
    return html`<tr class="invitation" data-email="${invitation.email}">
      <td>${invitation.email}</td>
      <td>${invitation.role}</td>
      <td>${invitation.invitedBy}</td>
      <td><time datetime="${invitation.expiresAt}">${invitation.expiresAt}</time>${expired ? ' (expired)' : ''}</td>
      <td>
        ${
          canRevoke
            ? html`<form method="post" action="/team/invitations/revoke" class="inline">
                ${csrfField(model.viewer)}
                <input type="hidden" name="invitation" value="${invitation.id}" />
                <button type="submit" class="secondary" aria-label="Revoke the invitation of ${invitation.email}">
                  Revoke
                </button>
              </form>`
            : ''
        }
      </td>
    </tr>`;
  });
  return titledTable(
    'Pending invitations',
    'team-invitations',
    ['Email', 'Role', 'Invited by', 'Expires', 'Actions'],
    rows,
  );
}

function activityTable(model: TeamPageModel): SafeHtml {
  const rows = model.activity.map(
    (entry) =>
      html`<tr class="activity" data-action="${entry.action}">
        <td><time datetime="${entry.at}">${entry.at}</time></td>
        <td class="activity-actor">${entry.actor.replace(/^portal:/, '')}</td>
        <td>
          ${ACTIVITY_TEXT[entry.action]}
          ${entry.subject ?? ''}${
            entry.role === undefined
              ? ''
              : entry.previousRole === undefined
                ? ` (${entry.role})`
                : ` (${entry.previousRole} → ${entry.role})`
          }
        </td>
        <td>${entry.sourceIp ?? ''}</td>
      </tr>`,
  );
  return titledTable('Activity', 'team-activity', ['When', 'Who', 'What', 'From'], rows);
}

const REFUSALS: Readonly<Record<InvitationRefusal, string>> = {
  unknown: 'This invitation link is not valid. Ask for a new invitation.',
  used: 'This invitation has already been used. Each invitation link works once.',
  revoked: 'This invitation was revoked. Ask for a new invitation.',
  expired: 'This invitation has expired: invitations are good for 7 days. Ask for a new one.',
  'other-email':
    'This invitation is for another email address. Sign in with the address it was sent to, or ask for an invitation to yours.',
};

export function invitationRefusedPage(reason: InvitationRefusal, viewer?: Viewer): string {
  return layout(
    'Invitation not accepted',
    html`<h1>Invitation not accepted</h1>
      <p id="invitation-refused" data-reason="${reason}">${REFUSALS[reason]}</p>
      <p>Nothing was changed.</p>
      <p><a href="/">Back to the portal</a></p>`,
    viewer,
  );
}

export function invitationPage(viewer: Viewer, invitation: Invitation, orgName: string, acceptPath: string): string {
  return layout(
    'Join a team',
    html`<h1>Join ${orgName}</h1>
      <p>
        ${invitation.invitedBy} invited ${invitation.email} to join <code>${invitation.orgId}</code> as
        ${invitation.role}.
      </p>
      <form method="post" action="${acceptPath}" class="card">
        ${csrfField(viewer)}
        <button type="submit" id="invitation-accept">Accept invitation</button>
      </form>`,
    viewer,
  );
}
