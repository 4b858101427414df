/**
 * The partner journey in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against the local runtime as `npm run local` starts it:
 * OIDC issuer, portal, DynamoDB Local, the API from the synthesized
 * template, a webhook receiver on 127.0.0.1 and the real verification
 * handler. A screenshot of every page lands in test-artifacts/portal/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import { type PortalWorld, startRuntimePortalWorld } from './portal-world';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'portal');

let world: PortalWorld & { readonly testUser: string };
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [world, browser] = await Promise.all([startRuntimePortalWorld(), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
}, 30_000);

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('partner portal in a browser', () => {
  it('takes a partner from sign-in to a verified webhook, shows the key once, and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();

    // Sign in at the local issuer.
    await page.goto(world.portalUrl);
    await page.locator('input[name=login]').fill(world.testUser);
    await page.locator('input[name=password]').fill('any password');
    await shot(page, '01-issuer-login');
    await page.locator('button[type=submit]').click();

    // Onboarding: a bad id first, then a good one.
    await page.waitForURL(`${world.portalUrl}/onboarding`);
    await shot(page, '02-onboarding');
    await page.getByLabel('Organization id').fill('Not Valid');
    await page.getByLabel('Organization name').fill('Browser Test Partner');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await expectText(page, '#orgId-error', 'lower-case letters');
    await shot(page, '03-onboarding-invalid');
    await page.getByLabel('Organization id').fill('browser-partner');
    await page.getByRole('button', { name: 'Create organization' }).click();

    // Dashboard: the key is revealed once.
    await page.waitForURL(/\/dashboard/);
    await expectText(page, '#org-id', 'browser-partner');
    const warning = await page.locator('#reveal').innerText();
    expect(warning).toContain("Save it now, you can't see it again");
    expect(await page.locator('#revealed-key').isVisible()).toBe(false);
    await page.getByText('Reveal API key').click();
    const firstKey = (await page.locator('#revealed-key').innerText()).trim();
    expect(firstKey).toMatch(/^[A-Za-z0-9]{40}$/);
    const masked = (await page.locator('#masked-key').innerText()).trim();
    expect(masked).toBe(`${firstKey.slice(0, 8)}…${firstKey.slice(-4)}`);
    await shot(page, '04-dashboard-key-revealed');

    // A reload shows only the masked key.
    await page.reload();
    expect(await page.locator('#revealed-key').count()).toBe(0);
    expect(await page.content()).not.toContain(firstKey);
    await expectText(page, '#masked-key', masked);
    await shot(page, '05-dashboard-masked');

    // The key works against the partner API.
    const probe = await world.callProbe(firstKey);
    expect(probe).toEqual({ status: 200, body: expect.objectContaining({ orgId: 'browser-partner' }) });

    // Rotate with 0 h grace: a new key is revealed and the old one stops working.
    await page.getByText('Rotate API key', { exact: true }).first().click();
    await page.getByLabel('Revoke it now').check();
    await page.getByLabel(/I understand/).check();
    await shot(page, '06-rotate-confirm');
    const rotation = page.waitForResponse((r) => r.url().endsWith('/keys/rotate') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Rotate API key' }).click();
    const flash = /portal_flash=([^;]+)/.exec((await (await rotation).headerValue('set-cookie')) ?? '')![1];
    await page.waitForURL(/notice=rotated/);
    await page.getByText('Reveal API key').click();
    const secondKey = (await page.locator('#revealed-key').innerText()).trim();
    expect(secondKey).not.toBe(firstKey);
    await shot(page, '07-rotated');
    expect((await world.callProbe(secondKey)).status).toBe(200);
    expect((await world.callProbe(firstKey)).status).toBe(401);

    // A refresh with the flash cookie put back (a replay inside its 2 minutes): the server used its nonce up.
    await context.addCookies([{ name: 'portal_flash', value: flash, url: world.portalUrl, httpOnly: true }]);
    await page.reload();
    expect(await page.locator('#revealed-key').count()).toBe(0);
    await expectText(page, '#reveal-spent', 'already shown once');
    expect(await page.content()).not.toContain(secondKey);
    await shot(page, '07b-reveal-replayed');

    // Webhook URL: pending until the receiver answers the challenge, then active.
    await expectText(page, '#no-webhook', 'No webhook URL configured');
    const webhookUrl = `${world.receiver.origin}/hooks/browser-partner`;
    await page.getByRole('textbox', { name: 'Webhook URL' }).fill(webhookUrl);
    await page.getByRole('button', { name: 'Save webhook URL' }).click();
    await page.waitForURL(/notice=webhook-saved/);
    await expectText(page, '#webhook-status', 'Pending verification');
    await expectText(page, '#webhook-url', webhookUrl);
    await shot(page, '08-webhook-pending');
    await world.verifyWebhooks();
    expect(world.receiver.requests.map((request) => request.path)).toEqual(['/hooks/browser-partner']);
    expect(world.receiver.requests[0].headers['webhook-signature']).toMatch(/^v1,/);
    await page.reload();
    await expectText(page, '#webhook-status', 'Active');
    await shot(page, '09-webhook-active');

    // A POST without the CSRF token is refused and changes nothing.
    const before = await world.snapshot();
    const forged = await context.request.post(`${world.portalUrl}/keys/rotate`, {
      form: { graceHours: '0', confirm: 'yes' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await world.snapshot()).toEqual(before);
    await page.setContent(await forged.text());
    await shot(page, '10-csrf-refused');

    // Sign out: the session cookie is gone and the dashboard needs a new sign-in.
    await page.goto(`${world.portalUrl}/dashboard`);
    const [session] = (await context.cookies(world.portalUrl)).filter((cookie) => cookie.name === 'portal_session');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signed-out/);
    await shot(page, '11-signed-out');
    const cookies = await context.cookies(world.portalUrl);
    expect(cookies.map((cookie) => cookie.name)).not.toContain('portal_session');
    const after = await context.request.get(`${world.portalUrl}/dashboard`, { maxRedirects: 0 });
    expect(after.status()).toBe(303);
    expect(after.headers().location).toBe('/login');
    // The old session cookie, put back (a replay), signs no one in: the session ended on the server.
    await context.addCookies([session]);
    const replayed = await context.request.get(`${world.portalUrl}/dashboard`, { maxRedirects: 0 });
    expect(replayed.status()).toBe(303);
    expect(replayed.headers().location).toBe('/login');
    await context.close();
  }, 60_000);
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).waitFor({ timeout: 5_000 });
  expect(await page.locator(selector).innerText()).toContain(text);
}
