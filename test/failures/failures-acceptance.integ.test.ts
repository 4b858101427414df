/**
 * Issue 15's acceptance journey against the local runtime, over HTTP: a
 * receiver answering 500 makes every event fail after the retries (the
 * template's retry policy, backoff shortened to milliseconds); the DLQ
 * consumer records each as a failed delivery the partner API lists with
 * status 500; the receiver heals (but for a few events it still refuses);
 * "replay since" delivers every other one exactly once, to this webhook
 * only (not the same org's other webhook subscribed to the same types);
 * nothing is lost (sent = delivered + still failed); the same request id
 * again replays nothing; and `acme-evil`, whose orgId `acme` prefixes and
 * whose webhook has the same id, sees none of it.
 *
 * The wall clock on purpose: DynamoDB Local's TTL sweep deletes items whose
 * `expiresAt` (set from the runtime's clock) is in the real past.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { localEventBridgeClient } from '../../local/eventbridge-client';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { SwitchableReceiver } from '../../scripts/lib/switchable-receiver';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

const SENT = 12;
const RETRY_ATTEMPTS = 2;
const url = (orgId: string, id: string) => `https://${orgId}.example/hooks/${id}`;
const receivers = {
  orders: new SwitchableReceiver(),
  audit: new SwitchableReceiver(),
  evil: new SwitchableReceiver(),
};
let runtime: LocalRuntime;
let events: EventBridgeClient;
const keys: Record<string, string> = {};

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const partner = (orgId: string, method: string, path: string, body?: unknown) =>
  call(method, path, { 'X-API-Key': keys[orgId] }, body);

/** Every failure of a webhook, page by page (limit 5). */
async function allFailures(orgId: string, webhookId: string): Promise<any[]> {
  const found: any[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '?limit=5' : `?limit=5&cursor=${encodeURIComponent(cursor)}`;
    const page = await partner(orgId, 'GET', `/v1/partner/webhooks/${webhookId}/failures${query}`);
    expect(page.status).toBe(200);
    found.push(...page.body.failures);
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return found;
}

async function settle(): Promise<void> {
  await runtime.bus.whenIdle();
  await runtime.failures!.whenConsumed();
}

beforeAll(async () => {
  const root = workspaceWithPartners(
    [
      {
        orgId: 'acme',
        webhooks: [
          { id: 'orders', url: url('acme', 'orders'), events: ['LockCreated'] },
          { id: 'audit', url: url('acme', 'audit'), events: ['LockCreated'] },
        ],
      },
      { orgId: 'acme-evil', webhooks: [{ id: 'orders', url: url('acme-evil', 'orders'), events: ['LockCreated'] }] },
    ],
    { environmentOverrides: { delivery: { retryAttempts: RETRY_ATTEMPTS } } },
  );
  const outdir = synthesize(loadWorkspace(root)).outdir;
  const urlOverrides = {
    [url('acme', 'orders')]: await receivers.orders.start(),
    [url('acme', 'audit')]: await receivers.audit.start(),
    [url('acme-evil', 'orders')]: await receivers.evil.start(),
  };
  receivers.audit.failing = () => false;
  receivers.evil.failing = () => false;
  runtime = await startLocalRuntime({
    assemblyDir: outdir,
    port: 0,
    urlOverrides,
    verificationIntervalMs: 3_600_000,
    retryBaseDelayMs: 2,
    retryMaxDelayMs: 10,
  });
  for (const onboarded of runtime.partners) keys[onboarded.orgId] = onboarded.initialApiKey!;
  events = localEventBridgeClient(runtime.eventBridgeUrl);
}, 180_000);

afterAll(async () => {
  events?.destroy();
  await runtime?.stop();
  await Promise.all(Object.values(receivers).map((receiver) => receiver.stop()));
});

async function publish(partnerId: string, count: number): Promise<void> {
  for (let seq = 0; seq < count; seq += 10) {
    const entries = Array.from({ length: Math.min(10, count - seq) }, (_, index) => ({
      Source: 'spk.api',
      DetailType: 'LockCreated',
      Detail: JSON.stringify({ partnerId, seq: seq + index }),
    }));
    const result = await events.send(new PutEventsCommand({ Entries: entries }));
    expect(result.FailedEntryCount).toBe(0);
  }
}

describe('failed deliveries are visible and recoverable (issue 15, local runtime over HTTP)', () => {
  it('lists every event the 500-answering receiver refused, after the retries, with status 500', async () => {
    await publish('acme', SENT);
    await publish('acme-evil', 3);
    await settle();
    // Each event was tried 1 + RETRY_ATTEMPTS times, then dead-lettered.
    expect(receivers.orders.attempts).toBe(SENT * (1 + RETRY_ATTEMPTS));
    expect(runtime.bus.deadLetters()).toEqual([]); // consumed into the failures table
    const failures = await allFailures('acme', 'orders');
    expect(failures).toHaveLength(SENT);
    expect(new Set(failures.map((failure) => failure.eventId)).size).toBe(SENT);
    for (const failure of failures) {
      expect(failure).toMatchObject({ detailType: 'LockCreated', httpStatus: 500, status: 'failed', failures: 1 });
      expect(JSON.stringify(failure)).not.toMatch(/secret/i);
    }
    expect(receivers.audit.delivered).toHaveLength(SENT);
    expect(receivers.evil.delivered).toHaveLength(3);
  });

  it('shows acme-evil none of it, through either API, and refuses a crafted cursor with 400', async () => {
    expect(await allFailures('acme-evil', 'orders')).toEqual([]);
    expect(await allFailures('acme', 'audit')).toEqual([]);
    const token = await runtime.admin.token();
    const admin = { 'X-Admin-API-Key': runtime.admin.apiKey, Authorization: `Bearer ${token}` };
    const asAdmin = await call('GET', '/tenants/acme/webhooks/orders/failures?limit=100', admin);
    expect(asAdmin.body.failures).toHaveLength(SENT);
    expect((await call('GET', '/tenants/acme-evil/webhooks/orders/failures', admin)).body.failures).toEqual([]);
    const evilReplay = await partner('acme-evil', 'POST', '/v1/partner/webhooks/orders/replay', {
      requestId: 'evil-1',
      since: '2000-01-01T00:00:00Z',
    });
    expect(evilReplay.body).toMatchObject({ published: 0 });
    const crafted = Buffer.from(JSON.stringify({ k: 'f#../../acme#orders' })).toString('base64url');
    const refused = await partner('acme', 'GET', `/v1/partner/webhooks/orders/failures?cursor=${crafted}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBeDefined();
    expect((await partner('acme', 'GET', '/v1/partner/webhooks/nope/failures')).status).toBe(404);
  });

  it('replays since a time exactly once to this webhook only; what still fails stays listed; nothing is lost', async () => {
    const originals = (await allFailures('acme', 'orders')).map((failure) => failure.eventId);
    const stillBroken = (event: any) => event.detail.seq % 4 === 0; // seq 0, 4, 8
    receivers.orders.failing = stillBroken;
    const request = { requestId: 'replay-1', since: '2000-01-01T00:00:00Z' };
    const replay = await partner('acme', 'POST', '/v1/partner/webhooks/orders/replay', request);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ published: SENT, failedToPublish: 0, duplicate: false, state: 'completed' });
    await settle();
    const delivered = receivers.orders.delivered.map((event) => event.detail.replayOf);
    expect(new Set(delivered).size).toBe(delivered.length); // exactly once each
    expect(delivered.every((id) => originals.includes(id))).toBe(true);
    expect(receivers.orders.delivered.every((event) => event.detail.replayFor === 'orders')).toBe(true);
    // The same org's other webhook on the same types, and the other org, got no replay.
    expect(receivers.audit.delivered).toHaveLength(SENT);
    expect(receivers.evil.delivered).toHaveLength(3);

    const listed = await allFailures('acme', 'orders');
    const failed = listed.filter((failure) => failure.status === 'failed');
    expect(failed).toHaveLength(3);
    expect(failed.every((failure) => failure.failures === 2 && failure.event.detail.seq % 4 === 0)).toBe(true);
    expect(SENT).toBe(delivered.length + failed.length);

    // The same request again is the same replay: nothing is published twice.
    const again = await partner('acme', 'POST', '/v1/partner/webhooks/orders/replay', request);
    expect(again.body).toMatchObject({ replayId: 'replay-1', duplicate: true, published: SENT });
    await settle();
    expect(receivers.orders.delivered).toHaveLength(delivered.length);
  });

  it('replays chosen event ids when asked again with a new request id', async () => {
    receivers.orders.failing = () => false;
    const failed = (await allFailures('acme', 'orders')).filter((failure) => failure.status === 'failed');
    const before = receivers.orders.delivered.length;
    const replay = await partner('acme', 'POST', '/v1/partner/webhooks/orders/replay', {
      requestId: 'replay-2',
      eventIds: failed.map((failure) => failure.eventId),
    });
    expect(replay.body).toMatchObject({ published: 3 });
    await settle();
    expect(receivers.orders.delivered.length - before).toBe(3);
    expect((await allFailures('acme', 'orders')).every((failure) => failure.status === 'replayed')).toBe(true);
    const bad = await partner('acme', 'POST', '/v1/partner/webhooks/orders/replay', { requestId: 'x' });
    expect(bad.status).toBe(400);
  });
});
