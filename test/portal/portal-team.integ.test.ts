/**
 * Teams in the portal app, in process against DynamoDB Local: the role
 * matrix (every Team action by every role: allowed ones change what they
 * say, refused ones get 403 and change nothing), the invitation rules
 * (expired on the fake clock, reused, other email, revoked, unknown,
 * unverified email), the registered owner and last-owner rules, removal
 * ending every session of the removed member at once, and the activity log.
 * Mail goes to a recording Mailer; the real SES and the local mail catcher
 * are tested on their own.
 */
import { FakeClock } from '../../lambda/core/clock';
import { TEAM_ROLES, type TeamRole } from '../../lambda/core/team';
import { MembershipsRepository, memberIdOf } from '../../lambda/portal/memberships';
import { LastOwnerError, TeamRepository } from '../../lambda/portal/team-repository';
import { ActivityRepository } from '../../lambda/repositories/activity-repository';
import { ConflictError } from '../../lambda/core/errors';
import { type PlatformRepositories, repositoriesFor } from '../../lambda/repositories/platform-repositories';
import type { MailMessage } from '../../lambda/shared/mailer';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import {
  createPlatformTables,
  deletePlatformTables,
  type PlatformTableNames,
  scanPlatformTables,
} from '../support/platform-tables';
import { FAKE_ISSUER, type Harness, type Jar, createHarness, validSettings } from './portal-app-harness';
import { memberIdOn } from './team-page-readers';

// Now-ish: DynamoDB Local's TTL sweep runs on the wall clock and would delete items "expired" in the past.
const clock = new FakeClock(new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString());
const DAY_MS = 86_400_000;
const PEOPLE = ['owner', 'owner2', 'admin', 'member', 'target', 'invitee', 'other', 'unverified'] as const;
type Person = (typeof PEOPLE)[number];
const CASES = 60;

/** Users `<person>-<n>` with the email `<person>-<n>@acme.example`, so every case has its own org and people. */
const USERS = Object.fromEntries(
  Array.from({ length: CASES }, (_, n) =>
    PEOPLE.map((person) => [
      `${person}-${n}`,
      { email: `${person}-${n}@acme.example`, emailVerified: person !== 'unverified', name: `${person} ${n}` },
    ]),
  ).flat(),
);

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let harness: Harness;
let repositories: PlatformRepositories;
let team: TeamRepository;
const mail: MailMessage[] = [];
let nextCase = 0;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'portal-team');
  harness = createHarness({
    doc: ddb.doc,
    settings: validSettings(tables),
    users: USERS,
    clock,
    overrides: { mailer: { send: async (message) => void mail.push(message) } },
  });
  repositories = repositoriesFor(ddb.doc, tables, clock);
  team = new TeamRepository(ddb.doc, tables.tenants, clock, new ActivityRepository(ddb.doc, tables.tenants));
}, 60_000);

afterAll(async () => {
  if (tables !== undefined) await deletePlatformTables(ddb.client, tables);
  await ddb?.close();
});

const snapshot = () => scanPlatformTables(ddb.doc, tables);

/** The invitation link last mailed to `email`, as a path. */
function linkFor(email: string): string {
  const message = [...mail].reverse().find((sent) => sent.to === email);
  const link = /Accept the invitation: (\S+)/.exec(message?.text ?? '')?.[1];
  if (link === undefined) throw new Error(`no invitation mailed to ${email}`);
  return new URL(link).pathname;
}

async function post(jar: Jar, path: string, form: Record<string, string>, csrfFrom = '/team'): Promise<Response> {
  const token = await harness.csrf(jar, csrfFrom);
  return harness.request('POST', path, { jar, form: { _csrf: token, ...form } });
}

async function teamPage(jar: Jar): Promise<string> {
  const response = await harness.request('GET', '/team', { jar });
  expect(response.status).toBe(200);
  return response.text();
}

