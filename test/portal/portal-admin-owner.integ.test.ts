/**
 * The admin API door end to end over HTTP against the local runtime
 * (`startLocalRuntime({ portal: true })`: its API, portal, OIDC issuer and
 * mail catcher): an org registered through `POST /tenants/{orgId}/register`
 * is owned by its `ownerEmail`, who signs in to the portal and lands on the
 * org's dashboard as its owner (not on onboarding), exactly as a partner
 * file's owner does; then invites a colleague, who accepts, and hands the
 * ownership over through the confirmation page; the admin API's activity
 * shows the transfer with its actor, source IP and user agent.
 */
import { PortalHttpClient } from './portal-http-client';
import { adminCall } from './portal-journeys';
import { startRuntimePortalWorld } from './portal-world';
import { csrfOf, memberIdOn } from './team-page-readers';

const ORG = { orgId: 'admin-door', orgName: 'Admin Door GmbH' };
/** Registered in another case than the issuer states it: emails compare case-insensitively. */
const OWNER = 'olga@admin-door.example';
const COLLEAGUE = 'carl@admin-door.example';

let world: Awaited<ReturnType<typeof startRuntimePortalWorld>>;

beforeAll(async () => {
  world = await startRuntimePortalWorld();
}, 180_000);

afterAll(async () => {
  await world?.close();
}, 30_000);

it.each([
  ['without ownerEmail', { orgName: ORG.orgName }],
  ['with an ownerEmail that is no email', { orgName: ORG.orgName, ownerEmail: 'olga' }],
])('register %s gets 400 JSON and creates nothing', async (_name, body) => {
  const response = await adminCall(world, 'POST', `/tenants/${ORG.orgId}/register`, body);
  expect(response.status).toBe(400);
  expect(response.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(await world.repositories.tenants.get(ORG.orgId)).toBeUndefined();
  expect(await world.repositories.tenants.ownedBy(OWNER)).toEqual([]);
});

it('an org registered through the admin API: its ownerEmail signs in as owner, invites, and hands the ownership over', async () => {
  const registered = await adminCall(world, 'POST', `/tenants/${ORG.orgId}/register`, {
    orgName: ORG.orgName,
    ownerEmail: 'Olga@Admin-Door.example',
  });
  expect(registered.status).toBe(201);

  const owner = new PortalHttpClient(world.portalUrl);
  const landed = await owner.signIn(OWNER);
  expect(landed.url).toBe(`${world.portalUrl}/dashboard`);
  expect(landed.status).toBe(200);
  expect(landed.body).toContain(ORG.orgName);
  let team = await owner.go(`${world.portalUrl}/team`);
  expect(team.body).toContain('id="team-self-role">owner<');
  expect(team.body).toContain('(registered owner)');

  const invited = await owner.go(`${world.portalUrl}/team/invite`, {
    method: 'POST',
    form: { _csrf: csrfOf(team.body), email: COLLEAGUE, role: 'member' },
  });
  expect(invited.url).toBe(`${world.portalUrl}/team?notice=invited`);
  const mail = (await (await fetch(`${world.runtime.portal!.mailUrl}.json`)).json()) as {
    messages: { to: string; text: string }[];
  };
  const link = /Accept the invitation: (\S+)/.exec(mail.messages.find((sent) => sent.to === COLLEAGUE)!.text)![1];
  const colleague = new PortalHttpClient(world.portalUrl);
  await colleague.signIn(COLLEAGUE);
  const invitation = await colleague.go(link);
  const joined = await colleague.go(`${link}/accept`, { method: 'POST', form: { _csrf: csrfOf(invitation.body) } });
  expect(joined.url).toBe(`${world.portalUrl}/team?notice=joined`);

  team = await owner.go(`${world.portalUrl}/team`);
  const confirm = await owner.go(`${world.portalUrl}/team/ownership?member=${memberIdOn(team.body, COLLEAGUE)}`);
  expect(confirm.status).toBe(200);
  expect(confirm.body).toContain(`${COLLEAGUE} (now member) becomes an owner`);
  const transferred = await owner.go(`${world.portalUrl}/team/ownership`, {
    method: 'POST',
    form: { _csrf: csrfOf(confirm.body), member: memberIdOn(team.body, COLLEAGUE) },
  });
  expect(transferred.url).toBe(`${world.portalUrl}/team?notice=ownership-transferred`);
  expect(transferred.body).toContain('id="team-self-role">admin<');
  expect((await colleague.go(`${world.portalUrl}/team`)).body).toContain('id="team-self-role">owner<');
  expect((await world.repositories.tenants.get(ORG.orgId))?.ownerEmail).toBe(COLLEAGUE);

  const activity = await adminCall(world, 'GET', `/tenants/${ORG.orgId}/activity`);
  expect(activity.status).toBe(200);
  const entry = (activity.body as { activity: Record<string, unknown>[] }).activity.find(
    (logged) => logged.action === 'ownership.transferred',
  );
  expect(entry).toMatchObject({
    actor: `portal:${OWNER}`,
    subject: COLLEAGUE,
    role: 'owner',
    previousRole: 'member',
    sourceIp: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/),
    userAgent: PortalHttpClient.USER_AGENT,
  });
});
