/**
 * Steps the Chromium journeys against the local runtime share: waiting for
 * an asynchronous outcome, and signing in as the runtime's test user to
 * register a new org and set its webhook URL.
 */
import type { Page } from 'playwright-core';

export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Signs in at the local issuer (any password), onboards `org` and saves its first webhook URL. */
export async function registerInPortal(
  page: Page,
  portal: { readonly portalUrl: string; readonly testUser: string },
  org: { readonly orgId: string; readonly orgName: string; readonly webhookUrl: string },
): Promise<void> {
  await page.goto(portal.portalUrl);
  await page.locator('input[name=login]').fill(portal.testUser);
  await page.locator('input[name=password]').fill('any password');
  await page.locator('button[type=submit]').click();
  await page.waitForURL(`${portal.portalUrl}/onboarding`);
  await page.getByLabel('Organization id').fill(org.orgId);
  await page.getByLabel('Organization name').fill(org.orgName);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.waitForURL(/\/dashboard/);
  await page.getByRole('textbox', { name: 'Webhook URL' }).fill(org.webhookUrl);
  await page.getByRole('button', { name: 'Save webhook URL' }).click();
  await page.waitForURL(/notice=webhook-saved/);
}
