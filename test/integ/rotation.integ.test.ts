/**
 * The rotation function against DynamoDB Local (tables from the synthesized
 * platform template) with in-memory Secrets Manager and EventBridge
 * stand-ins: direct rotation, 50 concurrent rotations, a crash at every
 * step, the sweep on a fake clock, webhook secret rotation with its overlap,
 * and no key material in items, logs or errors.
 */
import { liveKeyCount } from '../../lambda/repositories/tenants-repository';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { hashApiKey, isKeyUsable } from '../../lambda/core/api-keys';
import { DAY_MS, FakeClock, HOUR_MS } from '../../lambda/core/clock';
import { ConflictError } from '../../lambda/core/errors';
import { createWebhook } from '../../lambda/core/webhooks';
import { ApiKeysRepository } from '../../lambda/repositories/api-keys-repository';
import { TenantsRepository } from '../../lambda/repositories/tenants-repository';
import { WebhooksRepository } from '../../lambda/repositories/webhooks-repository';
import {
  handleRotationEvent,
  type RotateKeyResult,
  type RotateWebhookSecretResult,
  type RotationDependencies,
  type SweepResult,
} from '../../lambda/rotation/rotation-handler';
import { InMemoryConnectionUpdater } from '../../lambda/shared/connection-updater';
import { createObservability } from '../../lambda/shared/observability';
import { InMemorySecretStore } from '../../lambda/shared/secret-store';
import { WEBHOOK_PREVIOUS_SECRET_HEADER, WEBHOOK_SECRET_HEADER } from '../../lambda/shared/webhook-headers';
import {
  captureOutput,
  FaultInjector,
  type FaultMode,
  FaultyConnectionUpdater,
  FaultySecretStore,
  faultyDocClient,
} from '../support/handler-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let output: ReturnType<typeof captureOutput>;
const thrown: unknown[] = [];
/** Every plaintext key and secret value any test saw, for the leak check. */
const secretsSeen = new Set<string>();
const stores: InMemorySecretStore[] = [];

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'rotation');
  output = captureOutput();
});

