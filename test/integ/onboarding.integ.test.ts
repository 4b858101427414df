/**
 * The onboarding custom resource against DynamoDB Local (tables from the
 * synthesized platform template) with an in-memory secret store: repeated
 * and concurrent deliveries, a crash at every step, Update, Delete, and no
 * key material in items, logs or errors.
 */
import { liveKeyCount } from '../../lambda/repositories/tenants-repository';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { hashApiKey, isKeyUsable } from '../../lambda/core/api-keys';
import { FakeClock } from '../../lambda/core/clock';
import { pickupSecretName } from '../../lambda/onboarding/initial-key';
import { handleOnboardingEvent, type OnboardingDependencies } from '../../lambda/onboarding/onboarding-handler';
import { ApiKeysRepository } from '../../lambda/repositories/api-keys-repository';
import { TenantsRepository } from '../../lambda/repositories/tenants-repository';
import { WebhooksRepository } from '../../lambda/repositories/webhooks-repository';
import { createObservability } from '../../lambda/shared/observability';
import { InMemorySecretStore, type SecretStore } from '../../lambda/shared/secret-store';
import {
  captureOutput,
  customResourceEvent,
  FaultInjector,
  FaultySecretStore,
  type FaultMode,
  faultyDocClient,
} from '../support/handler-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

const PREFIX = 'partner-platform/test/pickup/';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
/** Every secret store a test used, so the leak check knows every secret. */
const allStores: InMemorySecretStore[] = [];
let output: ReturnType<typeof captureOutput>;
const thrown: unknown[] = [];

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'onboarding');
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
  readonly secrets: InMemorySecretStore;
  readonly faults: FaultInjector;
  readonly deps: OnboardingDependencies;
  readonly tenants: TenantsRepository;
  readonly keys: ApiKeysRepository;
  readonly webhooks: WebhooksRepository;
}

/** Handler dependencies over the real tables; every I/O call can be made to fail. */
function world(secrets = new InMemorySecretStore()): World {
  allStores.push(secrets);
  const clock = new FakeClock('2025-05-01T00:00:00.000Z');
  const faults = new FaultInjector();
  const doc = faultyDocClient(ddb.doc, faults);
  const store: SecretStore = new FaultySecretStore(secrets, faults);
  const { logger, metrics } = createObservability('onboarding-test');
  return {
    clock,
    secrets,
    faults,
    ...repositoriesFor(ddb.doc, tables, clock),
    deps: {
      ...repositoriesFor(doc, tables, clock),
      secrets: store,
      clock,
      logger,
      metrics,
      pickupSecretPrefix: PREFIX,
      urlPolicy: {},
    },
  };
}

let orgSequence = 0;
function newOrgId(): string {
  orgSequence += 1;
  return `acme-${orgSequence}-${Date.now().toString(36)}`;
}

/** A config webhook whose secret exists in `secrets`, as the partner stack would pass it. */
function configWebhook(orgId: string, secrets: InMemorySecretStore, id: string, url: string, events = ['*']) {
  const name = `partner-platform/test/webhooks/${orgId}/${id}`;
  // The in-memory store records the secret synchronously.
  if (secrets.arnOf(name) === undefined)
    void secrets.createSecret({ name, value: `whsec${id}${orgId}`.replace(/-/g, '') });
  return {
    id,
    url,
    events,
    secretArn: secrets.arnOf(name),
    connectionName: `pp-test-${orgId}-${id}`,
    apiDestinationName: `pp-test-${orgId}-${id}`,
  };
}

/** Properties as CloudFormation delivers them: scalars as strings. */
function properties(orgId: string, secrets: InMemorySecretStore, overrides: Record<string, unknown> = {}) {
  return {
    orgId,
    orgName: 'Acme Corp',
    ownerEmail: 'owner@acme.example',
    apiKeyValidityDays: '365',
    rotationGraceHours: '24',
    webhooks: [
      configWebhook(orgId, secrets, 'primary', `https://${orgId}.example/hooks/primary`),
      configWebhook(orgId, secrets, 'audit', `https://${orgId}.example/hooks/audit`),
    ],
    ...overrides,
  };
}

async function run(w: World, event: ReturnType<typeof customResourceEvent>) {
  try {
    return await handleOnboardingEvent(event, w.deps);
  } catch (error) {
    thrown.push(error);
    throw error;
  }
}

