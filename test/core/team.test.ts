/**
 * The team rules without I/O: the role matrix (every action by every role),
 * who may act on an owner, and when an invitation can still be accepted.
 */
import { ForbiddenError } from '../../lambda/core/errors';
import {
  type Invitation,
  TEAM_ACTIONS,
  TEAM_ROLES,
  type TeamAction,
  type TeamRole,
  assertMay,
  invitationRefusal,
  isEmailAddress,
  may,
} from '../../lambda/core/team';

const EXPECTED: Record<TeamAction, readonly TeamRole[]> = {
  view: ['owner', 'admin', 'member'],
  invite: ['owner', 'admin'],
  'revoke-invitation': ['owner', 'admin'],
  'change-role': ['owner'],
  'remove-member': ['owner', 'admin'],
  'transfer-ownership': ['owner'],
};

describe('may', () => {
  it.each(TEAM_ACTIONS.flatMap((action) => TEAM_ROLES.map((role) => ({ action, role }))))(
    '$role / $action',
    ({ action, role }) => {
      const allowed = EXPECTED[action].includes(role);
      expect(may(role, action)).toBe(allowed);
      if (allowed) expect(() => assertMay(role, action)).not.toThrow();
      else expect(() => assertMay(role, action)).toThrow(ForbiddenError);
    },
  );

  it.each([
    ['invite', 'only an owner may invite an owner'],
    ['remove-member', 'only an owner may remove an owner'],
  ] as const)('an admin may %s members and admins but not owners', (action, message) => {
    expect(() => assertMay('admin', action, 'member')).not.toThrow();
    expect(() => assertMay('admin', action, 'admin')).not.toThrow();
    expect(() => assertMay('admin', action, 'owner')).toThrow(message);
    expect(() => assertMay('owner', action, 'owner')).not.toThrow();
  });

  it('says who may not do what', () => {
    expect(() => assertMay('member', 'invite')).toThrow('a member may not invite');
    expect(() => assertMay('admin', 'change-role')).toThrow('an admin may not change roles');
  });
});

describe('invitationRefusal', () => {
  const now = new Date('2026-12-07T12:00:00.000Z');
  const invitation: Invitation = {
    id: 'a'.repeat(64),
    orgId: 'acme',
    email: 'colleague@acme.example',
    role: 'member',
    invitedBy: 'owner@acme.example',
    createdAt: '2026-12-01T12:00:00.000Z',
    expiresAt: '2026-12-08T12:00:00.000Z',
    status: 'pending',
  };

  it.each([
    ['a pending invitation for that email', invitation, 'colleague@acme.example', undefined],
    ['the email in another case and with blanks', invitation, ' Colleague@ACME.example ', undefined],
    ['no invitation', undefined, 'colleague@acme.example', 'unknown'],
    ['a used one', { ...invitation, status: 'accepted' }, 'colleague@acme.example', 'used'],
    ['a revoked one', { ...invitation, status: 'revoked' }, 'colleague@acme.example', 'revoked'],
    ['one expiring now', { ...invitation, expiresAt: now.toISOString() }, 'colleague@acme.example', 'expired'],
    ['another email', invitation, 'someone@acme.example', 'other-email'],
  ] as const)('%s: %s', (_name, candidate, email, expected) => {
    expect(invitationRefusal(candidate as Invitation | undefined, email, now)).toBe(expected);
  });
});

describe('isEmailAddress', () => {
  it.each([
    ['colleague@acme.example', true],
    ['no-at-sign', false],
    ['two@@acme.example', false],
    ['no-dot@localhost', false],
    [`${'a'.repeat(250)}@a.io`, false],
  ])('%s: %s', (value, expected) => {
    expect(isEmailAddress(value)).toBe(expected);
  });
});
