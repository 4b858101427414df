/**
 * The Events page and "Send test event", in headless Chromium against the
 * local runtime: the page lists every catalog type with its example; a test
 * event is the type's example, published through the platform bus with
 * `detail.partnerId` = the signed-in org, and reaches that org's receiver
 * with its webhook's secret header and no one else's, not even an org whose
 * id extends it (`acme` and `acme-evil`); past the per-org budget (2 a
 * minute here, set through the runtime's settings) the portal answers 429.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Browser, Page, Response } from 'playwright-core';
import { TenantsTable } from '../../lambda/core/data-model';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { TEST_EVENT_LIMIT_KEY_PREFIX } from '../../lambda/portal/test-event-limit';
import { RecordingReceiver } from '../local/recording-receiver';
import { launchChromium } from './chromium';
import { eventually, registerInPortal, registerOrgByAdmin, waitUntilLive } from './portal-journeys';
import { startRuntimePortalWorld } from './portal-world';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'portal');
const ORG_ID = 'acme';
const EVIL_ORG_ID = 'acme-evil';
const PER_MINUTE = 2;

let world: Awaited<ReturnType<typeof startRuntimePortalWorld>>;
let browser: Browser;
const mine = new RecordingReceiver();
const evil = new RecordingReceiver();
let mineUrl: string;
let evilUrl: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [mineUrl, evilUrl] = await Promise.all([mine.start(), evil.start()]);
  [world, browser] = await Promise.all([
    startRuntimePortalWorld({ testEventsPerMinute: PER_MINUTE }),
    launchChromium(),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await Promise.all([mine.stop(), evil.stop()]);
}, 30_000);

/** Picks `type` and submits; the answer to the POST (303 when sent, 429 when over budget). */
async function sendTestEvent(page: Page, type: string): Promise<Response> {
  await page.getByLabel('Event type').selectOption(type);
  const [response] = await Promise.all([
    page.waitForResponse(
      (candidate) => candidate.request().method() === 'POST' && candidate.url().endsWith('/events/test'),
    ),
    page.getByRole('button', { name: 'Send test event' }).click(),
  ]);
  await page.waitForLoadState();
  return response;
}

describe('portal: the Events page and Send test event', () => {
  it('lists the catalog, delivers a test event to this org only, and refuses past the budget with 429', async () => {
    await registerOrgByAdmin(world, {
      orgId: EVIL_ORG_ID,
      orgName: 'Acme Evil',
      ownerEmail: 'owner@acme-evil.example',
      webhookUrl: evilUrl,
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await registerInPortal(page, world, { orgId: ORG_ID, orgName: 'Acme', webhookUrl: mineUrl });
    const webhookId = await waitUntilLive(world, ORG_ID);
    await waitUntilLive(world, EVIL_ORG_ID);

    await page.getByRole('link', { name: 'Events' }).click();
    await page.waitForURL(/\/events$/);
    const names = await page.locator('.event-type-name').allTextContents();
    expect(names).toEqual(PLATFORM_EVENT_CATALOG.types.map((type) => type.name));
    const shadow = PLATFORM_EVENT_CATALOG.types.find((type) => type.name === 'Shadow Update')!;
    const shadowExample = await page.locator('#type-Shadow-Update pre.example').textContent();
    expect(JSON.parse(shadowExample!)).toEqual(shadow.example);
    await page.screenshot({ path: join(ARTIFACTS, 'events-01-catalog.png'), fullPage: true });

    const sent = await sendTestEvent(page, 'Shadow Update');
    expect(sent.status()).toBe(303);
    await expect(page.locator('#events-notice').textContent()).resolves.toMatch(/Test event \S+ \(Shadow Update\)/);
    const eventId = new URL(page.url()).searchParams.get('sent');
    await world.runtime.bus.whenIdle();
    await eventually('the test event at the receiver', async () => mine.received.length === 1);
    const [delivered] = mine.received;
    expect(delivered.body).toMatchObject({
      id: eventId,
      source: shadow.source,
      'detail-type': 'Shadow Update',
      detail: { ...shadow.example, partnerId: ORG_ID },
    });
    const secretArn = (await world.repositories.webhooks.get(ORG_ID, webhookId))!.secretArn!;
    expect(delivered.headers['x-partner-platform-secret']).toBe((await world.secrets.getSecretValue(secretArn))?.value);
    expect(evil.received).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'events-02-sent.png'), fullPage: true });

    // Send until refused: a minute boundary may reset the count once, so at most 2 budgets pass first.
    let accepted = 1;
    let refused: Response | undefined;
    for (let attempt = 0; attempt < 2 * PER_MINUTE + 1 && refused === undefined; attempt++) {
      const response = await sendTestEvent(page, 'LockCreated');
      if (response.status() === 429) refused = response;
      else {
        expect(response.status()).toBe(303);
        accepted += 1;
      }
    }
    expect(refused?.status()).toBe(429);
    await expect(page.locator('#events-error').textContent()).resolves.toContain(
      `Too many test events: at most ${PER_MINUTE} a minute for your organization.`,
    );
    // The refusal came from a full window: the counter of the current minute holds exactly the budget.
    const nowSeconds = Math.floor(world.runtime.clock.now().getTime() / 1000);
    const windowStart = nowSeconds - (nowSeconds % 60);
    const counters = await Promise.all(
      [windowStart, windowStart - 60].map(async (start) => {
        const { Item } = await world.runtime.doc.send(
          new GetCommand({
            TableName: world.runtime.tables.tenants,
            Key: { [TenantsTable.partitionKey]: `${TEST_EVENT_LIMIT_KEY_PREFIX}${ORG_ID}#${start}` },
          }),
        );
        return Item?.count as number | undefined;
      }),
    );
    expect(counters).toContain(PER_MINUTE);
    await page.screenshot({ path: join(ARTIFACTS, 'events-03-rate-limited.png'), fullPage: true });

    await world.runtime.bus.whenIdle();
    await eventually('every accepted test event at the receiver', async () => mine.received.length === accepted);
    expect(mine.received.every((event) => event.body.detail.partnerId === ORG_ID)).toBe(true);
    expect(evil.received).toEqual([]);
    expect(evil.challenges.length).toBeGreaterThanOrEqual(1);
    await context.close();
  }, 150_000);
});