/** The invariant after any number of onboardings: one tenant, one live key, its plaintext in the pickup. */
async function expectOnboarded(w: World, orgId: string): Promise<void> {
  const tenant = await w.tenants.require(orgId);
  expect(tenant.status).toBe('active');
  const all = (await w.keys.listByOrg(orgId, { limit: 100 })).items;
  const live = all.filter((key) => key.status === 'active' || key.status === 'expiring');
  expect(live).toHaveLength(1);
  expect(liveKeyCount(tenant, 'production')).toBe(1);
  expect(live[0]).toMatchObject({ name: 'Default', environment: 'production' });
  const pickup = await w.secrets.getSecretValue(pickupSecretName(PREFIX, orgId));
  const { apiKey, keyId } = JSON.parse(pickup?.value ?? '{}');
  expect(hashApiKey(apiKey)).toBe(live[0].keyHash);
  expect(keyId).toBe(live[0].keyId);
  expect(w.secrets.names().filter((name) => name.startsWith(PREFIX + orgId))).toHaveLength(1);
}

describe('onboarding Create', () => {
  it('returns the stable physical id and no key material in Data', async () => {
    const w = world();
    const orgId = newOrgId();
    const response = await run(w, customResourceEvent('Create', properties(orgId, w.secrets)));
    expect(response.PhysicalResourceId).toBe(`partner:${orgId}`);
    expect(response.Data).toEqual({
      OrgId: orgId,
      PickupSecretName: `${PREFIX}${orgId}/initial-api-key`,
      ActiveKeyId: expect.stringMatching(/^key_/),
    });
    const pickup = JSON.parse((await w.secrets.getSecretValue(pickupSecretName(PREFIX, orgId)))?.value ?? '{}');
    expect(JSON.stringify(response)).not.toContain(pickup.apiKey);
    await expectOnboarded(w, orgId);
    const hooks = await w.webhooks.listAll(orgId);
    expect(hooks.map((hook) => [hook.webhookId, hook.status, hook.source])).toEqual([
      ['audit', 'pending', 'config'],
      ['primary', 'pending', 'config'],
    ]);
    expect(hooks[0].secretArn).toMatch(/^arn:aws:secretsmanager:/);
  });

  it('the same request sent 20 times leaves 1 tenant, 1 active key and 1 pickup secret', async () => {
    const w = world();
    const orgId = newOrgId();
    const props = properties(orgId, w.secrets);
    const first = await run(w, customResourceEvent('Create', props));
    for (let i = 1; i < 20; i++) {
      expect(await run(w, customResourceEvent('Create', props))).toEqual(first);
    }
    await expectOnboarded(w, orgId);
    expect((await w.keys.listByOrg(orgId)).items).toHaveLength(1);
    expect((await w.webhooks.list(orgId)).total).toBe(2);
  });

  it('20 concurrent deliveries of the same request leave 1 tenant and 1 active key', async () => {
    const w = world();
    const orgId = newOrgId();
    const props = properties(orgId, w.secrets);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => handleOnboardingEvent(customResourceEvent('Create', props), w.deps)),
    );
    // A delivery that lost every race fails like a CloudFormation retry would; retrying it succeeds.
    for (const result of results) {
      if (result.status === 'rejected') await run(w, customResourceEvent('Create', props));
    }
    await expectOnboarded(w, orgId);
    expect((await w.keys.listByOrg(orgId)).items).toHaveLength(1);
  });

  describe('a crash at any step, then a retry', () => {
    let steps = 0;
    beforeAll(async () => {
      const probe = world();
      await run(probe, customResourceEvent('Create', properties(newOrgId(), probe.secrets)));
      steps = probe.faults.steps;
    });

    it('visits enough steps to matter', () => {
      expect(steps).toBeGreaterThan(8);
    });

    for (const mode of ['before', 'after'] as FaultMode[]) {
      it(`crash ${mode} each step: the retry leaves one tenant, one active key and its plaintext in the pickup`, async () => {
        for (let step = 1; step <= steps; step++) {
          const w = world();
          const orgId = newOrgId();
          const props = properties(orgId, w.secrets);
          w.faults.failAt(step, mode);
          await expect(run(w, customResourceEvent('Create', props))).rejects.toThrow(/injected fault/);
          w.faults.reset();
          await run(w, customResourceEvent('Create', props));
          try {
            await expectOnboarded(w, orgId);
            expect((await w.keys.listByOrg(orgId)).items).toHaveLength(1);
            expect((await w.webhooks.list(orgId)).total).toBe(2);
          } catch (error) {
            throw new Error(`after a crash ${mode} step ${step}: ${(error as Error).message}`, { cause: error });
          }
        }
      });
    }
  });

  it('a returning partner (offboarded, then created again) gets a fresh key in its pickup', async () => {
    const w = world();
    const orgId = newOrgId();
    const props = properties(orgId, w.secrets);
    const created = await run(w, customResourceEvent('Create', props));
    await run(w, customResourceEvent('Delete', props, { physicalResourceId: created.PhysicalResourceId }));
    const again = await run(w, customResourceEvent('Create', props));
    expect(again.Data?.ActiveKeyId).not.toBe(created.Data?.ActiveKeyId);
    await expectOnboarded(w, orgId);
    expect((await w.keys.listByOrg(orgId)).items.map((key) => key.status).sort()).toEqual(['active', 'revoked']);
  });

  it("records the owner, so the partner file's ownerEmail finds the org at first portal sign-in", async () => {
    const w = world();
    const orgId = newOrgId();
    await run(w, customResourceEvent('Create', properties(orgId, w.secrets)));
    expect((await w.tenants.ownedBy('OWNER@acme.example')).map((tenant) => tenant.orgId)).toContain(orgId);
  });

  it('refuses to take over an org another owner registered in the portal, and changes nothing', async () => {
    const w = world();
    const orgId = newOrgId();
    await w.tenants.create({ orgId, orgName: 'Squatted Inc', ownerEmail: 'someone@else.example', source: 'portal' });
    const before = await w.tenants.require(orgId);
    await expect(run(w, customResourceEvent('Create', properties(orgId, w.secrets)))).rejects.toThrow(
      `org ${orgId} was registered through the portal by another owner; it can only be taken over with the same ownerEmail: choose another orgId or set that owner`,
    );
    expect(await w.tenants.require(orgId)).toEqual(before);
    expect(await w.keys.getActive(orgId)).toBeUndefined();
    expect(await w.webhooks.listAll(orgId)).toEqual([]);
  });

  it('adopts an org registered in the portal when the partner file names the same owner', async () => {
    const w = world();
    const orgId = newOrgId();
    await w.tenants.create({ orgId, orgName: 'Self Service', ownerEmail: 'owner@acme.example', source: 'portal' });
    await run(w, customResourceEvent('Create', properties(orgId, w.secrets)));
    expect(await w.tenants.require(orgId)).toMatchObject({ source: 'config', orgName: 'Acme Corp' });
  });

  it('still adopts an org registered through the admin API into config', async () => {
    const w = world();
    const orgId = newOrgId();
    await w.tenants.create({ orgId, orgName: 'Adopted', ownerEmail: 'owner@acme.example', source: 'api' });
    await run(w, customResourceEvent('Create', properties(orgId, w.secrets)));
    expect(await w.tenants.require(orgId)).toMatchObject({ source: 'config', orgName: 'Acme Corp' });
  });

  it('fails with a message naming the property when a value is invalid', async () => {
    const w = world();
    const orgId = newOrgId();
    await expect(
      run(
        w,
        customResourceEvent('Create', properties(orgId, w.secrets, { rotationGraceHours: '12', ownerEmail: 'nope' })),
      ),
    ).rejects.toThrow(/ownerEmail must be an email address.*rotationGraceHours must be one of 0, 24, 48, 72/);
    expect(await w.tenants.get(orgId)).toBeUndefined();
  });

  it('accepts webhooks delivered as a JSON string', async () => {
    const w = world();
    const orgId = newOrgId();
    const props = properties(orgId, w.secrets);
    await run(w, customResourceEvent('Create', { ...props, webhooks: JSON.stringify(props.webhooks) }));
    expect((await w.webhooks.list(orgId)).total).toBe(2);
  });
});

