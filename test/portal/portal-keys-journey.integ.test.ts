/**
 * Issue 17's whole story in headless Chromium against the local runtime
 * (`startLocalRuntime({ portal: true })`: its issuer, mail catcher, portal,
 * API Gateway with the authorizer cache, and usage from the access log),
 * each step where a person would click: the owner invites a colleague and
 * an intern; both follow the mail catcher's link, sign in with that email and
 * accept; the owner makes the colleague admin; the admin creates a
 * development key "CI" expiring in 30 days and a production key, each
 * plaintext read from the page it is shown on once; the probe with each
 * returns its environment; more calls with CI (answered from the authorizer
 * cache) and one refused for bad input show on its usage page with their
 * status classes; the intern's forged rotate POST, with the CSRF token of
 * their own page, gets 403 and changes no key; the admin removes the intern,
 * whose next request is signed out; the Team page's activity names the actor
 * of each action. The production key policy is raised to 2 per environment
 * in config, as the guide allows, since onboarding issues a production key.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import {
  acceptOpenInvitation,
  changeRoleOnTeamPage,
  followInvitationMail,
  memberRow,
  onboardInPortal,
} from './portal-journeys';
import { startRuntimePortalWorld } from './portal-world';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'portal');
const ORG = { orgId: 'keys-journey', orgName: 'Keys Journey Ltd' };
const COLLEAGUE = 'colleague@keys-journey.example';
const INTERN = 'intern@keys-journey.example';
const DAY_MS = 24 * 60 * 60 * 1000;

let world: Awaited<ReturnType<typeof startRuntimePortalWorld>>;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Milliseconds each step took, printed at the end (and on failure) for the slow shared machine. */
const timings: [string, number][] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const started = performance.now();
  [world, browser] = await Promise.all([
    startRuntimePortalWorld({ environmentOverrides: { apiKey: { maxActivePerEnvironment: 2 } } }),
    launchChromium(),
  ]);
  timings.push(['runtime and Chromium started', performance.now() - started]);
}, 240_000);

afterAll(async () => {
  console.log(`keys journey timings (ms):\n${timings.map(([step, ms]) => `  ${step}: ${Math.round(ms)}`).join('\n')}`);
  await Promise.allSettled(contexts.map((context) => context.close()));
  await browser?.close();
  await world?.close();
}, 30_000);

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  timings.push([name, performance.now() - started]);
  return result;
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  return context.newPage();
}

async function inviteMember(owner: Page, email: string): Promise<void> {
  await owner.goto(`${world.portalUrl}/team`);
  await owner.getByLabel('Email address').fill(email);
  await owner.getByRole('button', { name: 'Send invitation' }).click();
  await owner.waitForURL(/notice=invited/);
  await expect(owner.locator(`tr.invitation[data-email="${email}"]`).count()).resolves.toBe(1);
}

async function acceptByMail(page: Page, email: string): Promise<void> {
  await followInvitationMail(page, world, email);
  await expect(page.locator('h1').textContent()).resolves.toContain(ORG.orgName);
  expect(await acceptOpenInvitation(page)).toBe('member');
}

/** Creates a key on the API Keys page with the form; the dashboard shows its plaintext once: that and its id. */
async function createKey(
  admin: Page,
  key: { name: string; environment: 'development' | 'production'; expiry: string },
): Promise<{ plaintext: string; keyId: string }> {
  await admin.goto(`${world.portalUrl}/dashboard`);
  await admin.getByRole('link', { name: 'API keys' }).click();
  await admin.waitForURL(`${world.portalUrl}/keys`);
  await admin.getByLabel('Name').fill(key.name);
  await admin.getByLabel('Environment').selectOption(key.environment);
  await admin.getByLabel('Expires').selectOption(key.expiry);
  await admin.getByRole('button', { name: 'Generate API key' }).click();
  await admin.waitForURL(/\/dashboard\?notice=issued/);
  await admin.locator('#reveal summary').click();
  const plaintext = (await admin.locator('#revealed-key').textContent())!.trim();
  await admin.goto(`${world.portalUrl}/keys`);
  const row = admin.locator('tr.api-key', {
    has: admin.locator('td.key-name', { hasText: new RegExp(`^${key.name}$`) }),
  });
  await expect(row.getAttribute('data-environment')).resolves.toBe(key.environment);
  return { plaintext, keyId: (await row.getAttribute('data-key-id'))! };
}