afterAll(async () => {
  output?.restore();
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

interface World {
  readonly clock: FakeClock;
  readonly faults: FaultInjector;
  readonly secrets: InMemorySecretStore;
  readonly connections: InMemoryConnectionUpdater;
  readonly deps: RotationDependencies;
  readonly tenants: TenantsRepository;
  readonly keys: ApiKeysRepository;
  readonly webhooks: WebhooksRepository;
}

function world(tableNames: PlatformTableNames = tables): World {
  const clock = new FakeClock('2025-06-01T00:00:00.000Z');
  const faults = new FaultInjector();
  const secrets = new InMemorySecretStore();
  stores.push(secrets);
  const connections = new InMemoryConnectionUpdater();
  const doc = faultyDocClient(ddb.doc, faults);
  const { logger, metrics } = createObservability('rotation-test');
  const repos = (client: typeof ddb.doc) => repositoriesFor(client, tableNames, clock);
  return {
    clock,
    faults,
    secrets,
    connections,
    ...repos(ddb.doc),
    deps: {
      ...repos(doc),
      secrets: new FaultySecretStore(secrets, faults),
      connections: new FaultyConnectionUpdater(connections, faults),
      clock,
      logger,
      metrics,
    },
  };
}

let orgSequence = 0;
async function onboardedOrg(
  w: World,
  validityDays: number | 'never' = 365,
): Promise<{ orgId: string; keyId: string; plaintext: string }> {
  orgSequence += 1;
  const orgId = `rot-${orgSequence}-${Date.now().toString(36)}`;
  await w.tenants.create({ orgId, orgName: 'Acme', ownerEmail: 'owner@acme.example', rotationGraceHours: 24 });
  const issued = await w.keys.issue({ orgId, validityDays });
  secretsSeen.add(issued.plaintext);
  return { orgId, keyId: issued.record.keyId, plaintext: issued.plaintext };
}

async function invoke<T>(w: World, event: unknown): Promise<T> {
  try {
    const result = (await handleRotationEvent(event, w.deps)) as T;
    const apiKey = (result as { apiKey?: unknown }).apiKey;
    if (typeof apiKey === 'string') secretsSeen.add(apiKey);
    return result;
  } catch (error) {
    thrown.push(error);
    throw error;
  }
}

async function keysOf(w: World, orgId: string) {
  return (await w.keys.listByOrg(orgId, { limit: 100 })).items;
}

describe('rotate on request', () => {
  it('returns the new plaintext once, with the old key in the tenant grace', async () => {
    const w = world();
    const org = await onboardedOrg(w);
    const result = await invoke<RotateKeyResult>(w, { action: 'rotate', orgId: org.orgId, keyId: org.keyId });
    expect(result).toMatchObject({
      orgId: org.orgId,
      keyId: expect.stringMatching(/^key_/),
      apiKey: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
      maskedKey: `${result.apiKey.slice(0, 8)}…${result.apiKey.slice(-4)}`,
      previousKey: { keyId: org.keyId, status: 'grace', graceEndsAt: '2025-06-02T00:00:00.000Z' },
    });
    expect(await w.keys.getActive(org.orgId)).toMatchObject({ keyHash: hashApiKey(result.apiKey) });
    const old = await w.keys.getByHash(hashApiKey(org.plaintext));
    expect(old && isKeyUsable(old, w.clock.now())).toBe(true);
  });

  it('rotation with 0 h grace revokes the old key at once', async () => {
    const w = world();
    const org = await onboardedOrg(w);
    await invoke(w, { action: 'rotate', orgId: org.orgId, keyId: org.keyId, graceHours: 0 });
    expect(await w.keys.getByHash(hashApiKey(org.plaintext))).toMatchObject({ status: 'revoked' });
  });

  it('refuses a grace that is not 0, 24, 48 or 72 hours, naming the field', async () => {
    const w = world();
    const org = await onboardedOrg(w);
    await expect(invoke(w, { action: 'rotate', orgId: org.orgId, graceHours: 12 })).rejects.toThrow(
      /graceHours must be one of 0, 24, 48, 72/,
    );
  });

  it('50 concurrent rotations for one org leave exactly 1 active key and every other key in grace or revoked', async () => {
    const w = world();
    const org = await onboardedOrg(w);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        invoke<RotateKeyResult>(w, { action: 'rotate', orgId: org.orgId, keyId: org.keyId }),
      ),
    );
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    expect(fulfilled).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
    }
    const all = await keysOf(w, org.orgId);
    expect(all.filter((key) => key.status === 'active')).toHaveLength(1);
    expect(
      all.filter((key) => key.status !== 'active').every((key) => key.status === 'grace' || key.status === 'revoked'),
    ).toBe(true);
    expect(liveKeyCount(await w.tenants.require(org.orgId), 'production')).toBe(1);
  });

  it('50 concurrent rotations without a key id (always the live key) still leave exactly 1 active key', async () => {
    const w = world();
    const org = await onboardedOrg(w);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        invoke<RotateKeyResult>(w, { action: 'rotate', orgId: org.orgId, graceHours: 72 }),
      ),
    );
    const succeeded = results.filter((result) => result.status === 'fulfilled').length;
    expect(succeeded).toBeGreaterThanOrEqual(1);
    const all = await keysOf(w, org.orgId);
    expect(all).toHaveLength(1 + succeeded);
    expect(all.filter((key) => key.status === 'active')).toHaveLength(1);
    expect(all.filter((key) => key.status === 'grace')).toHaveLength(succeeded);
  });

  describe('a crash at any step, then the same request again', () => {
    let steps = 0;
    beforeAll(async () => {
      const probe = world();
      const org = await onboardedOrg(probe);
      probe.faults.reset();
      await invoke(probe, { action: 'rotate', orgId: org.orgId, keyId: org.keyId });
      steps = probe.faults.steps;
    });

    for (const mode of ['before', 'after'] as FaultMode[]) {
      it(`crash ${mode} each step: no key lost, the old key still valid, one active key`, async () => {
        expect(steps).toBeGreaterThanOrEqual(3);
        for (let step = 1; step <= steps; step++) {
          const w = world();
          const org = await onboardedOrg(w);
          const request = { action: 'rotate', orgId: org.orgId, keyId: org.keyId };
          w.faults.failAt(step, mode);
          await expect(invoke(w, request)).rejects.toThrow(/injected fault/);
          w.faults.reset();
          // Before the commit the retry rotates; after it, the key is already in grace and the retry says so.
          await invoke(w, request).catch((error: unknown) => expect(error).toBeInstanceOf(ConflictError));
          const all = await keysOf(w, org.orgId);
          const old = await w.keys.getByHash(hashApiKey(org.plaintext));
          const context = `crash ${mode} step ${step} (${w.faults.trace.join(', ')})`;
          expect([context, all.length]).toEqual([context, 2]);
          expect([context, all.filter((key) => key.status === 'active').length]).toEqual([context, 1]);
          expect([context, old?.status]).toEqual([context, 'grace']);
          expect(old && isKeyUsable(old, w.clock.now())).toBe(true);
        }
      });
    }
  });
});

