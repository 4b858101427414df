/**
 * The portal's promise, in headless Chromium against the local runtime:
 * register an org, set the webhook URL — "Done, events start arriving".
 * The URL is challenged at a real receiver on 127.0.0.1, the provisioner
 * makes its EventBridge resources through the runtime's EventBridge
 * endpoint, and events published with the real EventBridge client arrive
 * with the webhook's secret header: only the org's own, not those of an
 * org whose id it prefixes.
 */
import { localEventBridgeClient } from '../../local/eventbridge-client';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Browser } from 'playwright-core';
import { RecordingReceiver } from '../local/recording-receiver';
import { launchChromium } from './chromium';
import { eventually, registerInPortal } from './portal-journeys';
import { startRuntimePortalWorld } from './portal-world';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'portal');
const ORG_ID = 'portal-acme';

let world: Awaited<ReturnType<typeof startRuntimePortalWorld>>;
let browser: Browser;
const receiver = new RecordingReceiver();
let receiverUrl: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  receiverUrl = await receiver.start();
  [world, browser] = await Promise.all([startRuntimePortalWorld(), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await receiver.stop();
}, 30_000);

describe('portal: set the webhook URL, then events arrive', () => {
  it('registers an org, sets its URL in the browser, and receives only its own events with the secret', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const url = receiverUrl.replace(/\/receive$/, `/hooks/${ORG_ID}`);
    await registerInPortal(page, world, { orgId: ORG_ID, orgName: 'Portal Acme', webhookUrl: url });
    await page.screenshot({ path: join(ARTIFACTS, 'delivery-01-webhook-saved.png'), fullPage: true });

    const [webhook] = await world.repositories.webhooks.listAll(ORG_ID);
    expect(webhook).toMatchObject({ source: 'portal', url });
    await eventually('the portal webhook to go live', async () => {
      const record = await world.repositories.webhooks.get(ORG_ID, webhook.webhookId);
      return record?.status === 'active' && record.delivery?.state === 'live';
    });
    expect(receiver.challenges.length).toBeGreaterThanOrEqual(1);
    await page.reload();
    await page.screenshot({ path: join(ARTIFACTS, 'delivery-02-webhook-live.png'), fullPage: true });

    const client = localEventBridgeClient(world.runtime.eventBridgeUrl);
    try {
      const entries = [ORG_ID, `${ORG_ID}-evil`, 'portal'].map((partnerId, seq) => ({
        Source: 'spk.api',
        DetailType: 'LockCreated',
        Detail: JSON.stringify({ partnerId, seq }),
      }));
      expect((await client.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
      await world.runtime.bus.whenIdle();
    } finally {
      client.destroy();
    }
    expect(receiver.received.map((event) => event.body.detail)).toEqual([{ partnerId: ORG_ID, seq: 0 }]);
    const secret = await world.secrets.getSecretValue(webhook.secretArn!);
    expect(receiver.received[0].headers['x-partner-platform-secret']).toBe(secret?.value);
    await context.close();
  }, 90_000);
});