function invitationIdOn(page: string, email: string): string {
  const row = new RegExp(`<tr class="invitation" data-email="${email}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';
  const id = /name="invitation" value="([0-9a-f]{64})"/.exec(row)?.[1];
  if (id === undefined) throw new Error(`no pending invitation for ${email}`);
  return id;
}

async function accept(jar: Jar, path: string): Promise<Response> {
  return post(jar, `${path}/accept`, {}, path);
}

interface Team {
  readonly n: number;
  readonly orgId: string;
  readonly jars: Record<'owner' | 'owner2' | 'admin' | 'member' | 'target', Jar>;
  readonly email: (person: Person) => string;
}

/**
 * A fresh org registered by `owner-<n>` (its ownerEmail), with `owner2`
 * (owner), `admin`, `member` and `target` (member) invited and accepted
 * through the portal, and a pending invitation for `invitee`.
 */
async function newTeam(): Promise<Team> {
  const n = nextCase++;
  const orgId = `team-${n}`;
  const email = (person: Person) => `${person}-${n}@acme.example`;
  const owner = await harness.signIn(`owner-${n}`);
  const onboarded = await post(owner, '/onboarding', { orgId, orgName: `Team ${n}` }, '/onboarding');
  expect(onboarded.status).toBe(303);
  const jars: Record<string, Jar> = { owner };
  const roles: Record<string, TeamRole> = { owner2: 'owner', admin: 'admin', member: 'member', target: 'member' };
  for (const [person, role] of Object.entries(roles)) {
    expect((await post(owner, '/team/invite', { email: email(person as Person), role })).status).toBe(303);
    const jar = await harness.signIn(`${person}-${n}`);
    expect((await accept(jar, linkFor(email(person as Person)))).status).toBe(303);
    jars[person] = jar;
  }
  expect((await post(owner, '/team/invite', { email: email('invitee'), role: 'member' })).status).toBe(303);
  return { n, orgId, jars: jars as Team['jars'], email };
}

describe('role matrix', () => {
  type Action = (t: Team, actor: Jar) => Promise<Response>;
  const ACTIONS: Record<string, { readonly allowed: readonly TeamRole[]; readonly run: Action }> = {
    'invite a member': {
      allowed: ['owner', 'admin'],
      run: (t, actor) => post(actor, '/team/invite', { email: `new-${t.n}@acme.example`, role: 'member' }),
    },
    'invite an owner': {
      allowed: ['owner'],
      run: (t, actor) => post(actor, '/team/invite', { email: `new-${t.n}@acme.example`, role: 'owner' }),
    },
    'revoke an invitation': {
      allowed: ['owner', 'admin'],
      run: async (t, actor) => {
        const id = invitationIdOn(await teamPage(t.jars.owner), t.email('invitee'));
        return post(actor, '/team/invitations/revoke', { invitation: id });
      },
    },
    'change a role': {
      allowed: ['owner'],
      run: async (t, actor) => {
        const id = memberIdOn(await teamPage(t.jars.owner), t.email('target'));
        return post(actor, '/team/members/role', { member: id, role: 'admin' });
      },
    },
    'remove a member': {
      allowed: ['owner', 'admin'],
      run: async (t, actor) => {
        const id = memberIdOn(await teamPage(t.jars.owner), t.email('target'));
        return post(actor, '/team/members/remove', { member: id });
      },
    },
    'remove an owner': {
      allowed: ['owner'],
      run: async (t, actor) => {
        const id = memberIdOn(await teamPage(t.jars.owner), t.email('owner2'));
        return post(actor, '/team/members/remove', { member: id });
      },
    },
    'transfer the ownership': {
      allowed: ['owner'],
      run: async (t, actor) => {
        const id = memberIdOn(await teamPage(t.jars.owner), t.email('target'));
        return post(actor, '/team/ownership', { member: id });
      },
    },
  };
  const actorOf = (t: Team, role: TeamRole) =>
    role === 'owner' ? t.jars.owner : role === 'admin' ? t.jars.admin : t.jars.member;
  const cases = Object.entries(ACTIONS).flatMap(([name, action]) =>
    TEAM_ROLES.map((role) => ({ name, role, allowed: action.allowed.includes(role), run: action.run })),
  );

  it.each(cases)('$name by an $role: allowed $allowed', async ({ role, allowed, run }) => {
    const t = await newTeam();
    const actor = actorOf(t, role);
    await harness.csrf(actor, '/team');
    const before = await snapshot();
    const activityBefore = (await repositories.tenants.get(t.orgId)) && (await team.members(t.orgId)).length;
    const response = await run(t, actor);
    if (allowed) {
      expect(response.status).toBe(303);
      expect(await snapshot()).not.toEqual(before);
    } else {
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(/may not|only an owner may/);
      expect(await snapshot()).toEqual(before);
      expect((await team.members(t.orgId)).length).toBe(activityBefore);
    }
  });

  it('a member sees the team but no invite, role or remove controls', async () => {
    const t = await newTeam();
    const page = await teamPage(t.jars.member);
    expect(page).toContain(t.email('owner'));
    expect(page).toContain('id="team-self-role">member<');
    expect(page).not.toContain('action="/team/invite"');
    expect(page).not.toContain('action="/team/members/remove"');
    expect(page).not.toContain('action="/team/members/role"');
    expect(page).not.toContain('action="/team/invitations/revoke"');
    expect(page).not.toContain('action="/team/ownership"');
    const adminPage = await teamPage(t.jars.admin);
    expect(adminPage).toContain('action="/team/invite"');
    expect(adminPage).not.toContain('action="/team/members/role"');
    expect(adminPage).not.toContain('action="/team/ownership"');
    // An admin may not invite an owner: the choice is not even offered.
    expect(/<select id="invite-role"[\s\S]*?<\/select>/.exec(adminPage)?.[0]).not.toContain('value="owner"');
  });

  it('a role is read from the table at each request: a demoted admin is refused at once', async () => {
    const t = await newTeam();
    const page = await teamPage(t.jars.owner);
    const token = await harness.csrf(t.jars.admin, '/team');
    expect(
      (await post(t.jars.owner, '/team/members/role', { member: memberIdOn(page, t.email('admin')), role: 'member' }))
        .status,
    ).toBe(303);
    const before = await snapshot();
    const forged = await harness.request('POST', '/team/invite', {
      jar: t.jars.admin,
      form: { _csrf: token, email: `late-${t.n}@acme.example`, role: 'member' },
    });
    expect(forged.status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it('bad input gets 400 and changes nothing', async () => {
    const t = await newTeam();
    const before = await snapshot();
    for (const form of [
      { email: 'not-an-email', role: 'member' },
      { email: `ok-${t.n}@acme.example`, role: 'superuser' },
      { email: t.email('admin'), role: 'member' },
    ]) {
      expect((await post(t.jars.owner, '/team/invite', form)).status).toBe(400);
    }
    expect((await post(t.jars.owner, '/team/members/role', { member: 'f'.repeat(64), role: 'admin' })).status).toBe(
      404,
    );
    expect((await post(t.jars.owner, '/team/members/remove', { member: '../etc' })).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });

  it("the org's ownerEmail is not invited (they sign in directly), and an invited admin outlives an owner change", async () => {
    const t = await newTeam();
    await repositories.tenants.update(t.orgId, { ownerEmail: `new-owner-${t.n}@acme.example` });
    const before = await snapshot();
    const response = await post(t.jars.admin, '/team/invite', {
      email: `New-Owner-${t.n}@acme.example`,
      role: 'member',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('owns this organization');
    expect(await snapshot()).toEqual(before);
  });

  it('another org member cannot be changed from this org', async () => {
    const a = await newTeam();
    const b = await newTeam();
    const foreign = memberIdOn(await teamPage(b.jars.owner), b.email('target'));
    const before = await snapshot();
    expect((await post(a.jars.owner, '/team/members/remove', { member: foreign })).status).toBe(404);
    expect((await post(a.jars.owner, '/team/members/role', { member: foreign, role: 'owner' })).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });
});

describe('invitations', () => {
  it('an invitation is mailed with a link that holds the token; only its hash is stored', async () => {
    const t = await newTeam();
    const token = linkFor(t.email('invitee')).split('/').pop()!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(await snapshot())).not.toContain(token);
    expect(harness.logs.join('\n')).not.toContain(token);
  });

  it('an expired invitation is refused after 7 days and changes nothing', async () => {
    const t = await newTeam();
    const link = linkFor(t.email('invitee'));
    clock.advance(7 * DAY_MS);
    try {
      const jar = await harness.signIn(`invitee-${t.n}`);
      const before = await snapshot();
      const shown = await harness.request('GET', link, { jar });
      expect(shown.status).toBe(410);
      expect(await shown.text()).toContain('data-reason="expired"');
      const token = await harness.csrf(jar, '/onboarding');
      const forged = await harness.request('POST', `${link}/accept`, { jar, form: { _csrf: token } });
      expect(forged.status).toBe(410);
      expect(await snapshot()).toEqual(before);
    } finally {
      clock.advance(-7 * DAY_MS);
    }
  });

  it('an invitation is still good just before its 7 days end', async () => {
    const t = await newTeam();
    const link = linkFor(t.email('invitee'));
    clock.advance(7 * DAY_MS - 60_000);
    try {
      const jar = await harness.signIn(`invitee-${t.n}`);
      expect((await accept(jar, link)).status).toBe(303);
      expect((await team.members(t.orgId)).map((member) => member.email)).toContain(t.email('invitee'));
    } finally {
      clock.advance(-(7 * DAY_MS - 60_000));
    }
  });

  it('an invitation works once: reused, it is refused', async () => {
    const t = await newTeam();
    const link = linkFor(t.email('invitee'));
    const jar = await harness.signIn(`invitee-${t.n}`);
    expect((await accept(jar, link)).status).toBe(303);
    const before = await snapshot();
    const again = await harness.request('GET', link, { jar });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('data-reason="used"');
    expect(await snapshot()).toEqual(before);
  });

  it('an invitation for another email is refused, for the link and for a forged accept', async () => {
    const t = await newTeam();
    const link = linkFor(t.email('invitee'));
    const eve = await harness.signIn(`other-${t.n}`);
    const before = await snapshot();
    const shown = await harness.request('GET', link, { jar: eve });
    expect(shown.status).toBe(403);
    expect(await shown.text()).toContain('data-reason="other-email"');
    const token = await harness.csrf(eve, '/onboarding');
    const forged = await harness.request('POST', `${link}/accept`, { jar: eve, form: { _csrf: token } });
    expect(forged.status).toBe(403);
    expect(await snapshot()).toEqual(before);
    expect(await repositories.tenants.get(t.orgId)).toBeDefined();
  });

  it('a revoked invitation is refused', async () => {
    const t = await newTeam();
    const link = linkFor(t.email('invitee'));
    const id = invitationIdOn(await teamPage(t.jars.owner), t.email('invitee'));
    expect((await post(t.jars.owner, '/team/invitations/revoke', { invitation: id })).status).toBe(303);
    expect(await teamPage(t.jars.owner)).not.toContain(`data-email="${t.email('invitee')}"`);
    const jar = await harness.signIn(`invitee-${t.n}`);
    const before = await snapshot();
    const response = await harness.request('GET', link, { jar });
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('data-reason="revoked"');
    expect(await snapshot()).toEqual(before);
  });

  it('an unknown token is refused; an unverified email cannot sign in to accept', async () => {
    const t = await newTeam();
    const jar = await harness.signIn(`invitee-${t.n}`);
    const unknown = await harness.request('GET', `/invitations/${'A'.repeat(43)}`, { jar });
    expect(unknown.status).toBe(404);
    await expect(harness.signIn(`unverified-${t.n}`)).rejects.toThrow('sign-in failed: 403');
  });

  it('signing in from the link comes back to the invitation; other return paths are ignored', async () => {
    const t = await newTeam();
    const link = linkFor(t.email('invitee'));
    const jar = new (await import('./portal-app-harness')).Jar();
    const opened = await harness.request('GET', link, { jar });
    expect(opened.status).toBe(303);
    const login = await harness.request('GET', opened.headers.get('location')!, { jar });
    const state = new URL(login.headers.get('location')!).searchParams.get('state')!;
    const callback = await harness.request('GET', `/callback?code=invitee-${t.n}&state=${state}`, { jar });
    expect(callback.headers.get('location')).toBe(link);
    const evil = await harness.request('GET', '/login?return=https://evil.example/', {
      jar: new (await import('./portal-app-harness')).Jar(),
    });
    expect(evil.status).toBe(302);
  });
});

describe('owners', () => {
  it('the registered owner (ownerEmail) can be neither demoted nor removed', async () => {
    const t = await newTeam();
    const page = await teamPage(t.jars.owner2);
    // Not even offered: the row of the registered owner has no forms.
    expect(() => memberIdOn(page, t.email('owner'))).toThrow('no member form');
    const id = memberIdOf({ iss: FAKE_ISSUER, sub: `owner-${t.n}` });
    const before = await snapshot();
    expect((await post(t.jars.owner2, '/team/members/role', { member: id, role: 'member' })).status).toBe(409);
    expect((await post(t.jars.owner2, '/team/members/remove', { member: id })).status).toBe(409);
    expect(await snapshot()).toEqual(before);
  });

  it('the last owner can be neither demoted nor removed, and two owners demoting each other leave one', async () => {
    const orgId = `last-owner-${nextCase++}`;
    await repositories.tenants.create({ orgId, orgName: 'Last', ownerEmail: 'founder@acme.example', source: 'config' });
    const actor = { id: 'x', email: 'founder@acme.example', role: 'owner' as const, origin: {} };
    const join = async (name: string) => {
      const { token } = await team.invite(orgId, `${name}@acme.example`, 'owner', actor);
      const user = { iss: FAKE_ISSUER, sub: `${name}-${orgId}`, email: `${name}@acme.example` };
      await team.accept(token, user, {});
      return { ...actor, id: memberIdOf(user), email: user.email };
    };
    const ann = await join('ann');
    const bob = await join('bob');
    const results = await Promise.allSettled([
      team.changeRole(orgId, 'founder@acme.example', ann.id, 'admin', bob),
      team.changeRole(orgId, 'founder@acme.example', bob.id, 'admin', ann),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect((await team.members(orgId)).filter((member) => member.role === 'owner')).toHaveLength(1);
    const [last] = (await team.members(orgId)).filter((member) => member.role === 'owner');
    const before = await snapshot();
    await expect(
      team.changeRole(orgId, 'founder@acme.example', last.id, 'member', { ...ann, id: last.id }),
    ).rejects.toThrow(LastOwnerError);
    await expect(team.remove(orgId, 'founder@acme.example', last.id, { ...ann, id: last.id })).rejects.toThrow(
      LastOwnerError,
    );
    expect(await snapshot()).toEqual(before);
    expect(LastOwnerError.prototype).toBeInstanceOf(ConflictError);
  });

  it('a pre-teams membership counts as its owner and joins the team listing on the next request', async () => {
    const t = await newTeam();
    const memberships = new MembershipsRepository(ddb.doc, tables.tenants);
    const user = { iss: FAKE_ISSUER, sub: `owner-${t.n}` };
    expect((await memberships.get(user))?.role).toBe('owner');
  });
});

describe('removal', () => {
  it('ends every session of the removed member at once: their next request is signed out', async () => {
    const t = await newTeam();
    const second = await harness.signIn(`target-${t.n}`);
    expect((await harness.request('GET', '/team', { jar: second })).status).toBe(200);
    const id = memberIdOn(await teamPage(t.jars.owner), t.email('target'));
    expect((await post(t.jars.owner, '/team/members/remove', { member: id })).status).toBe(303);
    for (const jar of [t.jars.target, second]) {
      const next = await harness.request('GET', '/team', { jar });
      expect(next.status).toBe(303);
      expect(next.headers.get('location')).toBe('/login');
      expect(jar.names()).not.toContain('portal_session');
    }
    const all = await snapshot();
    expect(all.tenants.filter((item) => item.includes(`sessions#${id}`))).toEqual([]);
  });
});

