/**
 * Issue 17's Teams slice in headless Chromium against the local runtime
 * (`startLocalRuntime({ portal: true })`, its local OIDC issuer and mail
 * catcher): the owner invites a colleague from the Team page with the
 * keyboard alone; the mail catcher shows the link; the colleague opens it,
 * signs in with that email, accepts and sees the org as a member without
 * invite or remove controls; the owner makes them admin; the owner removes
 * them and their next request is signed out; the Team page's activity shows
 * each action with its actor.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import {
  acceptOpenInvitation,
  changeRoleOnTeamPage,
  eventually,
  followInvitationMail,
  memberRow,
  onboardInPortal,
} from './portal-journeys';
import { startRuntimePortalWorld } from './portal-world';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'portal');
const ORG = { orgId: 'team-journey', orgName: 'Team Journey Ltd' };
const COLLEAGUE = 'colleague@team-journey.example';

let world: Awaited<ReturnType<typeof startRuntimePortalWorld>>;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [world, browser] = await Promise.all([startRuntimePortalWorld(), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(contexts.map((context) => context.close()));
  await browser?.close();
  await world?.close();
}, 30_000);

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  return context.newPage();
}

it('owner invites a colleague, who accepts by mail link, is promoted, then removed and signed out; activity names each actor', async () => {
  const owner = await newPage();
  try {
    await onboardInPortal(owner, world, ORG);
    await owner.getByRole('link', { name: 'Team' }).click();
    await owner.waitForURL(`${world.portalUrl}/team`);
    await expect(owner.locator('#team-self-role').textContent()).resolves.toBe('owner');

    // The invite form with the keyboard alone: type the email, Tab past the role (member), Tab to the button, Enter.
    await owner.getByLabel('Email address').focus();
    await owner.keyboard.type(COLLEAGUE);
    await owner.keyboard.press('Tab');
    await owner.keyboard.press('Tab');
    await owner.keyboard.press('Enter');
    await owner.waitForURL(/notice=invited/);
    await expect(owner.locator(`tr.invitation[data-email="${COLLEAGUE}"]`).count()).resolves.toBe(1);

    const colleague = await newPage();
    // Not signed in: the link leads through the issuer's sign-in and back.
    const link = await followInvitationMail(colleague, world, COLLEAGUE);
    expect(link).toMatch(new RegExp(`^${world.portalUrl}/invitations/[A-Za-z0-9_-]{43}$`));
    await expect(colleague.locator('h1').textContent()).resolves.toContain(ORG.orgName);
    expect(await acceptOpenInvitation(colleague)).toBe('member');
    await expect(colleague.locator('form[action="/team/invite"]').count()).resolves.toBe(0);
    await expect(colleague.locator('form[action="/team/members/remove"]').count()).resolves.toBe(0);
    // The link worked once.
    const reused = await colleague.goto(link);
    expect(reused?.status()).toBe(410);

    await owner.goto(`${world.portalUrl}/team`);
    await changeRoleOnTeamPage(owner, COLLEAGUE, 'admin');
    await colleague.goto(`${world.portalUrl}/team`);
    await expect(colleague.locator('#team-self-role').textContent()).resolves.toBe('admin');
    await expect(colleague.locator('form[action="/team/invite"]').count()).resolves.toBe(1);

    await memberRow(owner, COLLEAGUE)
      .getByRole('button', { name: `Remove ${COLLEAGUE}` })
      .click();
    await owner.waitForURL(/notice=removed/);
    await expect(memberRow(owner, COLLEAGUE).count()).resolves.toBe(0);

    // Their very next request (with the browser's cookies) finds the session gone: signed out, cookie cleared.
    const next = await colleague.context().request.get(`${world.portalUrl}/team`, { maxRedirects: 0 });
    expect(next.status()).toBe(303);
    expect(next.headers().location).toBe('/login');
    expect(next.headers()['set-cookie']).toMatch(/portal_session=;[^\n]*Max-Age=0/);
    expect((await colleague.context().cookies(world.portalUrl)).map((cookie) => cookie.name)).not.toContain(
      'portal_session',
    );
    // Signing in again (the issuer remembers them) no longer opens the org.
    await colleague.goto(`${world.portalUrl}/team`);
    await eventually('the removed colleague to leave the Team page', async () => !colleague.url().endsWith('/team'));
    await expect(colleague.locator('#team-self-role').count()).resolves.toBe(0);

    await owner.goto(`${world.portalUrl}/team`);
    const activity = owner.locator('#team-activity tr.activity');
    const rows = (await activity.evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-action'), tr.querySelector('.activity-actor')?.textContent?.trim()]),
    )) as [string, string][];
    expect(rows).toEqual(
      expect.arrayContaining([
        ['member.invited', world.testUser],
        ['invitation.accepted', COLLEAGUE],
        ['member.role-changed', world.testUser],
        ['member.removed', world.testUser],
      ]),
    );
    expect(rows[0]).toEqual(['member.removed', world.testUser]);
  } catch (error) {
    await owner
      .screenshot({ path: join(ARTIFACTS, 'team-journey-failure.png'), fullPage: true })
      .catch(() => undefined);
    throw error;
  }
}, 180_000);
