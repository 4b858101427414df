/**
 * Issue 15's endpoint-health acceptance against the local runtime (DynamoDB
 * Local, the local EventBridge, the real DLQ consumer, sweep and
 * provisioner) on a fake clock: acme's `orders` webhook (a partner file's,
 * so its rule is a template's) has a receiver on 127.0.0.1 answering 500.
 * Once its failures span `failures.disableAfterHours` (6 here, from the
 * config), the sweep disables it: the template rule's State goes to
 * DISABLED (nothing else about it changes), an event sent then reaches
 * nobody, and `partner-platform.webhook.disabled` goes out on the platform
 * bus, where acme's `alerts` webhook, subscribed to it, receives it.
 * Re-enabling through the partner API restores delivery and replays
 * nothing. Another org cannot re-enable it. Then the same for a run-time
 * webhook (made through the admin API, so the provisioner owns its rule):
 * disabled by a PutRule the provisioner writes DISABLED, re-enabled through
 * the admin API.
 *
 * The fake clock starts at the wall clock's now: the DLQ consumer stamps a
 * failure's TTL from the dead letter's real time.
 */
import { DescribeRuleCommand, type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FakeClock, HOUR_MS, MINUTE_MS } from '../../lambda/core/clock';
import { WEBHOOK_DISABLED_EVENT } from '../../lambda/core/endpoint-health';
import { localEventBridgeClient } from '../../local/eventbridge-client';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { SwitchableReceiver } from '../../scripts/lib/switchable-receiver';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

const DISABLE_AFTER_HOURS = 6;
const url = (orgId: string, id: string) => `https://${orgId}.example/hooks/${id}`;
const receivers = {
  orders: new SwitchableReceiver(),
  alerts: new SwitchableReceiver(),
  evil: new SwitchableReceiver(),
  runtime: new SwitchableReceiver(),
};
const clock = new FakeClock(new Date());
let runtime: LocalRuntime;
let events: EventBridgeClient;
const keys: Record<string, string> = {};
let runtimeUrl: string;