describe('scheduled sweep', () => {
  // Its own tables, so the counts are this test's alone.
  let sweepTables: PlatformTableNames;
  beforeAll(async () => {
    sweepTables = await createPlatformTables(ddb.client, 'sweep');
  });
  afterAll(async () => {
    await deletePlatformTables(ddb.client, sweepTables);
  });

  it('revokes grace keys when the grace ends, marks keys expiring 14 days ahead and revokes expired keys', async () => {
    const w = world(sweepTables);
    const org = await onboardedOrg(w, 30);
    const rotated = await invoke<RotateKeyResult>(w, {
      action: 'rotate',
      orgId: org.orgId,
      keyId: org.keyId,
      graceHours: 24,
      validityDays: 30,
    });
    const sweepNow = () => invoke<SweepResult>(w, { action: 'sweep' });

    w.clock.advance(24 * HOUR_MS - 1);
    expect(await sweepNow()).toMatchObject({ revokedGraceEnded: 0, markedExpiring: 0, revokedExpired: 0 });
    w.clock.advance(1);
    expect(await sweepNow()).toMatchObject({ revokedGraceEnded: 1, markedExpiring: 0, revokedExpired: 0 });
    expect(await w.keys.getByHash(hashApiKey(org.plaintext))).toMatchObject({ status: 'revoked' });

    // The new key expires 30 days after the rotation: it turns expiring 14 days before.
    w.clock.set(new Date(Date.parse('2025-06-01T00:00:00.000Z') + 16 * DAY_MS));
    expect(await sweepNow()).toMatchObject({ markedExpiring: 1, revokedExpired: 0 });
    expect(await w.keys.getByHash(hashApiKey(rotated.apiKey))).toMatchObject({ status: 'expiring' });
    expect(await sweepNow()).toMatchObject({ markedExpiring: 0, revokedExpired: 0 });

    w.clock.set(new Date(Date.parse('2025-06-01T00:00:00.000Z') + 30 * DAY_MS));
    expect(await sweepNow()).toMatchObject({ revokedExpired: 1 });
    expect(await w.keys.getByHash(hashApiKey(rotated.apiKey))).toMatchObject({ status: 'revoked' });
    expect(liveKeyCount(await w.tenants.require(org.orgId), 'production')).toBe(0);
    expect((await w.keys.dueForSweep(w.clock.now())).items).toEqual([]);
  });

  it('accepts a plain EventBridge scheduled event and pages through many due keys', async () => {
    const w = world(sweepTables);
    const orgs = [];
    for (let i = 0; i < 130; i++) orgs.push(onboardedOrg(w, 20));
    await Promise.all(orgs);
    w.clock.advance(6 * DAY_MS);
    const result = await invoke<SweepResult>(w, {
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      detail: {},
    });
    expect(result).toMatchObject({ markedExpiring: 130, truncated: false });
  });
});

