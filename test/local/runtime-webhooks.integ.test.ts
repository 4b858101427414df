/**
 * Issue 12's acceptance journey against the local runtime, over HTTP and
 * with the real EventBridge client: a webhook made through the admin API
 * for an API-registered tenant is challenged at a real receiver on
 * 127.0.0.1, goes `live` through the provisioner (fed by DynamoDB Local's
 * stream), and receives only its tenant's subscribed events with the
 * secret header — not those of a tenant whose orgId it prefixes. An events
 * change is followed by the next events; a URL change keeps the old URL
 * receiving until the new one verifies; a delete stops deliveries and
 * removes the resources. No template resource is changed on the way.
 */
import { localEventBridgeClient } from '../../local/eventbridge-client';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CreateConnectionCommand,
  DeleteConnectionCommand,
  EventBridgeClient,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  ListRulesCommand,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { FakeClock } from '../../lambda/core/clock';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { writeLiveAudit } from '../../scripts/audit';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';
import { RecordingReceiver } from './recording-receiver';

const SECRET_HEADER = 'x-partner-platform-secret';
const ACME_SECRET = 'acme-webhook-secret-0123456789abcdef';
const EVIL_SECRET = 'evil-webhook-secret-0123456789abcdef';

let runtime: LocalRuntime;
/** Verification retries back off; the test moves time on instead of waiting a minute. */
const clock = new FakeClock('2026-03-01T00:00:00.000Z');
let outdir: string;
let client: EventBridgeClient;
const receivers: RecordingReceiver[] = [];

