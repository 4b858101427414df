/**
 * Issue 15's acceptance in the portal, in headless Chromium against the
 * local runtime: an org registered in the portal points its webhook at a
 * receiver on 127.0.0.1 that answers 500; after the retries (2 here, backoff
 * in milliseconds) every event is on its "Recent failed deliveries" page
 * with status 500; the receiver heals (but for a few events it still
 * refuses); "Replay since" delivers every other one exactly once, and the
 * same form submitted again replays nothing; nothing is lost (sent =
 * delivered + still listed); a row's Replay sends that one; and a second org
 * (`acme-evil`, whose id `acme` prefixes; a partner file, so its owner can
 * sign in), signed in as its owner, sees none of it, and not found on acme's
 * page.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Browser, Page } from 'playwright-core';
import { localEventBridgeClient } from '../../local/eventbridge-client';
import { SwitchableReceiver } from '../../scripts/lib/switchable-receiver';
import { launchChromium } from './chromium';
import { registerInPortal, signInAs, waitUntilLive } from './portal-journeys';
import { startRuntimePortalWorld } from './portal-world';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'portal');
const ORG_ID = 'acme';
const EVIL = { orgId: 'acme-evil', ownerEmail: 'owner@acme-evil.example', webhookId: 'orders' };
const EVIL_URL = 'https://acme-evil.example/hooks/orders';
const SENT = 6;
const RETRY_ATTEMPTS = 2;

let world: Awaited<ReturnType<typeof startRuntimePortalWorld>>;
let browser: Browser;
let events: EventBridgeClient;
const mine = new SwitchableReceiver();
const evil = new SwitchableReceiver();
let mineUrl: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  let evilUrl: string;
  [mineUrl, evilUrl] = await Promise.all([mine.start(), evil.start()]);
  evil.failing = () => false;
  [world, browser] = await Promise.all([
    startRuntimePortalWorld({
      partners: [
        {
          orgId: EVIL.orgId,
          ownerEmail: EVIL.ownerEmail,
          webhooks: [{ id: EVIL.webhookId, url: EVIL_URL, events: ['LockCreated'] }],
        },
      ],
      urlOverrides: { [EVIL_URL]: evilUrl },
      environmentOverrides: { delivery: { retryAttempts: RETRY_ATTEMPTS } },
      retryBaseDelayMs: 2,
      retryMaxDelayMs: 10,
    }),
    launchChromium(),
  ]);
  events = localEventBridgeClient(world.runtime.eventBridgeUrl);
}, 180_000);

afterAll(async () => {
  events?.destroy();
  await browser?.close();
  await world?.close();
  await Promise.all([mine.stop(), evil.stop()]);
}, 30_000);

async function publish(partnerId: string, count: number): Promise<void> {
  const entries = Array.from({ length: count }, (_, seq) => ({
    EventBusName: world.runtime.platformBusName,
    Source: 'spk.api',
    DetailType: 'LockCreated',
    Detail: JSON.stringify({ partnerId, seq }),
  }));
  const result = await events.send(new PutEventsCommand({ Entries: entries }));
  expect(result.FailedEntryCount).toBe(0);
}

async function settle(): Promise<void> {
  await world.runtime.bus.whenIdle();
  await world.runtime.failures!.whenConsumed();
}

/** The failures page's rows: event id, HTTP status and status. */
async function rows(page: Page) {
  return page.locator('tr.failure').evaluateAll((trs) =>
    trs.map((tr) => ({
      eventId: tr.getAttribute('data-event-id'),
      httpStatus: tr.querySelector('.failure-http-status')?.textContent?.trim(),
      status: tr.querySelector('.failure-status')?.textContent?.trim(),
    })),
  );
}

/** A minute before `date`, as `<input type="datetime-local">` takes it (UTC on this page). */
const minuteBefore = (date: Date) => new Date(date.getTime() - 60_000).toISOString().slice(0, 16);

