/**
 * End-to-end delivery through the local EventBridge endpoint: partners are
 * synthesized in-process, the engine is built from the written cloud
 * assembly, events are published with the real EventBridge client, and real
 * HTTP receivers on 127.0.0.1 record what arrives.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { localEventBridgeClient } from '../../local/eventbridge-client';
import { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { findEventType } from '../../lambda/core/event-catalog';
import { readEventCatalog } from '../../lib/config/load-config';
import { LocalEventBus } from '../../local/event-bus';
import { EventBridgeServer } from '../../local/eventbridge-server';
import { readCloudAssembly, resourcesOfType } from '../../local/cloud-assembly';
import { RecordingReceiver } from './recording-receiver';
import { loadWorkspace, PartnerFileInput, REPO_ROOT, synthesize, workspaceWithPartners } from '../support/workspace';

// Both catalog sources; each type is delivered only from its own.
const EVENT_TYPES = [
  'LockCreated',
  'OwnerSet',
  'KeyAdded',
  'KeyRemoved',
  'ResidentAdded',
  'TempKeyUsed',
  'HubOnline',
  'HubOffline',
  'CameraMotionDetected',
  'Shadow Update',
];
const catalog = readEventCatalog(REPO_ROOT);
const RETRY_ATTEMPTS = 2;

interface Hook {
  readonly orgId: string;
  readonly id: string;
  readonly events: readonly string[];
}

const HOOKS: readonly Hook[] = [
  { orgId: 'alpha', id: 'all', events: ['*'] },
  { orgId: 'beta', id: 'primary', events: ['LockCreated', 'KeyAdded'] },
  { orgId: 'gamma', id: 'security', events: ['OwnerSet', 'TempKeyUsed'] },
  { orgId: 'gamma', id: 'devices', events: ['HubOffline', 'HubOnline', 'Shadow Update'] },
  // Failing receivers: 500 until healed, 400 until healed.
  { orgId: 'delta', id: 'flaky', events: ['*'] },
  { orgId: 'epsilon', id: 'strict', events: ['KeyAdded', 'KeyRemoved', 'TempKeyUsed'] },
  // Ids that prefix each other: a rule must match detail.partnerId exactly, never by prefix.
  { orgId: 'acme', id: 'primary', events: ['*'] },
  { orgId: 'acme-evil', id: 'primary', events: ['*'] },
  { orgId: 'acm', id: 'primary', events: ['*'] },
];
const PARTNER_IDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'unknown-org', 'acme', 'acme-evil', 'acm', 'acme-'];
/** Receivers that answer 200 from the start: every hook but the two failing ones. */
const HEALTHY = HOOKS.filter((hook) => hook.id !== 'flaky' && hook.id !== 'strict');

const hookUrl = (hook: Hook) => `https://${hook.orgId}.example/hooks/${hook.id}`;
const hookKey = (hook: Hook) => `${hook.orgId}/${hook.id}`;

