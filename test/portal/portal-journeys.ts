/**
 * Steps the Chromium journeys against the local runtime share: waiting for
 * an asynchronous outcome, signing in, registering a new org in the portal
 * and setting its webhook URL, calls to the admin API (another org through
 * it), and waiting until a webhook delivers.
 */
import type { Page } from 'playwright-core';
import type { startRuntimePortalWorld } from './portal-world';

type RuntimePortalWorld = Awaited<ReturnType<typeof startRuntimePortalWorld>>;

export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Signs in at the local issuer as `login` (any password; an email login is that user's verified email). */
export async function signInAs(page: Page, portalUrl: string, login: string): Promise<void> {
  await page.goto(portalUrl);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.locator('button[type=submit]').click();
}

/** Signs in at the local issuer as the test user and creates `org` on the onboarding page; the dashboard opens. */
export async function onboardInPortal(
  page: Page,
  portal: { readonly portalUrl: string; readonly testUser: string },
  org: { readonly orgId: string; readonly orgName: string },
): Promise<void> {
  await signInAs(page, portal.portalUrl, portal.testUser);
  await page.waitForURL(`${portal.portalUrl}/onboarding`);
  await page.getByLabel('Organization id').fill(org.orgId);
  await page.getByLabel('Organization name').fill(org.orgName);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.waitForURL(/\/dashboard/);
}

/** Signs in at the local issuer (any password), onboards `org` and saves its first webhook URL. */
export async function registerInPortal(
  page: Page,
  portal: { readonly portalUrl: string; readonly testUser: string },
  org: { readonly orgId: string; readonly orgName: string; readonly webhookUrl: string },
): Promise<void> {
  await onboardInPortal(page, portal, org);
  await page.getByRole('textbox', { name: 'Webhook URL' }).fill(org.webhookUrl);
  await page.getByRole('button', { name: 'Save webhook URL' }).click();
  await page.waitForURL(/notice=webhook-saved/);
}

/** The org's (first) webhook, once verified and provisioned: its id. */
export async function waitUntilLive(world: RuntimePortalWorld, orgId: string): Promise<string> {
  const [webhook] = await world.repositories.webhooks.listAll(orgId);
  await eventually(
    `the webhook of ${orgId} to go live`,
    async () => {
      await world.verifyWebhooks();
      const record = await world.repositories.webhooks.get(orgId, webhook.webhookId);
      return record?.status === 'active' && record.delivery?.state === 'live';
    },
    30_000,
  );
  return webhook.webhookId;
}

/** A call to the local runtime's admin API with both admin credentials: the status and the JSON body. */
export async function adminCall(
  world: RuntimePortalWorld,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ readonly status: number; readonly body: unknown }> {
  const response = await fetch(`${world.runtime.apiUrl}${path}`, {
    method,
    headers: {
      'X-Admin-API-Key': world.runtime.admin.apiKey,
      Authorization: `Bearer ${await world.runtime.admin.token()}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Another org, made through the admin API, owned by `ownerEmail`, subscribed to everything at `webhookUrl`. */
export async function registerOrgByAdmin(
  world: RuntimePortalWorld,
  org: { readonly orgId: string; readonly orgName: string; readonly ownerEmail: string; readonly webhookUrl: string },
): Promise<void> {
  const call = async (path: string, body: unknown) => {
    const response = await adminCall(world, 'POST', path, body);
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  };
  await call(`/tenants/${org.orgId}/register`, { orgName: org.orgName, ownerEmail: org.ownerEmail });
  await call(`/tenants/${org.orgId}/webhooks`, { url: org.webhookUrl, events: ['*'] });
}

/** A member's row on the Team page. */
export const memberRow = (page: Page, email: string) => page.locator(`tr.member[data-email="${email}"]`);

/**
 * Opens the runtime's mail catcher, takes the newest invitation link sent to
 * `email` and follows it, signing in at the local issuer as `email` on the
 * way (the link leads through sign-in and back): the link, whose invitation
 * page is then open.
 */
export async function followInvitationMail(page: Page, world: RuntimePortalWorld, email: string): Promise<string> {
  await page.goto(world.runtime.portal!.mailUrl);
  const link = await page.locator(`article.mail[data-to="${email}"] a.mail-link`).first().getAttribute('href');
  if (link === null) throw new Error(`no invitation mail to ${email} in the mail catcher`);
  await page.goto(link);
  await page.locator('input[name=login]').fill(email);
  await page.locator('input[name=password]').fill('any password');
  await page.locator('button[type=submit]').click();
  await page.waitForURL(link);
  return link;
}

/** On the open invitation page, accepts it and waits for the Team page: the role it shows the new member. */
export async function acceptOpenInvitation(page: Page): Promise<string | null> {
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await page.waitForURL(/\/team\?notice=joined/);
  return page.locator('#team-self-role').textContent();
}

/** On the open Team page, changes `email`'s role with its row's form and waits for the notice. */
export async function changeRoleOnTeamPage(page: Page, email: string, role: string): Promise<void> {
  await memberRow(page, email).getByLabel(`Role of ${email}`).selectOption(role);
  await memberRow(page, email).getByRole('button', { name: 'Change role' }).click();
  await page.waitForURL(/notice=role-changed/);
}