describe('activity', () => {
  it('records invite, accept, role change, revoke and removal with actor and user agent, newest first', async () => {
    const t = await newTeam();
    const page = await teamPage(t.jars.owner);
    const later = async (action: () => Promise<Response>) => {
      clock.advance(1_000);
      expect((await action()).status).toBe(303);
    };
    const target = memberIdOn(page, t.email('target'));
    await later(() => post(t.jars.owner, '/team/members/role', { member: target, role: 'admin' }));
    await later(() =>
      post(t.jars.admin, '/team/invitations/revoke', { invitation: invitationIdOn(page, t.email('invitee')) }),
    );
    await later(() => post(t.jars.owner, '/team/members/remove', { member: target }));
    const entries = await new ActivityRepository(ddb.doc, tables.tenants).list(t.orgId);
    const row = (entry: (typeof entries)[number]) => [entry.action, entry.actor, entry.subject, entry.role].join(' ');
    expect(entries.slice(0, 3).map(row)).toEqual([
      `member.removed portal:${t.email('owner')} ${t.email('target')} admin`,
      `invitation.revoked portal:${t.email('admin')} ${t.email('invitee')} member`,
      `member.role-changed portal:${t.email('owner')} ${t.email('target')} admin`,
    ]);
    expect(entries[2].previousRole).toBe('member');
    // The setup, all at one instant: each invitation and each acceptance, by whom.
    expect(entries.slice(3).map(row).sort()).toEqual(
      [
        ...(['owner2', 'admin', 'member', 'target', 'invitee'] as const).map(
          (person) =>
            `member.invited portal:${t.email('owner')} ${t.email(person)} ${person === 'owner2' ? 'owner' : person === 'admin' ? 'admin' : 'member'}`,
        ),
        ...(['owner2', 'admin', 'member', 'target'] as const).map(
          (person) =>
            `invitation.accepted portal:${t.email(person)} ${t.email(person)} ${person === 'owner2' ? 'owner' : person === 'admin' ? 'admin' : 'member'}`,
        ),
      ].sort(),
    );
    expect(entries.every((entry) => entry.userAgent === undefined || entry.userAgent.length <= 256)).toBe(true);
    const shown = await teamPage(t.jars.member);
    expect(shown).toContain('data-action="member.removed"');
    for (const link of mail.map((sent) => /Accept the invitation: (\S+)/.exec(sent.text)?.[1] ?? '')) {
      expect(JSON.stringify(entries)).not.toContain(link.split('/').pop());
    }
  });
});