describe('onboarding Update', () => {
  it('applies name, owner and webhook changes: changed URL -> pending, removed -> deleted, added -> pending', async () => {
    const w = world();
    const orgId = newOrgId();
    const before = properties(orgId, w.secrets);
    const created = await run(w, customResourceEvent('Create', before));
    // The primary webhook has been verified meanwhile.
    const primary = await w.webhooks.require(orgId, 'primary');
    await w.webhooks.save({
      ...primary,
      status: 'active',
      verifiedUrl: primary.url,
      verifiedAt: w.clock.now().toISOString(),
    });
    const keyBefore = await w.keys.getActive(orgId);

    w.clock.advance(60_000);
    const after = properties(orgId, w.secrets, {
      orgName: 'Acme Corporation',
      ownerEmail: 'new-owner@acme.example',
      webhooks: [
        { ...before.webhooks[0], url: `https://${orgId}.example/hooks/primary-v2` },
        configWebhook(orgId, w.secrets, 'billing', `https://${orgId}.example/hooks/billing`, ['KeyAdded']),
      ],
    });
    const response = await run(
      w,
      customResourceEvent('Update', after, { physicalResourceId: created.PhysicalResourceId, oldProperties: before }),
    );
    expect(response.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(await w.tenants.require(orgId)).toMatchObject({
      orgName: 'Acme Corporation',
      ownerEmail: 'new-owner@acme.example',
    });
    const hooks = await w.webhooks.listAll(orgId);
    expect(hooks.map((hook) => hook.webhookId).sort()).toEqual(['billing', 'primary']);
    expect(hooks.find((hook) => hook.webhookId === 'primary')).toMatchObject({
      status: 'pending',
      url: `https://${orgId}.example/hooks/primary-v2`,
      verifiedUrl: `https://${orgId}.example/hooks/primary`,
      dueBucket: 'due',
    });
    expect(hooks.find((hook) => hook.webhookId === 'billing')).toMatchObject({
      status: 'pending',
      events: ['KeyAdded'],
    });
    // Keys are not touched by an Update.
    expect((await w.keys.getActive(orgId))?.keyHash).toBe(keyBefore?.keyHash);
    expect((await w.keys.listByOrg(orgId)).items).toHaveLength(1);
  });

  it('leaves webhooks created through the API alone', async () => {
    const w = world();
    const orgId = newOrgId();
    const props = properties(orgId, w.secrets);
    const created = await run(w, customResourceEvent('Create', props));
    const { createWebhook } = await import('../../lambda/core/webhooks');
    await w.webhooks.create(
      createWebhook({
        orgId,
        webhookId: 'wh_api',
        url: 'https://api.example/x',
        events: ['*'],
        source: 'api',
        clock: w.clock,
      }),
    );
    await run(
      w,
      customResourceEvent('Update', { ...props, webhooks: [] }, { physicalResourceId: created.PhysicalResourceId }),
    );
    expect((await w.webhooks.listAll(orgId)).map((hook) => hook.webhookId)).toEqual(['wh_api']);
  });
});

describe('onboarding Delete', () => {
  it('disables the tenant and revokes every key; data is retained; repeating it changes nothing', async () => {
    const w = world();
    const orgId = newOrgId();
    const props = properties(orgId, w.secrets);
    const created = await run(w, customResourceEvent('Create', props));
    await w.keys.rotate({ orgId, graceHours: 48 });

    for (let i = 0; i < 2; i++) {
      const response = await run(
        w,
        customResourceEvent('Delete', props, { physicalResourceId: created.PhysicalResourceId }),
      );
      expect(response.PhysicalResourceId).toBe(created.PhysicalResourceId);
    }
    const tenant = await w.tenants.require(orgId);
    expect(tenant).toMatchObject({ status: 'disabled' });
    expect(liveKeyCount(tenant, 'production')).toBe(0);
    const all = (await w.keys.listByOrg(orgId)).items;
    expect(all).toHaveLength(2);
    expect(all.every((key) => key.status === 'revoked' && !isKeyUsable(key, w.clock.now()))).toBe(true);
    expect((await w.webhooks.list(orgId)).total).toBe(2);
    await expect(w.keys.issue({ orgId })).rejects.toThrow(/disabled/);
  });

  it('a Delete for a resource that never got a physical id of ours does nothing', async () => {
    const w = world();
    const response = await run(
      w,
      customResourceEvent('Delete', properties(newOrgId(), w.secrets), { physicalResourceId: 'some-failed-create' }),
    );
    expect(response).toEqual({ PhysicalResourceId: 'some-failed-create' });
  });
});

describe('no key material leaks', () => {
  it('no plaintext key or webhook secret appears in any item, log line or error', async () => {
    // Its own onboardings, crashes and refusals, so it does not depend on which tests ran before.
    const w = world();
    const orgId = newOrgId();
    const thrownBefore = thrown.length;
    for (let step = 1; step <= 6; step++) {
      w.faults.failAt(step, step % 2 === 0 ? 'after' : 'before');
      await expect(run(w, customResourceEvent('Create', properties(orgId, w.secrets)))).rejects.toThrow(
        /injected fault/,
      );
      w.faults.reset();
    }
    await run(w, customResourceEvent('Create', properties(orgId, w.secrets)));
    await expect(
      run(w, customResourceEvent('Create', properties(newOrgId(), w.secrets, { ownerEmail: 'nope' }))),
    ).rejects.toThrow(/ownerEmail/);
    const own = thrown.slice(thrownBefore);
    expect(own.length).toBe(7);

    const secretsSeen = new Set<string>();
    for (const value of w.secrets.allValues()) {
      secretsSeen.add(value);
      try {
        const apiKey = JSON.parse(value).apiKey;
        if (typeof apiKey === 'string') secretsSeen.add(apiKey);
      } catch {
        // A webhook secret, not JSON.
      }
    }
    // Two webhook secrets of each org, the pickup secret and the key inside it.
    expect(secretsSeen.size).toBeGreaterThanOrEqual(4);
    // Earlier tests' secrets too, when they ran: more to look for, never fewer.
    for (const store of allStores) for (const value of store.allValues()) secretsSeen.add(value);

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
    expect(logs).toContain('initial API key issued');
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