/** An onboarded org with a config webhook whose secret and connection exist, ready to rotate. */
async function webhookWithSecret(w: World) {
  const org = await onboardedOrg(w);
  const created = await w.secrets.createSecret({
    name: `pp/webhooks/${org.orgId}/primary`,
    value: 'S0secretvalue0000000000000000000000000000000000',
  });
  if (!created.created) throw new Error('secret exists');
  const connectionName = `pp-test-${org.orgId}-primary`;
  await w.connections.updateApiKeyConnection({
    connectionName,
    apiKeyName: WEBHOOK_SECRET_HEADER,
    apiKeyValue: 'S0secretvalue0000000000000000000000000000000000',
    extraHeaders: [],
  });
  await w.webhooks.create({
    ...createWebhook({
      orgId: org.orgId,
      webhookId: 'primary',
      url: 'https://acme.example/hooks',
      events: ['*'],
      source: 'config',
      clock: w.clock,
    }),
    secretArn: created.arn,
    connectionName,
    apiDestinationName: connectionName,
  });
  return { ...org, secretArn: created.arn, connectionName };
}

describe('webhook secret rotation', () => {
  async function expectRotated(w: World, hook: { orgId: string; secretArn: string; connectionName: string }) {
    const current = await w.secrets.getSecretValue(hook.secretArn);
    expect(current?.value).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(w.connections.connections.get(hook.connectionName)).toEqual({
      apiKeyName: WEBHOOK_SECRET_HEADER,
      apiKeyValue: current?.value,
      extraHeaders: [
        { name: WEBHOOK_PREVIOUS_SECRET_HEADER, value: 'S0secretvalue0000000000000000000000000000000000' },
      ],
    });
    const stored = await w.webhooks.require(hook.orgId, 'primary');
    expect(stored.secretRotation).toMatchObject({ status: 'overlap', newVersionId: current?.versionId });
    for (const value of w.secrets.allValues()) secretsSeen.add(value);
  }

  it('makes a new secret the connection key and sends the previous one in a second header until the overlap ends', async () => {
    const w = world();
    const hook = await webhookWithSecret(w);
    const result = await invoke<RotateWebhookSecretResult>(w, {
      action: 'rotate-webhook-secret',
      orgId: hook.orgId,
      webhookId: 'primary',
    });
    expect(result).toEqual({
      orgId: hook.orgId,
      webhookId: 'primary',
      secretVersionId: expect.any(String),
      overlapEndsAt: '2025-06-02T00:00:00.000Z',
    });
    expect(JSON.stringify(result)).not.toContain((await w.secrets.getSecretValue(hook.secretArn))?.value);
    await expectRotated(w, hook);

    w.clock.advance(24 * HOUR_MS - 1);
    await invoke(w, { action: 'sweep' });
    expect(w.connections.connections.get(hook.connectionName)?.extraHeaders).toHaveLength(1);
    w.clock.advance(1);
    expect(await invoke<SweepResult>(w, { action: 'sweep' })).toMatchObject({ secretOverlapsEnded: 1 });
    const connection = w.connections.connections.get(hook.connectionName);
    expect(connection?.extraHeaders).toEqual([]);
    expect(connection?.apiKeyValue).toBe((await w.secrets.getSecretValue(hook.secretArn))?.value);
    expect((await w.webhooks.require(hook.orgId, 'primary')).secretRotation).toBeUndefined();
  });

  it('the same request id returns the same rotation instead of starting another', async () => {
    const w = world();
    const hook = await webhookWithSecret(w);
    const request = {
      action: 'rotate-webhook-secret',
      orgId: hook.orgId,
      webhookId: 'primary',
      overlapHours: 48,
      requestId: 'admin-req-0001',
    };
    const first = await invoke<RotateWebhookSecretResult>(w, request);
    expect(await invoke(w, request)).toEqual(first);
    expect(w.secrets.allValues()).toHaveLength(2);
  });

  it('refuses a webhook without a secret of its own (created through the API)', async () => {
    const w = world();
    const org = await onboardedOrg(w);
    await w.webhooks.create(
      createWebhook({
        orgId: org.orgId,
        webhookId: 'wh_api',
        url: 'https://acme.example/x',
        events: ['*'],
        source: 'api',
        clock: w.clock,
      }),
    );
    await expect(invoke(w, { action: 'rotate-webhook-secret', orgId: org.orgId, webhookId: 'wh_api' })).rejects.toThrow(
      /only config webhooks can rotate their secret/,
    );
  });

  describe('a crash at any step, then the same request again', () => {
    let steps = 0;
    beforeAll(async () => {
      const probe = world();
      const hook = await webhookWithSecret(probe);
      probe.faults.reset();
      await invoke(probe, {
        action: 'rotate-webhook-secret',
        orgId: hook.orgId,
        webhookId: 'primary',
        requestId: 'probe-request',
      });
      steps = probe.faults.steps;
    });

    for (const mode of ['before', 'after'] as FaultMode[]) {
      it(`crash ${mode} each step: the retry completes the one rotation, previous secret still sent`, async () => {
        expect(steps).toBeGreaterThanOrEqual(6);
        for (let step = 1; step <= steps; step++) {
          const w = world();
          const hook = await webhookWithSecret(w);
          const request = {
            action: 'rotate-webhook-secret',
            orgId: hook.orgId,
            webhookId: 'primary',
            requestId: `req-${step}-${mode}`,
          };
          w.faults.failAt(step, mode);
          await expect(invoke(w, request)).rejects.toThrow(/injected fault/);
          w.faults.reset();
          await invoke(w, request);
          await expectRotated(w, hook);
          // Exactly the old and the new version: no orphaned secret was written.
          expect([`crash ${mode} step ${step}`, w.secrets.allValues().length]).toEqual([
            `crash ${mode} step ${step}`,
            2,
          ]);
        }
      });
    }
  });
});