describe('ownership transfer', () => {
  const USER_AGENT = 'transfer-test/1.0';
  const roleOn = (page: string, email: string) =>
    /<td class="member-role">\s*(\w+)/.exec(
      new RegExp(`<tr class="member" data-email="${email}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '',
    )?.[1];

  it('the registered owner confirms, then the member is the owner (and ownerEmail) and the old owner an admin', async () => {
    const t = await newTeam();
    const target = memberIdOn(await teamPage(t.jars.owner), t.email('target'));
    const before = await snapshot();
    const confirm = await harness.request('GET', `/team/ownership?member=${target}`, { jar: t.jars.owner });
    expect(confirm.status).toBe(200);
    const page = await confirm.text();
    expect(page).toContain(`${t.email('target')} (now member) becomes an owner`);
    expect(page).toContain('registered owner');
    expect(page).toContain('action="/team/ownership"');
    // Asking to confirm changes nothing.
    expect(await snapshot()).toEqual(before);

    const token = /name="_csrf" value="([^"]+)"/.exec(page)![1];
    const done = await harness.request('POST', '/team/ownership', {
      jar: t.jars.owner,
      form: { _csrf: token, member: target },
      headers: { 'user-agent': USER_AGENT },
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/team?notice=ownership-transferred');
    expect((await repositories.tenants.get(t.orgId))?.ownerEmail).toBe(t.email('target'));
    expect(await repositories.tenants.ownedBy(t.email('target'))).toEqual([
      expect.objectContaining({ orgId: t.orgId }),
    ]);

    // The old owner keeps their sessions, now as an admin: the role is read at each request.
    const oldOwnerPage = await teamPage(t.jars.owner);
    expect(oldOwnerPage).toContain('id="team-self-role">admin<');
    expect(oldOwnerPage).not.toContain('action="/team/ownership"');
    expect(roleOn(oldOwnerPage, t.email('target'))).toBe('owner');
    const newOwnerPage = await teamPage(t.jars.target);
    expect(newOwnerPage).toContain('id="team-self-role">owner<');
    expect(newOwnerPage).toContain('(registered owner)');
    // The former registered owner is an ordinary admin now: the new owner may demote them.
    const oldOwnerId = memberIdOn(newOwnerPage, t.email('owner'));
    expect((await post(t.jars.target, '/team/members/role', { member: oldOwnerId, role: 'member' })).status).toBe(303);
    expect(await teamPage(t.jars.owner)).toContain('id="team-self-role">member<');

    const entries = await new ActivityRepository(ddb.doc, tables.tenants).list(t.orgId);
    const transferred = entries.filter((entry) => entry.action === 'ownership.transferred');
    expect(transferred).toHaveLength(1);
    expect(transferred[0]).toMatchObject({
      actor: `portal:${t.email('owner')}`,
      subject: t.email('target'),
      role: 'owner',
      previousRole: 'member',
      userAgent: USER_AGENT,
    });
    expect(newOwnerPage).toContain('data-action="ownership.transferred"');
  });

  it('the former owner, now admin, may no longer invite an owner nor change roles; their pending invitation stays good', async () => {
    const t = await newTeam();
    const page = await teamPage(t.jars.owner);
    expect((await post(t.jars.owner, '/team/ownership', { member: memberIdOn(page, t.email('target')) })).status).toBe(
      303,
    );
    const token = await harness.csrf(t.jars.owner, '/team');
    const before = await snapshot();
    for (const [path, form] of [
      ['/team/invite', { email: `late-${t.n}@acme.example`, role: 'owner' }],
      ['/team/members/role', { member: memberIdOn(page, t.email('member')), role: 'admin' }],
      ['/team/ownership', { member: memberIdOn(page, t.email('member')) }],
    ] as const) {
      const forged = await harness.request('POST', path, { jar: t.jars.owner, form: { _csrf: token, ...form } });
      expect(forged.status).toBe(403);
    }
    expect(await snapshot()).toEqual(before);
    // The invitation the owner sent before the transfer is the org's, not the sender's: it still works.
    const invitee = await harness.signIn(`invitee-${t.n}`);
    expect((await accept(invitee, linkFor(t.email('invitee')))).status).toBe(303);
    expect(await teamPage(invitee)).toContain('id="team-self-role">member<');
  });

  it('an owner who is not the registered owner hands over without moving ownerEmail', async () => {
    const t = await newTeam();
    const target = memberIdOn(await teamPage(t.jars.owner2), t.email('target'));
    expect((await post(t.jars.owner2, '/team/ownership', { member: target })).status).toBe(303);
    expect((await repositories.tenants.get(t.orgId))?.ownerEmail).toBe(t.email('owner'));
    const page = await teamPage(t.jars.owner);
    expect(roleOn(page, t.email('owner2'))).toBe('admin');
    expect(roleOn(page, t.email('target'))).toBe('owner');
    expect(roleOn(page, t.email('owner'))).toBe('owner');
  });

  it.each([
    ['to themselves', (t: Team, page: string) => memberIdOn(page, t.email('owner2')), 'owner2', 400],
    ['to no member', () => 'f'.repeat(64), 'owner', 404],
    ['to a member of another org', (t: Team, page: string) => memberIdOn(page, t.email('target')), 'other-org', 404],
  ] as const)('a transfer %s is refused and changes nothing', async (_name, idOf, actor, status) => {
    const t = await newTeam();
    const other = actor === 'other-org' ? await newTeam() : t;
    const id = idOf(other, await teamPage(other.jars.owner));
    const jar = actor === 'owner2' ? t.jars.owner2 : t.jars.owner;
    const before = await snapshot();
    expect((await harness.request('GET', `/team/ownership?member=${id}`, { jar })).status).toBe(status);
    expect((await post(jar, '/team/ownership', { member: id })).status).toBe(status);
    expect(await snapshot()).toEqual(before);
  });

  it("an admin's or member's GET of the confirmation page gets 403", async () => {
    const t = await newTeam();
    const id = memberIdOn(await teamPage(t.jars.owner), t.email('target'));
    for (const jar of [t.jars.admin, t.jars.member]) {
      const response = await harness.request('GET', `/team/ownership?member=${id}`, { jar });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('may not transfer ownership');
    }
  });

  /** An org from a partner file owned by `owner-<n>` (signed in by owner email), with `owner2` (owner) and `target` (member) invited. */
  async function newFileTeam() {
    const n = nextCase++;
    const orgId = `file-team-${n}`;
    const email = (person: Person) => `${person}-${n}@acme.example`;
    await repositories.tenants.create({ orgId, orgName: 'File Team', ownerEmail: email('owner'), source: 'config' });
    await repositories.tenants.recordOwner(orgId, email('owner'));
    const owner = await harness.signIn(`owner-${n}`);
    const jars: Record<string, Jar> = {};
    for (const [person, role] of [
      ['owner2', 'owner'],
      ['target', 'member'],
    ] as const) {
      expect((await post(owner, '/team/invite', { email: email(person), role })).status).toBe(303);
      jars[person] = await harness.signIn(`${person}-${n}`);
      expect((await accept(jars[person], linkFor(email(person)))).status).toBe(303);
    }
    return { orgId, email, owner, jars };
  }

  it("a partner file's owner cannot transfer: refused naming the file, not offered; another owner can", async () => {
    const { orgId, email, owner, jars } = await newFileTeam();
    const page = await teamPage(owner);
    expect(page).not.toContain('action="/team/ownership"');
    expect(page).toContain(`partners/${orgId}.yaml`);
    const target = memberIdOn(page, email('target'));
    const before = await snapshot();
    const refused = await post(owner, '/team/ownership', { member: target });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(`ownerEmail of partners/${orgId}.yaml`);
    expect((await harness.request('GET', `/team/ownership?member=${target}`, { jar: owner })).status).toBe(409);
    expect(await snapshot()).toEqual(before);

    expect((await post(jars.owner2, '/team/ownership', { member: target })).status).toBe(303);
    const after = await teamPage(owner);
    expect(roleOn(after, email('owner'))).toBe('owner');
    expect(roleOn(after, email('target'))).toBe('owner');
    expect(roleOn(after, email('owner2'))).toBe('admin');
    expect((await repositories.tenants.get(orgId))?.ownerEmail).toBe(email('owner'));
  });

  it('a partner file that names an existing member as ownerEmail makes them an owner; the old file owner is signed out', async () => {
    const { orgId, email, owner, jars } = await newFileTeam();
    // What the onboarding handler does when the file's ownerEmail changes.
    await repositories.tenants.ensure({ orgId, orgName: 'File Team', ownerEmail: email('target'), source: 'config' });
    const page = await teamPage(jars.target);
    expect(page).toContain('id="team-self-role">owner<');
    expect(page).toContain('(registered owner)');
    const ended = await harness.request('GET', '/team', { jar: owner });
    expect(ended.status).toBe(403);
    expect(await ended.text()).toContain('has another owner now');
    const entries = await new ActivityRepository(ddb.doc, tables.tenants).list(orgId);
    expect(entries.find((entry) => entry.actor === 'platform:ownerEmail')).toMatchObject({
      action: 'member.role-changed',
      subject: email('target'),
      role: 'owner',
      previousRole: 'member',
    });
  });

  it('transfers racing role changes and each other always leave an owner, and log only what happened', async () => {
    const orgId = `transfer-race-${nextCase++}`;
    await repositories.tenants.create({ orgId, orgName: 'Race', ownerEmail: 'founder@acme.example', source: 'config' });
    const founder = { id: 'x', email: 'founder@acme.example', role: 'owner' as const, origin: {} };
    const join = async (name: string, role: TeamRole) => {
      const { token } = await team.invite(orgId, `${name}@acme.example`, role, founder);
      const user = { iss: FAKE_ISSUER, sub: `${name}-${orgId}`, email: `${name}@acme.example` };
      await team.accept(token, user, {});
      return { ...founder, id: memberIdOf(user), email: user.email, role };
    };
    const ann = await join('ann', 'owner');
    const bob = await join('bob', 'owner');
    const carl = await join('carl', 'member');
    const dave = await join('dave', 'member');
    const tenant = { orgId, ownerEmail: 'founder@acme.example', source: 'config' as const };
    const logged = (await new ActivityRepository(ddb.doc, tables.tenants).list(orgId)).length;
    const results = await Promise.allSettled([
      team.transferOwnership(tenant, carl.id, ann),
      team.transferOwnership(tenant, dave.id, bob),
      team.changeRole(orgId, tenant.ownerEmail, ann.id, 'member', bob),
      team.changeRole(orgId, tenant.ownerEmail, bob.id, 'member', ann),
    ]);
    const fulfilled = results.filter((result) => result.status === 'fulfilled').length;
    expect(fulfilled).toBeGreaterThanOrEqual(1);
    const members = await team.members(orgId);
    expect(members.filter((member) => member.role === 'owner').length).toBeGreaterThanOrEqual(1);
    const role = (who: { id: string }) => members.find((member) => member.id === who.id)?.role;
    // A transfer happened entirely or not at all.
    expect(results[0].status === 'fulfilled').toBe(role(carl) === 'owner');
    expect(results[1].status === 'fulfilled').toBe(role(dave) === 'owner');
    if (results[0].status === 'fulfilled') expect(role(ann)).not.toBe('owner');
    if (results[1].status === 'fulfilled') expect(role(bob)).not.toBe('owner');
    const entries = await new ActivityRepository(ddb.doc, tables.tenants).list(orgId);
    expect(entries.length - logged).toBe(fulfilled);
  });
});