async function partner(orgId: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers: { 'X-API-Key': keys[orgId], ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function ordersWebhook(): Promise<any> {
  const listed = await partner('acme', 'GET', '/v1/partner/webhooks');
  return listed.body.webhooks.find((webhook: any) => webhook.id === 'orders');
}

async function admin(method: string, path: string, body?: unknown) {
  const token = await runtime.admin.token();
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers: {
      'X-Admin-API-Key': runtime.admin.apiKey,
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function ordersRuleState(): Promise<string | undefined> {
  return ruleState('template', '-acme-orders-');
}

async function ruleState(origin: 'template' | 'runtime', nameContains: string): Promise<string | undefined> {
  const rule = runtime.bus.store
    .listRules()
    .find((candidate) => candidate.origin === origin && candidate.Name.includes(nameContains))!;
  const described = await events.send(new DescribeRuleCommand({ Name: rule.Name, EventBusName: rule.EventBusName }));
  return described.State;
}

async function publish(seq: number, type = 'LockCreated'): Promise<void> {
  const result = await events.send(
    new PutEventsCommand({
      Entries: [{ Source: 'spk.api', DetailType: type, Detail: JSON.stringify({ partnerId: 'acme', seq }) }],
    }),
  );
  expect(result.FailedEntryCount).toBe(0);
}

/** Deliveries and retries done, dead letters recorded, the provisioner has seen every write. */
async function settle(): Promise<void> {
  await runtime.bus.whenIdle();
  await runtime.failures!.whenConsumed();
  await runtime.provisioning!.whenCaughtUp();
  await runtime.bus.whenIdle();
}

beforeAll(async () => {
  const root = workspaceWithPartners(
    [
      {
        orgId: 'acme',
        webhooks: [
          { id: 'orders', url: url('acme', 'orders'), events: ['LockCreated'] },
          { id: 'alerts', url: url('acme', 'alerts'), events: [WEBHOOK_DISABLED_EVENT.detailType] },
        ],
      },
      { orgId: 'acme-evil', webhooks: [{ id: 'orders', url: url('acme-evil', 'orders'), events: ['LockCreated'] }] },
    ],
    {
      environmentOverrides: {
        delivery: { retryAttempts: 1 },
        failures: { retentionDays: 14, disableAfterHours: DISABLE_AFTER_HOURS },
      },
    },
  );
  const outdir = synthesize(loadWorkspace(root)).outdir;
  const urlOverrides = {
    [url('acme', 'orders')]: await receivers.orders.start(),
    [url('acme', 'alerts')]: await receivers.alerts.start(),
    [url('acme-evil', 'orders')]: await receivers.evil.start(),
  };
  runtimeUrl = await receivers.runtime.start();
  receivers.alerts.failing = () => false;
  receivers.evil.failing = () => false;
  runtime = await startLocalRuntime({
    assemblyDir: outdir,
    port: 0,
    urlOverrides,
    clock,
    verificationIntervalMs: 3_600_000,
    reconcileIntervalMs: 3_600_000,
    healthSweepIntervalMs: 3_600_000,
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

describe('endpoint health on a fake clock (issue 15 step 3, local runtime)', () => {
  it('a failing endpoint is `failing` from its first failure, and not judged before the configured hours', async () => {
    await publish(0);
    await settle();
    expect(receivers.orders.attempts).toBe(2); // the first try and one retry, then the DLQ
    const failing = await ordersWebhook();
    expect(failing.status).toBe('active');
    expect(failing.health).toMatchObject({ state: 'failing', failingSince: clock.now().toISOString() });
    clock.advance(DISABLE_AFTER_HOURS * HOUR_MS - MINUTE_MS);
    await publish(1);
    await settle();
    expect(await runtime.health!.sweep()).toEqual({ settled: 0, healed: 0, waiting: 0, disabled: 0, error: 0 });
    expect((await ordersWebhook()).health.state).toBe('failing');
  });

  it('after the configured hours of failures it is disabled: its rule stops matching and the owner is told', async () => {
    clock.advance(MINUTE_MS);
    await publish(2);
    await settle();
    expect(await runtime.health!.sweep()).toMatchObject({ disabled: 1, error: 0 });
    await settle();
    const disabled = await ordersWebhook();
    expect(disabled).toMatchObject({
      status: 'disabled',
      health: { state: 'disabled', disabledAfterHours: DISABLE_AFTER_HOURS, disabledAt: clock.now().toISOString() },
    });
    // The template's rule: its State only (DisableRule), through the provisioner.
    expect(await ordersRuleState()).toBe('DISABLED');
    expect(runtime.bus.store.mutations().filter((m) => m.refused)).toEqual([]);

    // The platform bus carried partner-platform.webhook.disabled to acme's subscriber (and only there).
    expect(receivers.alerts.delivered).toHaveLength(1);
    expect(receivers.alerts.delivered[0]).toMatchObject({
      source: WEBHOOK_DISABLED_EVENT.source,
      'detail-type': WEBHOOK_DISABLED_EVENT.detailType,
      detail: {
        partnerId: 'acme',
        webhookId: 'orders',
        failedHours: DISABLE_AFTER_HOURS,
        failedDeliveries: 3,
        owner: 'config',
        reenablePath: '/v1/partner/webhooks/orders/enable',
      },
    });
    expect(JSON.stringify(receivers.alerts.delivered[0])).not.toMatch(/secret/i);
    expect(receivers.evil.delivered).toEqual([]);

    // An event sent now matches no rule of the webhook: not tried, not dead-lettered.
    const attempts = receivers.orders.attempts;
    const failuresBefore = (await partner('acme', 'GET', '/v1/partner/webhooks/orders/failures')).body.failures;
    await publish(3);
    await settle();
    expect(receivers.orders.attempts).toBe(attempts);
    expect((await partner('acme', 'GET', '/v1/partner/webhooks/orders/failures')).body.failures).toHaveLength(
      failuresBefore.length,
    );
    // Told once: the next sweep has nothing left to do.
    expect(await runtime.health!.sweep()).toMatchObject({ disabled: 0 });
    expect(receivers.alerts.delivered).toHaveLength(1);
  });

  it('another org cannot re-enable it; bad input is a 400 that changes nothing', async () => {
    const evil = await partner('acme-evil', 'POST', '/v1/partner/webhooks/orders/enable');
    expect(evil.status).toBe(200); // its own `orders`, which was never disabled
    expect(evil.body.webhook.status).toBe('active');
    const bad = await partner('acme', 'POST', '/v1/partner/webhooks/orders/enable', { replaySince: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBeDefined();
    expect((await partner('acme', 'POST', '/v1/partner/webhooks/nope/enable')).status).toBe(404);
    expect((await ordersWebhook()).status).toBe('disabled');
    expect(await ordersRuleState()).toBe('DISABLED');
  });

  it('re-enabling is one call: delivery resumes, and nothing is replayed', async () => {
    receivers.orders.failing = () => false;
    clock.advance(HOUR_MS);
    const enabled = await partner('acme', 'POST', '/v1/partner/webhooks/orders/enable');
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ webhook: { status: 'active', health: { state: 'healthy' } }, replay: null });
    await settle();
    expect(await ordersRuleState()).toBe('ENABLED');
    expect(receivers.orders.delivered).toEqual([]); // no replay of the failures
    await publish(4);
    await settle();
    expect(receivers.orders.delivered.map((event) => event.detail.seq)).toEqual([4]);
    const failures = (await partner('acme', 'GET', '/v1/partner/webhooks/orders/failures')).body.failures;
    expect(failures.every((failure: any) => failure.status === 'failed')).toBe(true);
    // Successes after the re-enable leave nothing to judge.
    clock.advance(DISABLE_AFTER_HOURS * HOUR_MS);
    expect(await runtime.health!.sweep()).toMatchObject({ disabled: 0 });
  });
});

describe('a run-time webhook: the provisioner disables its own rule', () => {
  let webhookId: string;

  it('is disabled after the configured hours, re-enabled by the admin API, and delivers again', async () => {
    const created = await admin('POST', '/tenants/acme/webhooks', { url: runtimeUrl, events: ['KeyAdded'] });
    expect(created.status).toBe(201);
    webhookId = created.body.aggregateId;
    const live = async () =>
      (await admin('GET', '/tenants/acme/webhooks?limit=100')).body.webhooks.find((w: any) => w.id === webhookId);
    for (let tries = 0; (await live())?.delivery.state !== 'live' && tries < 100; tries++) {
      await runtime.verifyPendingWebhooks();
      await settle();
    }
    expect((await live()).delivery.state).toBe('live');

    await publish(10, 'KeyAdded');
    await settle();
    clock.advance(DISABLE_AFTER_HOURS * HOUR_MS);
    await publish(11, 'KeyAdded');
    await settle();
    expect(await runtime.health!.sweep()).toMatchObject({ disabled: 1, error: 0 });
    await settle();
    expect(await live()).toMatchObject({ status: 'disabled', owner: 'runtime' });
    expect(await ruleState('runtime', webhookId)).toBe('DISABLED');
    expect(receivers.alerts.delivered.at(-1)).toMatchObject({
      detail: { webhookId, owner: 'runtime', failedHours: DISABLE_AFTER_HOURS },
    });
    const attempts = receivers.runtime.attempts;
    await publish(12, 'KeyAdded');
    await settle();
    expect(receivers.runtime.attempts).toBe(attempts);

    receivers.runtime.failing = () => false;
    const enabled = await admin('POST', `/tenants/acme/webhooks/${webhookId}/enable`, {});
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ webhook: { status: 'active' }, replay: null });
    await settle();
    expect(await ruleState('runtime', webhookId)).toBe('ENABLED');
    await publish(13, 'KeyAdded');
    await settle();
    expect(receivers.runtime.delivered.map((event) => event.detail.seq)).toEqual([13]);
  });
});