describe('no key material leaks', () => {
  it('no plaintext key or webhook secret appears in any item, log line or error', async () => {
    // Its own rotations, crashes and refusals, so it does not depend on which tests ran before.
    const w = world();
    const org = await onboardedOrg(w);
    const thrownBefore = thrown.length;
    for (let step = 1; step <= 3; step++) {
      w.faults.failAt(step, 'before');
      await expect(invoke(w, { action: 'rotate', orgId: org.orgId })).rejects.toThrow(/injected fault/);
      w.faults.reset();
      await invoke(w, { action: 'rotate', orgId: org.orgId });
    }
    await expect(invoke(w, { action: 'rotate', orgId: org.orgId, graceHours: 12 })).rejects.toThrow(/graceHours/);
    const hook = await webhookWithSecret(w);
    await invoke(w, { action: 'rotate-webhook-secret', orgId: hook.orgId, webhookId: 'primary' });
    expect(thrown.length - thrownBefore).toBe(4);
    const own = new Set([...secretsSeen, ...w.secrets.allValues()]);
    // The first key, three rotated-in keys, and the webhook's old and new secret at least.
    expect(own.size).toBeGreaterThanOrEqual(6);
    // Earlier tests' keys and secrets too, when they ran: more to look for, never fewer.
    for (const value of own) secretsSeen.add(value);
    for (const store of stores) for (const value of store.allValues()) secretsSeen.add(value);
    const items: unknown[] = [];
    for (const table of Object.values(tables)) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await ddb.doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    }
    const stored = JSON.stringify(items);
    const logs = output.text();
    expect(logs).toContain('API key rotated');
    expect(logs).toContain('webhook secret rotated');
    const errors = thrown.map(describeError).join('\n');
    for (const secret of secretsSeen) {
      expect(stored).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(errors).not.toContain(secret);
    }
  });
});

function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(`${current.name}: ${current.message}\n${current.stack ?? ''}`);
    current = current.cause;
  }
  return parts.join('\n');
}
