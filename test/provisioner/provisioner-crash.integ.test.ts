/**
 * Crash safety and quotas, against DynamoDB Local and the local EventBridge
 * control plane: a crash injected after every EventBridge call the
 * provisioner makes (a client middleware that throws from call N+1 on, for
 * every N), then a reconcile, ends exactly where the uninterrupted run ends,
 * with no duplicate and no orphan; and with the quotas lowered, the next
 * webhook on a full bus is refused with quota_exceeded and nothing partial.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { webhookPlacement } from '../../lambda/core/provisioning';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { type ProvisionerWorld, TOPOLOGY, createProvisionerWorld, eventBridgeState } from './provisioner-world';

let ddb: IntegDynamoDb;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
}, 60_000);

afterAll(async () => {
  await ddb?.close();
});

const ORG = 'crash-org';
const HOOK = 'wh_crashtest0000000000';

/** A client that fails every call after the first `allowed` ones, as a crash between two calls would. */
function crashingAfter(world: ProvisionerWorld, allowed: number): EventBridgeClient {
  const client = world.plane.client();
  let made = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      made += 1;
      if (made > allowed) throw Object.assign(new Error('injected crash'), { name: 'InjectedCrash' });
      return next(args);
    },
    { step: 'initialize', name: 'injectCrash' },
  );
  return client;
}

/** The state with the receivers' random ports taken out, so runs in different worlds compare. */
function endState(world: ProvisionerWorld): unknown {
  return JSON.parse(JSON.stringify(eventBridgeState(world.plane)).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT'));
}

async function liveWorld(label: string): Promise<ProvisionerWorld> {
  const world = await createProvisionerWorld(ddb, { label });
  await world.tenant(ORG);
  await world.webhook(ORG, { webhookId: HOOK, events: ['LockCreated', 'KeyAdded'] });
  return world;
}

describe('provisioner crash safety', () => {
  it('a crash after any EventBridge call while creating, then a reconcile, ends in the uninterrupted state', async () => {
    const baseline = await liveWorld('crashbase');
    await baseline.provisioner().handleChanges([{ orgId: ORG, webhookId: HOOK }]);
    const expected = endState(baseline);
    const callCount = baseline.plane.calls.length;
    await baseline.close();
    expect(callCount).toBeGreaterThan(8);

    for (let allowed = 0; allowed < callCount; allowed++) {
      const world = await liveWorld(`crash${allowed}`);
      try {
        const [crashed] = await world
          .provisioner(crashingAfter(world, allowed))
          .handleChanges([{ orgId: ORG, webhookId: HOOK }]);
        expect(crashed.outcome).toBe('error');
        const report = await world.provisioner().reconcile();
        expect({ allowed, state: endState(world) }).toEqual({ allowed, state: expected });
        expect(report).toMatchObject({ errors: 0 });
        expect((await world.repositories.webhooks.require(ORG, HOOK)).delivery).toMatchObject({ state: 'live' });
      } finally {
        await world.close();
      }
    }
  }, 300_000);

  it('a crash after any EventBridge call while deleting, then a reconcile, leaves no orphan', async () => {
    const probe = await liveWorld('crashdelprobe');
    await probe.provisioner().handleChanges([{ orgId: ORG, webhookId: HOOK }]);
    await probe.repositories.webhooks.delete(ORG, HOOK);
    const before = probe.plane.calls.length;
    await probe.provisioner().handleChanges([{ orgId: ORG, webhookId: HOOK }]);
    const deleteCalls = probe.plane.calls.length - before;
    expect(eventBridgeState(probe.plane)).toEqual({ connections: [], destinations: [], rules: [] });
    await probe.close();

    for (let allowed = 0; allowed < deleteCalls; allowed++) {
      const world = await liveWorld(`crashdel${allowed}`);
      try {
        await world.provisioner().handleChanges([{ orgId: ORG, webhookId: HOOK }]);
        await world.repositories.webhooks.delete(ORG, HOOK);
        await world.provisioner(crashingAfter(world, allowed)).handleChanges([{ orgId: ORG, webhookId: HOOK }]);
        const report = await world.provisioner().reconcile();
        expect({ allowed, state: eventBridgeState(world.plane) }).toEqual({
          allowed,
          state: { connections: [], destinations: [], rules: [] },
        });
        expect(report.errors).toBe(0);
      } finally {
        await world.close();
      }
    }
  }, 300_000);
});

describe('provisioner quotas', () => {
  it('refuses the next webhook on a full shard bus with quota_exceeded and creates nothing for it', async () => {
    const world = await createProvisionerWorld(ddb, { label: 'quota', limits: { rulesPerEventBus: 2 } });
    try {
      await world.tenant(ORG);
      const provisioner = world.provisioner();
      for (const webhookId of ['wh_quota00000000000001', 'wh_quota00000000000002']) {
        await world.webhook(ORG, { webhookId });
        expect((await provisioner.handleChanges([{ orgId: ORG, webhookId }]))[0]).toMatchObject({ outcome: 'live' });
      }
      const before = eventBridgeState(world.plane);
      const third = await world.webhook(ORG, { webhookId: 'wh_quota00000000000003' });

      const [refused] = await provisioner.handleChanges([third]);

      const { busName, name } = webhookPlacement(TOPOLOGY, ORG, third.webhookId);
      expect(refused).toMatchObject({ outcome: 'failed', lastError: expect.stringMatching(/^quota_exceeded: /) });
      expect(eventBridgeState(world.plane)).toEqual(before);
      expect(world.plane.store.connections.has(name)).toBe(false);
      const stored = await world.repositories.webhooks.require(ORG, third.webhookId);
      expect(stored.delivery).toMatchObject({ state: 'failed' });
      expect(stored.delivery?.lastError).toContain(`EventBridge rules on bus ${busName}: 2 exist, 1 more would pass 2`);
    } finally {
      await world.close();
    }
  }, 60_000);
});
