/**
 * The "View usage" page in headless Chromium against the local runtime: a
 * partner onboards in the portal and takes its key; probe calls with that
 * key (all but the first answered from the gateway's authorizer cache) and
 * calls that fail in the handler go through the local API Gateway, whose
 * access-log lines the runtime ingests; the usage page then shows them with
 * the right status classes, in its totals, its SVG chart and its table, and
 * switches to days by a link. Another org's key id is not found.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import { onboardInPortal } from './portal-journeys';
import { startRuntimePortalWorld } from './portal-world';

const ORG = { orgId: 'usage-journey', orgName: 'Usage Journey Ltd' };

let world: Awaited<ReturnType<typeof startRuntimePortalWorld>>;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  [world, browser] = await Promise.all([startRuntimePortalWorld(), launchChromium()]);
  context = await browser.newContext();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await world?.close();
}, 30_000);

async function onboardAndTakeKey(page: Page): Promise<string> {
  await onboardInPortal(page, world, ORG);
  if ((await page.locator('#revealed-key').count()) === 0) {
    await page.getByRole('button', { name: 'Issue a new API key' }).click();
    await page.waitForURL(/\/dashboard/);
  }
  await page.locator('#reveal summary').click();
  return (await page.locator('#revealed-key').textContent())!.trim();
}

async function api(path: string, apiKey: string): Promise<number> {
  const response = await fetch(`${world.runtime.apiUrl}${path}`, { headers: { 'X-API-Key': apiKey } });
  await response.arrayBuffer();
  return response.status;
}

it('probe calls (cached ones included) and failed calls show on the usage page with their status classes', async () => {
  const page = await context.newPage();
  const apiKey = await onboardAndTakeKey(page);
  const [key] = (await world.repositories.keys.listByOrg(ORG.orgId)).items;
  // 4 probes: the authorizer answers the first, its cache the other three. Then 2 handler 404s.
  for (let index = 0; index < 4; index++) expect(await api('/partner-auth-probe', apiKey)).toBe(200);
  expect(await api('/v1/partner/credentials/missing/usage', apiKey)).toBe(404);
  expect(await api('/v1/partner/webhooks/missing/failures', apiKey)).toBe(404);
  await world.runtime.usage!.flush();

  await page.goto(`${world.portalUrl}/keys/${key.keyId}/usage`);
  await expect(page.locator('h1').textContent()).resolves.toContain('Usage of key');
  await expect(page.locator('#usage-total').textContent()).resolves.toBe('6');
  await expect(page.locator('#usage-2xx').textContent()).resolves.toBe('4');
  await expect(page.locator('#usage-4xx').textContent()).resolves.toBe('2');
  await expect(page.locator('#usage-5xx').textContent()).resolves.toBe('0');
  await expect(page.locator('#usage-error-rate').textContent()).resolves.toBe('33.3%');
  await expect(page.locator('#usage-last-used').textContent()).resolves.not.toBe('never');
  await expect(page.locator('#usage-rate-limit').textContent()).resolves.toContain('requests per second');
  // The chart is an image with a title and a description, and no script is on the page.
  await expect(page.locator('#usage-chart').getAttribute('role')).resolves.toBe('img');
  await expect(page.locator('#usage-chart-desc').textContent()).resolves.toContain('6 requests');
  await expect(page.locator('script').count()).resolves.toBe(0);
  // The table has the same numbers: one hour with 6 requests, 4 of them 2xx and 2 of them 4xx.
  const cells = await page.locator('#usage-table tbody tr').first().locator('td').allTextContents();
  expect(cells).toEqual(['6', '4', '0', '2', '0']);

  await page.getByRole('link', { name: 'Last 30 days by day' }).click();
  await page.waitForURL(/granularity=day/);
  await expect(page.locator('#usage-total').textContent()).resolves.toBe('6');
  await expect(page.locator('#usage-table caption').textContent()).resolves.toContain('per day');

  const other = await page.goto(`${world.portalUrl}/keys/${world.runtime.partners[0].keyId}/usage`);
  expect(other?.status()).toBe(404);
});