interface Published {
  readonly seq: number;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

function subscribed(hook: Hook, event: Published): boolean {
  return (
    findEventType(catalog, event.detailType)?.source === event.source &&
    event.detail.partnerId === hook.orgId &&
    (hook.events.includes('*') || hook.events.includes(event.detailType))
  );
}

describe('local EventBridge delivery from the synthesized templates', () => {
  const receivers = new Map<string, RecordingReceiver>();
  const secrets: Record<string, string> = {};
  let bus: LocalEventBus;
  let deadLettersFile: string;
  /** A second bus over the same templates and dead-letter file: what a restart with `--data` sees. */
  let reopen: () => LocalEventBus;
  let server: EventBridgeServer;
  let client: EventBridgeClient;
  const published: Published[] = [];

  beforeAll(async () => {
    const partners: PartnerFileInput[] = [...new Set(HOOKS.map((hook) => hook.orgId))].map((orgId) => ({
      orgId,
      webhooks: HOOKS.filter((hook) => hook.orgId === orgId).map((hook) => ({
        id: hook.id,
        url: hookUrl(hook),
        events: [...hook.events],
        rateLimitPerSecond: 300,
      })),
    }));
    const root = workspaceWithPartners(partners, {
      environmentOverrides: { delivery: { retryAttempts: RETRY_ATTEMPTS } },
    });
    const { outdir } = synthesize(loadWorkspace(root));
    const assembly = readCloudAssembly(outdir);
    for (const stack of assembly.stacks) {
      for (const [, secret] of resourcesOfType(stack.template, 'AWS::SecretsManager::Secret')) {
        const name = secret.Properties?.Name;
        if (typeof name === 'string') secrets[name] = `secret-${name.split('/').slice(-2).join('-')}`;
      }
    }
    const urlOverrides: Record<string, string> = {};
    for (const hook of HOOKS) {
      const receiver = new RecordingReceiver();
      receivers.set(hookKey(hook), receiver);
      urlOverrides[hookUrl(hook)] = await receiver.start();
    }
    receivers.get('delta/flaky')!.status = 500;
    receivers.get('epsilon/strict')!.status = 400;
    deadLettersFile = path.join(mkdtempSync(path.join(tmpdir(), 'pp-dlq-')), 'dead-letters.json');
    reopen = () => new LocalEventBus({ assembly, secrets, urlOverrides, deadLettersFile });
    bus = new LocalEventBus({
      assembly,
      secrets,
      urlOverrides,
      retryBaseDelayMs: 5,
      retryMaxDelayMs: 50,
      deadLettersFile,
    });
    server = new EventBridgeServer(bus);
    await server.start();
    client = localEventBridgeClient(server.url);
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
    await Promise.all([...receivers.values()].map((receiver) => receiver.stop()));
  });

  it('reads the buses, rules and destinations from the templates', () => {
    expect(bus.model.platformBus).toBe('partner-platform-dev');
    const destinations = bus.model.rules.flatMap((rule) =>
      rule.targets.flatMap((target) => (target.kind === 'api-destination' ? [target.destination] : [])),
    );
    expect(destinations.map((d) => d.endpoint).sort()).toEqual(HOOKS.map(hookUrl).sort());
    for (const destination of destinations) {
      expect(destination.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/receive$/);
      expect(destination.rateLimitPerSecond).toBe(300);
    }
    expect(bus.model.deadLetterQueues.length).toBeGreaterThan(0);
  });

  it('delivers 300 events to exactly the subscribed receivers, retries 5xx, not 4xx, and replays the DLQ', async () => {
    const started = Date.now();
    for (let seq = 0; seq < 300; seq += 1) {
      const source = seq % 25 === 0 ? 'spk.other' : seq % 3 === 0 ? 'spk.iot.shadow' : 'spk.api';
      published.push({
        seq,
        source,
        detailType: EVENT_TYPES[Math.floor(seq / PARTNER_IDS.length) % EVENT_TYPES.length],
        detail: {
          partnerId: PARTNER_IDS[seq % PARTNER_IDS.length],
          seq,
          lock: { id: `lock-${seq}`, battery: seq % 100 },
        },
      });
    }
    for (let offset = 0; offset < published.length; offset += 10) {
      const entries: PutEventsRequestEntry[] = published.slice(offset, offset + 10).map((event) => ({
        Source: event.source,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
        EventBusName: 'partner-platform-dev',
      }));
      const result = await client.send(new PutEventsCommand({ Entries: entries }));
      expect(result.FailedEntryCount).toBe(0);
      expect(result.Entries?.every((entry) => typeof entry.EventId === 'string')).toBe(true);
    }
    await server.whenIdle();

    const expectedFor = (hook: Hook) => published.filter((event) => subscribed(hook, event));
    const assertExactDelivery = (hook: Hook) => {
      const receiver = receivers.get(hookKey(hook))!;
      const expected = expectedFor(hook);
      expect(expected.length).toBeGreaterThan(0);
      const bySeq = [...receiver.received].sort((a, b) => a.body.detail.seq - b.body.detail.seq);
      expect(bySeq.map((r) => r.body.detail)).toEqual(expected.map((event) => event.detail));
      bySeq.forEach((r, index) => {
        expect(r.body).toMatchObject({
          version: '0',
          source: expected[index].source,
          'detail-type': expected[index].detailType,
          region: 'us-east-1',
          resources: [],
        });
        expect(r.headers['x-partner-platform-secret']).toBe(secrets[`partner-platform/dev/webhooks/${hookKey(hook)}`]);
        expect(r.headers['content-type']).toMatch(/^application\/json/);
      });
    };

    for (const hook of HEALTHY) assertExactDelivery(hook);

    // 500: every event attempted 1 + RETRY_ATTEMPTS times, then dead-lettered.
    const flakyHook = HOOKS[4];
    const flaky = receivers.get(hookKey(flakyHook))!;
    expect(flaky.received).toHaveLength(0);
    expect(flaky.attempts.size).toBe(expectedFor(flakyHook).length);
    expect([...flaky.attempts.values()].every((n) => n === 1 + RETRY_ATTEMPTS)).toBe(true);

    // 400: exactly one attempt each, then dead-lettered.
    const strictHook = HOOKS[5];
    const strict = receivers.get(hookKey(strictHook))!;
    expect(strict.attempts.size).toBe(expectedFor(strictHook).length);
    expect([...strict.attempts.values()].every((n) => n === 1)).toBe(true);

    const letters = bus.deadLetters();
    expect(letters).toHaveLength(expectedFor(flakyHook).length + expectedFor(strictHook).length);
    expect(letters.filter((l) => l.status === 500).every((l) => l.attempts === 1 + RETRY_ATTEMPTS)).toBe(true);
    expect(letters.filter((l) => l.status === 400).every((l) => l.attempts === 1)).toBe(true);
    // Kept in the file (mode 0600), so a restart with --data sees the same queue.
    expect(reopen().deadLetters()).toEqual(letters);
    expect(statSync(deadLettersFile).mode & 0o777).toBe(0o600);

    // Heal both receivers and replay: nothing is lost, nothing duplicated.
    flaky.status = 200;
    strict.status = 200;
    expect(bus.replayDeadLetters()).toBe(letters.length);
    await server.whenIdle();
    expect(bus.deadLetters()).toHaveLength(0);
    expect(reopen().deadLetters()).toHaveLength(0);
    assertExactDelivery(flakyHook);
    assertExactDelivery(strictHook);
    for (const hook of HEALTHY) assertExactDelivery(hook);

    // Nothing for the unknown partner or the undelivered source reached anyone.
    const all = [...receivers.values()].flatMap((receiver) => receiver.received.map((r) => r.body));
    expect(all.some((body) => body.detail.partnerId === 'unknown-org' || body.source === 'spk.other')).toBe(false);
    // acme's receiver got acme's events only: none of acme-evil's, acm's or acme-'s.
    const acme = receivers.get('acme/primary')!.received.map((r) => r.body.detail.partnerId);
    expect(new Set(acme)).toEqual(new Set(['acme']));
    expect(new Set(receivers.get('acm/primary')!.received.map((r) => r.body.detail.partnerId))).toEqual(
      new Set(['acm']),
    );
    // Not a timing assertion (a loaded machine may be slow): the figure is printed for the reader.
    console.log(`delivered ${published.length} events, retries and a DLQ replay in ${Date.now() - started} ms`);
  });

  it('rejects operations it does not serve, such as CreateArchive', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.CreateArchive', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });
});