async function api(path: string, apiKey: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${world.runtime.apiUrl}${path}`, { headers: { 'X-API-Key': apiKey } });
  return { status: response.status, body: await response.json() };
}

it('owner, admin and member: invitations by mail, roles, keys per environment, usage, a forged rotate, a removal, and the activity', async () => {
  const owner = await newPage();
  const colleague = await newPage();
  const intern = await newPage();
  try {
    await step('owner onboards and invites two', async () => {
      await onboardInPortal(owner, world, ORG);
      await inviteMember(owner, COLLEAGUE);
      await inviteMember(owner, INTERN);
    });
    await step('both accept by the mail link', async () => {
      await acceptByMail(colleague, COLLEAGUE);
      await acceptByMail(intern, INTERN);
    });
    await step('owner makes the colleague admin', async () => {
      await owner.goto(`${world.portalUrl}/team`);
      await changeRoleOnTeamPage(owner, COLLEAGUE, 'admin');
      await colleague.goto(`${world.portalUrl}/team`);
      await expect(colleague.locator('#team-self-role').textContent()).resolves.toBe('admin');
      // The local portal applies the limit config sets, as the functions do.
      await colleague.goto(`${world.portalUrl}/keys`);
      await expect(colleague.getByText('At most 2 active keys per environment.').count()).resolves.toBe(1);
    });

    const ci = await step('admin creates CI (development, 30 days)', () =>
      createKey(colleague, { name: 'CI', environment: 'development', expiry: '30' }),
    );
    const production = await step('admin creates a production key', () =>
      createKey(colleague, { name: 'Production App', environment: 'production', expiry: 'never' }),
    );
    const ciRecord = (await world.repositories.keys.listAll(ORG.orgId)).find((key) => key.keyId === ci.keyId)!;
    expect(ciRecord).toMatchObject({ name: 'CI', environment: 'development', createdBy: `portal:${COLLEAGUE}` });
    expect(Date.parse(ciRecord.expiresAt!) - Date.parse(ciRecord.createdAt)).toBe(30 * DAY_MS);

    // The probe with each key returns its environment. The gateway caches the authorizer's answer per key
    // (the template's TTL), so CI's later probes are answered from that cache and are counted all the same.
    const ciStatuses: number[] = [];
    await step('probe calls', async () => {
      const first = await api('/partner-auth-probe', ci.plaintext);
      expect(first).toMatchObject({ status: 200, body: { orgId: ORG.orgId, name: 'CI', environment: 'development' } });
      ciStatuses.push(first.status);
      expect(await api('/partner-auth-probe', production.plaintext)).toMatchObject({
        status: 200,
        body: { orgId: ORG.orgId, name: 'Production App', environment: 'production' },
      });
      const authorizerRunsBefore = world.runtime.gateway.authorizerInvocations;
      for (let index = 0; index < 4; index++) {
        const cached = await api('/partner-auth-probe', ci.plaintext);
        expect(cached).toMatchObject({ status: 200, body: { environment: 'development' } });
        ciStatuses.push(cached.status);
      }
      // All four came from the authorizer's cache: the authorizer did not run for them.
      expect(world.runtime.gateway.authorizerInvocations - authorizerRunsBefore).toBe(0);
      // Bad input on a partner route: it passed the authorizer, so it counts, as a 4xx in the JSON error shape.
      const bad = await api(`/v1/partner/credentials/${ci.keyId}/usage?granularity=minute`, ci.plaintext);
      expect(bad).toEqual({ status: 400, body: { error: { code: expect.any(String), message: expect.any(String) } } });
      ciStatuses.push(bad.status);
    });
    await step('usage flushed', () => world.runtime.usage!.flush());

    await step('admin views the usage of CI', async () => {
      await colleague.goto(`${world.portalUrl}/keys`);
      await colleague
        .locator(`tr.api-key[data-key-id="${ci.keyId}"]`)
        .getByRole('link', { name: 'View usage' })
        .click();
      await colleague.waitForURL(`${world.portalUrl}/keys/${ci.keyId}/usage`);
      await expect(colleague.locator('#usage-total').textContent()).resolves.toBe(String(ciStatuses.length));
      await expect(colleague.locator('#usage-2xx').textContent()).resolves.toBe(
        String(ciStatuses.filter((status) => status === 200).length),
      );
      await expect(colleague.locator('#usage-4xx').textContent()).resolves.toBe('1');
      await expect(colleague.locator('#usage-5xx').textContent()).resolves.toBe('0');
    });
    expect(ciStatuses).toEqual([200, 200, 200, 200, 200, 400]);

    await step("the intern's forged rotate is refused", async () => {
      await intern.goto(`${world.portalUrl}/keys`);
      await expect(intern.locator('form[action="/keys/rotate"]').count()).resolves.toBe(0);
      await expect(intern.locator('form[action="/keys/issue"]').count()).resolves.toBe(0);
      const before = await world.repositories.keys.listAll(ORG.orgId);
      // The member rewrites a form of their own page (sign out, with its real CSRF token) into a rotate of a
      // real key, every field valid, and clicks its button.
      const signOut = intern.locator('form[action="/logout"]');
      await expect(signOut.locator('input[name=_csrf]').getAttribute('value')).resolves.toEqual(expect.any(String));
      await signOut.evaluate(
        (form, fields) => {
          form.setAttribute('action', '/keys/rotate');
          for (const [name, value] of Object.entries(fields)) {
            form.insertAdjacentHTML('beforeend', `<input type="hidden" name="${name}" value="${value}" />`);
          }
        },
        { keyId: production.keyId, graceHours: '0', confirm: 'yes' },
      );
      const answered = intern.waitForResponse(
        (response) => response.url() === `${world.portalUrl}/keys/rotate` && response.request().method() === 'POST',
      );
      await intern.locator('form[action="/keys/rotate"]').getByRole('button').click();
      expect((await answered).status()).toBe(403);
      expect(await world.repositories.keys.listAll(ORG.orgId)).toEqual(before);
      expect(await api('/partner-auth-probe', production.plaintext)).toMatchObject({ status: 200 });
    });

    await step('admin removes the intern, who is signed out', async () => {
      await colleague.goto(`${world.portalUrl}/team`);
      await memberRow(colleague, INTERN)
        .getByRole('button', { name: `Remove ${INTERN}` })
        .click();
      await colleague.waitForURL(/notice=removed/);
      await expect(memberRow(colleague, INTERN).count()).resolves.toBe(0);
      const next = await intern.context().request.get(`${world.portalUrl}/keys`, { maxRedirects: 0 });
      expect(next.status()).toBe(303);
      expect(next.headers().location).toBe('/login');
      expect(next.headers()['set-cookie']).toMatch(/portal_session=;[^\n]*Max-Age=0/);
    });

    const rows = await step('owner reads the activity', async () => {
      await owner.goto(`${world.portalUrl}/team`);
      return (await owner
        .locator('#team-activity tr.activity')
        .evaluateAll((trs) =>
          trs.map((tr) => [
            tr.getAttribute('data-action'),
            tr.querySelector('.activity-actor')?.textContent?.trim(),
            tr.querySelectorAll('td')[2]?.textContent?.replace(/\s+/g, ' ').trim(),
          ]),
        )) as [string, string, string][];
    });
    const by = (action: string, actor: string, what: RegExp) =>
      rows.filter((row) => row[0] === action && row[1] === actor && what.test(row[2])).length;
    expect(by('member.invited', world.testUser, new RegExp(COLLEAGUE))).toBe(1);
    expect(by('member.invited', world.testUser, new RegExp(INTERN))).toBe(1);
    expect(by('invitation.accepted', COLLEAGUE, /./)).toBe(1);
    expect(by('invitation.accepted', INTERN, /./)).toBe(1);
    expect(by('member.role-changed', world.testUser, /member → admin/)).toBe(1);
    expect(by('key.created', COLLEAGUE, new RegExp(`CI \\(development, ${ci.keyId}\\)`))).toBe(1);
    expect(by('key.created', COLLEAGUE, new RegExp(`Production App \\(production, ${production.keyId}\\)`))).toBe(1);
    expect(by('member.removed', COLLEAGUE, new RegExp(INTERN))).toBe(1);
    expect(rows[0][0]).toBe('member.removed');
    // The forged rotate changed nothing, so it left no trace either; no key or secret is in the activity.
    expect(rows.filter((row) => row[0] === 'key.rotated')).toEqual([]);
    expect(JSON.stringify(rows)).not.toContain(ci.plaintext);
    expect(JSON.stringify(rows)).not.toContain(production.plaintext);
  } catch (error) {
    for (const [name, page] of [
      ['owner', owner],
      ['colleague', colleague],
      ['intern', intern],
    ] as const) {
      await page
        .screenshot({ path: join(ARTIFACTS, `keys-journey-${name}-failure.png`), fullPage: true })
        .catch(() => undefined);
    }
    throw error;
  }
}, 300_000);