async function receiver(): Promise<{ receiver: RecordingReceiver; url: string }> {
  const created = new RecordingReceiver();
  receivers.push(created);
  return { receiver: created, url: await created.start() };
}

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers: {
      'X-Admin-API-Key': runtime.admin.apiKey,
      Authorization: `Bearer ${await runtime.admin.token()}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves when the record is live for `url` and an API destination delivers to it. */
async function live(orgId: string, webhookId: string, url: string): Promise<void> {
  const { webhooks } = repositoriesFor(runtime.doc, runtime.tables, runtime.clock);
  await eventually(`${orgId}/${webhookId} live at ${url}`, async () => {
    const record = await webhooks.get(orgId, webhookId);
    if (record?.status !== 'active' || record.verifiedUrl !== url || record.delivery?.state !== 'live')
      return undefined;
    const { ApiDestinations } = await client.send(new ListApiDestinationsCommand({ NamePrefix: 'pp-dev-s' }));
    return ApiDestinations!.some((destination) => destination.InvocationEndpoint === url) ? true : undefined;
  });
}

async function publish(partnerId: string, detailType: string, seq: number): Promise<void> {
  const result = await client.send(
    new PutEventsCommand({
      Entries: [{ Source: 'spk.api', DetailType: detailType, Detail: JSON.stringify({ partnerId, seq }) }],
    }),
  );
  expect(result.FailedEntryCount).toBe(0);
  await runtime.bus.whenIdle();
}

const seqs = (r: RecordingReceiver) => r.received.map((event) => event.body.detail.seq as number);

beforeAll(async () => {
  const root = workspaceWithPartners([{ orgId: 'initech' }]);
  outdir = synthesize(loadWorkspace(root)).outdir;
  runtime = await startLocalRuntime({
    assemblyDir: outdir,
    port: 0,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    verificationIntervalMs: 200,
    // The journey runs on the stream alone; a periodic reconcile would delete the orphan the audit step plants.
    reconcileIntervalMs: 3_600_000,
    clock,
  });
  client = localEventBridgeClient(runtime.eventBridgeUrl);
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
  await Promise.all(receivers.map((r) => r.stop()));
});

describe('a webhook made through the admin API delivers through the provisioner', () => {
  let acme: RecordingReceiver;
  let evil: RecordingReceiver;
  let acmeId: string;

  it('is challenged at its receiver, goes live, and gets only its tenant’s subscribed events with its secret', async () => {
    for (const orgId of ['acme', 'acme-evil']) {
      const registered = await admin('POST', `/tenants/${orgId}/register`, {
        orgName: `Org ${orgId}`,
        ownerEmail: `owner@${orgId}.example`,
      });
      expect(registered.status).toBe(201);
    }
    const acmeReceiver = await receiver();
    const evilReceiver = await receiver();
    acme = acmeReceiver.receiver;
    evil = evilReceiver.receiver;
    const created = await admin('POST', '/tenants/acme/webhooks', {
      url: acmeReceiver.url,
      events: ['LockCreated'],
      secret: ACME_SECRET,
    });
    expect(created.status).toBe(201);
    acmeId = created.body.aggregateId;
    const evilCreated = await admin('POST', '/tenants/acme-evil/webhooks', {
      url: evilReceiver.url,
      events: ['*'],
      secret: EVIL_SECRET,
    });
    expect(evilCreated.status).toBe(201);

    await live('acme', acmeId, acmeReceiver.url);
    await live('acme-evil', evilCreated.body.aggregateId, evilReceiver.url);
    expect(acme.challenges.length).toBeGreaterThanOrEqual(1);
    expect(acme.challenges[0]['webhook-signature']).toMatch(/^v1,/);

    await publish('acme', 'LockCreated', 1);
    await publish('acme', 'KeyAdded', 2);
    await publish('acme-evil', 'LockCreated', 3);
    await publish('acm', 'LockCreated', 4);
    expect(seqs(acme)).toEqual([1]);
    expect(acme.received[0].headers[SECRET_HEADER]).toBe(ACME_SECRET);
    expect(seqs(evil)).toEqual([3]);
    expect(evil.received[0].headers[SECRET_HEADER]).toBe(EVIL_SECRET);
  });

  it('follows an events change with the next events', async () => {
    const changed = await admin('PUT', `/tenants/acme/webhooks/${acmeId}`, { events: ['KeyAdded'] });
    expect(changed.status).toBe(200);
    const { webhooks } = repositoriesFor(runtime.doc, runtime.tables, runtime.clock);
    await eventually('the events change to be provisioned', async () => {
      const record = await webhooks.get('acme', acmeId);
      return record?.delivery?.state === 'live' && record.delivery.spec?.includes('KeyAdded') ? true : undefined;
    });
    await publish('acme', 'KeyAdded', 5);
    await publish('acme', 'LockCreated', 6);
    expect(seqs(acme)).toEqual([1, 5]);
  });

  it('keeps the old URL receiving until the new one verifies, then switches', async () => {
    const next = await receiver();
    next.receiver.status = 500;
    const changed = await admin('PUT', `/tenants/acme/webhooks/${acmeId}`, { url: next.url });
    expect(changed.status).toBe(200);
    await eventually('a challenge at the new URL', async () =>
      next.receiver.totalAttempts > 0 || next.receiver.challenges.length > 0 ? true : undefined,
    );
    await publish('acme', 'KeyAdded', 7);
    expect(seqs(acme)).toEqual([1, 5, 7]);
    expect(next.receiver.received).toEqual([]);

    // The receiver heals; the next retry (after its backoff) verifies the new URL, then the provisioner switches.
    next.receiver.status = 200;
    clock.advance(10 * 60_000);
    await runtime.verifyPendingWebhooks();
    await live('acme', acmeId, next.url);
    await publish('acme', 'KeyAdded', 8);
    expect(seqs(next.receiver)).toEqual([8]);
    expect(seqs(acme)).toEqual([1, 5, 7]);
    acme = next.receiver;
  });

  it('shows in npm run audit -- --live, which flags a resource nothing explains', async () => {
    const live = { eventBridgeEndpoint: runtime.eventBridgeUrl, dynamoDbEndpoint: runtime.dynamoDbEndpoint };
    expect(await writeLiveAudit(outdir, 'dev', live)).toEqual([]);
    const report = JSON.parse(readFileSync(path.join(outdir, 'audit', 'live.json'), 'utf8'));
    expect(
      report.runtimeWebhooks.map((w: { orgId: string; deliveryState: string }) => [w.orgId, w.deliveryState]),
    ).toEqual([
      ['acme', 'live'],
      ['acme-evil', 'live'],
    ]);
    expect(readFileSync(path.join(outdir, 'audit', 'live.md'), 'utf8')).not.toContain(ACME_SECRET);
    await client.send(
      new CreateConnectionCommand({
        Name: 'pp-dev-s001-_ghost-primary-0000aaaa',
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: SECRET_HEADER, ApiKeyValue: 'ghost-value' } },
      }),
    );
    expect(await writeLiveAudit(outdir, 'dev', live)).toEqual([
      'live: connection pp-dev-s001-_ghost-primary-0000aaaa is explained by no template and no webhook record',
    ]);
    await client.send(new DeleteConnectionCommand({ Name: 'pp-dev-s001-_ghost-primary-0000aaaa' }));
  });

  it('stops deliveries on delete and removes the rule, destination and connection', async () => {
    const before = await client.send(new ListApiDestinationsCommand({ NamePrefix: 'pp-dev-s' }));
    // Run-time names end in the webhook's id and a digest; webhook ids are unique.
    const ours = (name?: string) => name?.includes(acmeId) === true;
    expect(before.ApiDestinations!.filter((d) => ours(d.Name))).toHaveLength(1);

    expect((await admin('DELETE', `/tenants/acme/webhooks/${acmeId}`)).status).toBe(200);
    await eventually('the resources to be gone', async () => {
      const destinations = await client.send(new ListApiDestinationsCommand({ NamePrefix: 'pp-dev-s' }));
      return destinations.ApiDestinations!.some((d) => ours(d.Name)) ? undefined : true;
    });
    const buses = runtime.bus.model.buses.filter((bus) => bus.startsWith('partner-platform-dev-shard-'));
    for (const bus of buses) {
      const rules = await client.send(new ListRulesCommand({ EventBusName: bus, NamePrefix: 'pp-dev-s' }));
      expect(rules.Rules!.filter((rule) => ours(rule.Name))).toEqual([]);
    }
    const connections = await client.send(new ListConnectionsCommand({ NamePrefix: 'pp-dev-s' }));
    expect(connections.Connections!.filter((c) => ours(c.Name))).toEqual([]);
    await publish('acme', 'KeyAdded', 9);
    expect(seqs(acme)).toEqual([8]);
    // acme-evil is untouched.
    await publish('acme-evil', 'KeyAdded', 10);
    expect(seqs(evil)).toEqual([3, 10]);
  });

  it("disables an offboarded tenant's run-time rules through the stream, with no reconcile running", async () => {
    const target = await receiver();
    const created = await admin('POST', '/tenants/initech/webhooks', { url: target.url, events: ['LockCreated'] });
    expect(created.status).toBe(201);
    const webhookId = created.body.aggregateId as string;
    await live('initech', webhookId, target.url);
    const ruleState = async () => {
      for (const bus of runtime.bus.model.buses.filter((name) => name.startsWith('partner-platform-dev-shard-'))) {
        const { Rules } = await client.send(new ListRulesCommand({ EventBusName: bus, NamePrefix: 'pp-dev-s' }));
        const rule = Rules!.find((candidate) => candidate.Name?.includes(webhookId));
        if (rule !== undefined) return rule.State;
      }
      return undefined;
    };
    expect(await ruleState()).toBe('ENABLED');

    await runtime.offboard('initech');

    await eventually('the rule to be disabled', async () => ((await ruleState()) === 'DISABLED' ? true : undefined));
  });

  it('never changed, or tried to change, a resource a template declares', () => {
    const { store } = runtime.bus;
    const declared = new Set(
      [...store.connections.values(), ...store.apiDestinations.values(), ...store.listRules()]
        .filter((resource) => resource.origin === 'template')
        .map((resource) => resource.Name),
    );
    expect(declared.size).toBeGreaterThan(0);
    const mutations = store.mutations();
    expect(mutations.filter((m) => declared.has(m.name) || m.origin === 'template' || m.refused)).toEqual([]);
    expect(mutations.length).toBeGreaterThan(0);
  });
});