describe('portal: failed deliveries are visible and recoverable (issue 15)', () => {
  it('lists the 500s after the retries, replays since a time exactly once, and shows another org none of it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await registerInPortal(page, world, { orgId: ORG_ID, orgName: 'Acme', webhookUrl: mineUrl });
    const webhookId = await waitUntilLive(world, ORG_ID);

    const startedAt = world.runtime.clock.now();
    await publish(ORG_ID, SENT);
    await publish(EVIL.orgId, 2);
    await settle();
    expect(mine.attempts).toBe(SENT * (1 + RETRY_ATTEMPTS));
    expect(evil.delivered).toHaveLength(2);

    await page.goto(`${world.portalUrl}/dashboard`);
    await page.getByRole('link', { name: /Recent failed deliveries of/ }).click();
    await page.waitForURL(`${world.portalUrl}/webhooks/${webhookId}/failures`);
    const listed = await rows(page);
    expect(listed).toHaveLength(SENT);
    expect(listed.every((row) => row.httpStatus === '500' && row.status === 'failed')).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'failures-01-listed.png'), fullPage: true });

    // The receiver heals, but for seq 0 and 3.
    mine.failing = (event) => event.detail.seq % 3 === 0;
    const form = page.locator('form.replay-since');
    const submitted = {
      _csrf: await form.locator('input[name=_csrf]').inputValue(),
      requestId: await form.locator('input[name=requestId]').inputValue(),
      since: minuteBefore(startedAt),
    };
    await page.getByLabel('Replay every failed delivery since (UTC)').fill(submitted.since);
    await page.getByRole('button', { name: 'Replay since' }).click();
    await page.waitForURL(/replay=sent/);
    expect(new URL(page.url()).searchParams.get('count')).toBe(String(SENT));
    // The same form submitted again (a double click, a resent POST) replays nothing more.
    const again = await context.request.post(`${world.portalUrl}/webhooks/${webhookId}/replay`, {
      form: submitted,
      maxRedirects: 0,
    });
    expect(again.status()).toBe(303);
    expect(again.headers().location).toContain('replay=duplicate');
    await settle();

    const delivered = mine.delivered.map((event) => event.detail.replayOf);
    expect(new Set(delivered).size).toBe(delivered.length); // exactly once each
    expect(delivered).toHaveLength(SENT - 2);
    expect(mine.delivered.every((event) => event.detail.replayFor === webhookId)).toBe(true);
    await page.reload();
    const after = await rows(page);
    const stillFailed = after.filter((row) => row.status === 'failed');
    expect(stillFailed).toHaveLength(2);
    expect(SENT).toBe(delivered.length + stillFailed.length); // nothing lost
    expect(
      after
        .filter((row) => row.status === 'replayed')
        .map((row) => row.eventId)
        .sort(),
    ).toEqual([...delivered].sort());
    await page.screenshot({ path: join(ARTIFACTS, 'failures-02-replayed.png'), fullPage: true });

    // A row's Replay, once the endpoint is fully healed, sends that one event.
    mine.failing = () => false;
    const one = stillFailed[0].eventId!;
    await page.getByRole('button', { name: `Replay event ${one}` }).click();
    await page.waitForURL(/replay=sent&count=1/);
    await settle();
    expect(mine.delivered.map((event) => event.detail.replayOf)).toEqual([...delivered, one]);
    expect(evil.delivered).toHaveLength(2); // the other org got no replay
    await context.close();

    // The other org's owner: their page lists nothing, and acme's page is not found.
    const evilContext = await browser.newContext();
    const evilPage = await evilContext.newPage();
    await signInAs(evilPage, world.portalUrl, EVIL.ownerEmail);
    await evilPage.waitForURL((url) => url.href.startsWith(world.portalUrl) && !/^\/(callback)?$/.test(url.pathname));
    await evilPage.screenshot({ path: join(ARTIFACTS, 'failures-03-other-org-signed-in.png'), fullPage: true });
    expect(new URL(evilPage.url()).pathname).toBe('/dashboard');
    await evilPage.getByRole('link', { name: /Recent failed deliveries of/ }).click();
    await evilPage.waitForURL(`${world.portalUrl}/webhooks/${EVIL.webhookId}/failures`);
    expect(await rows(evilPage)).toEqual([]);
    await expect(evilPage.locator('#no-failures').textContent()).resolves.toBe('No failed deliveries.');
    const foreign = await evilPage.goto(`${world.portalUrl}/webhooks/${webhookId}/failures`);
    expect(foreign?.status()).toBe(404);
    expect(await evilPage.content()).not.toContain(one);
    await evilPage.screenshot({ path: join(ARTIFACTS, 'failures-03-other-org.png'), fullPage: true });
    await evilContext.close();
  }, 180_000);
});
