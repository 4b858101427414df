/**
 * Two provisioners at once (a stream retry and the reconcile, or two
 * concurrent stream invocations), against DynamoDB Local and the local
 * EventBridge control plane: each is held at a chosen call until the other
 * has finished, the interleaving that loses an update when each reads, merges
 * and writes. Both end in exactly the state one uninterrupted run leaves:
 * one connection, destination and rule per webhook, and every tenant in its
 * runtime route.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { runtimeRouteOf } from '../../lambda/core/provisioning';
import type { WebhookKey } from '../../lambda/provisioner/provisioner';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { type ProvisionerWorld, TOPOLOGY, createProvisionerWorld, eventBridgeState } from './provisioner-world';

let ddb: IntegDynamoDb;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
}, 60_000);

afterAll(async () => {
  await ddb?.close();
});

/** Two orgs hashed to the same runtime route. */
const [FIRST, SECOND] = (() => {
  const candidates = Array.from({ length: 20 }, (_, index) => `race-org-${index}`);
  const route = runtimeRouteOf(TOPOLOGY, candidates[0]).name;
  return candidates.filter((orgId) => runtimeRouteOf(TOPOLOGY, orgId).name === route);
})();

/** A client whose first call matching `held` waits until `release` resolves. */
function holding(
  world: ProvisionerWorld,
  held: (command: string, input: { Name?: string }) => boolean,
  release: Promise<unknown>,
): { client: EventBridgeClient; reached: Promise<void> } {
  const client = world.plane.client();
  let reach: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  let holdingDone = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!holdingDone && held(context.commandName ?? '', args.input as { Name?: string })) {
        holdingDone = true;
        reach();
        await release;
      }
      return next(args);
    },
    { step: 'initialize', name: 'holdOneCall' },
  );
  return { client, reached };
}

function endState(world: ProvisionerWorld): unknown {
  return JSON.parse(
    JSON.stringify(eventBridgeState(world.plane))
      .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
      .replace(/wh_[A-Za-z0-9]+/g, 'WEBHOOK'),
  );
}

async function worldWith(
  label: string,
  orgIds: readonly string[],
): Promise<{ world: ProvisionerWorld; keys: WebhookKey[] }> {
  const world = await createProvisionerWorld(ddb, { label });
  const keys: WebhookKey[] = [];
  for (const orgId of orgIds) {
    await world.tenant(orgId);
    const hook = await world.webhook(orgId, { webhookId: `wh_${orgId.replace(/-/g, '')}race0000` });
    keys.push({ orgId, webhookId: hook.webhookId });
  }
  return { world, keys };
}

describe('two provisioners at once', () => {
  it('different tenants of one route: a route write held until the other provisioner finished loses no member', async () => {
    expect(SECOND).toBeDefined();
    const baseline = await worldWith('racebase', [FIRST, SECOND]);
    await baseline.world.provisioner().handleChanges(baseline.keys);
    const expected = endState(baseline.world);
    await baseline.world.close();

    const { world, keys } = await worldWith('raceroute', [FIRST, SECOND]);
    try {
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      const routeName = runtimeRouteOf(TOPOLOGY, FIRST).name;
      const held = holding(
        world,
        (command, input) => command === 'PutRuleCommand' && input.Name === routeName,
        released,
      );
      const first = world.provisioner(held.client).handleChanges([keys[0]]);
      await held.reached;
      const second = await world.provisioner().handleChanges([keys[1]]);
      release();
      const outcomes = [...(await first), ...second];

      expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['live', 'live']);
      expect(endState(world)).toEqual(expected);
      const route = world.plane.store.rule(TOPOLOGY.platformBusName, routeName);
      expect(JSON.parse(route?.EventPattern ?? '{}').detail.partnerId).toEqual([FIRST, SECOND].sort());
    } finally {
      await world.close();
    }
  }, 60_000);

  it('the same webhook: a create held until the other provisioner made it finds it and ends with no duplicate', async () => {
    const baseline = await worldWith('racesamebase', [FIRST]);
    await baseline.world.provisioner().handleChanges(baseline.keys);
    const expected = endState(baseline.world);
    await baseline.world.close();

    const { world, keys } = await worldWith('racesame', [FIRST]);
    try {
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      const held = holding(world, (command) => command === 'CreateConnectionCommand', released);
      const first = world.provisioner(held.client).handleChanges(keys);
      await held.reached;
      const second = await world.provisioner().reconcile();
      release();
      const [outcome] = await first;

      expect(second).toMatchObject({ errors: 0, live: 1 });
      expect(outcome).toMatchObject({ outcome: 'live' });
      expect(endState(world)).toEqual(expected);
      expect(world.plane.calls.filter((call) => call === 'CreateConnection')).toHaveLength(2);
      expect(world.plane.calls.filter((call) => call === 'UpdateApiDestination')).toHaveLength(0);
    } finally {
      await world.close();
    }
  }, 60_000);

  it('many tenants of few routes converged by two provisioners and a reconcile at once end as one run does', async () => {
    const orgIds = Array.from({ length: 10 }, (_, index) => `race-many-${index}`);
    const baseline = await worldWith('racemanybase', orgIds);
    await baseline.world.provisioner().handleChanges(baseline.keys);
    const expected = endState(baseline.world);
    await baseline.world.close();

    const { world, keys } = await worldWith('racemany', orgIds);
    try {
      const [one, two] = await Promise.all([
        world.provisioner().handleChanges(keys),
        world.provisioner().handleChanges([...keys].reverse()),
        world.provisioner().reconcile(),
      ]);
      expect([...one, ...two].filter((outcome) => outcome.outcome === 'error')).toEqual([]);
      expect(endState(world)).toEqual(expected);
    } finally {
      await world.close();
    }
  }, 120_000);
});
