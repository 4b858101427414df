/**
 * The provisioner against DynamoDB Local and the local EventBridge control
 * plane, through the real EventBridge client: a run-time webhook goes from
 * pending to live with its challenge answered, its resources follow URL,
 * events, tenant and delete changes, and nothing it does touches a name it
 * does not own.
 */
import { platformBusName, runtimeRouteRuleName, shardBusName } from '../../lambda/core/delivery-names';
import { runtimeRouteOf, webhookPlacement } from '../../lambda/core/provisioning';
import { onEventsChanged, onUrlChanged } from '../../lambda/core/webhooks';
import { systemClock } from '../../lambda/core/clock';
import { reprovisionRuntimeWebhooks } from '../../lambda/shared/runtime-webhooks';
import { WEBHOOK_SECRET_HEADER } from '../../lambda/shared/webhook-headers';
import { webhookEventPattern } from '../../lambda/core/event-catalog';
import { webhookRulePattern } from '../../lambda/core/failed-deliveries';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { type ProvisionerWorld, SOURCES, TOPOLOGY, WEBHOOK_SECRET, createProvisionerWorld } from './provisioner-world';

let ddb: IntegDynamoDb;
let world: ProvisionerWorld;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
}, 60_000);

afterAll(async () => {
  await ddb?.close();
});

beforeEach(async () => {
  world = await createProvisionerWorld(ddb);
});

afterEach(async () => {
  await world.close();
});

const LOOSE = { allowHttp: true, allowLoopback: true };

describe('provisioner: a run-time webhook', () => {
  it('is challenged at once and goes live: connection with the secret header, destination, rule and one target, routed by a runtime route', async () => {
    await world.tenant('acme-rt');
    const hook = await world.webhook('acme-rt', { events: ['LockCreated', 'KeyAdded'] });
    const started = Date.now();

    const [outcome] = await world.provisioner().handleChanges([hook]);

    expect(outcome).toMatchObject({ outcome: 'live' });
    expect(Date.now() - started).toBeLessThan(5_000);
    const stored = await world.repositories.webhooks.require('acme-rt', hook.webhookId);
    expect(stored).toMatchObject({ status: 'active', verifiedUrl: hook.url, delivery: { state: 'live' } });
    const { name, shard, busName } = webhookPlacement(TOPOLOGY, 'acme-rt', hook.webhookId);
    const { store } = world.plane;
    expect(store.connections.get(name)?.AuthParameters.ApiKeyAuthParameters).toEqual({
      ApiKeyName: WEBHOOK_SECRET_HEADER,
      ApiKeyValue: WEBHOOK_SECRET,
    });
    expect(store.apiDestinations.get(name)).toMatchObject({
      InvocationEndpoint: hook.url,
      InvocationRateLimitPerSecond: 10,
    });
    const rule = store.rule(busName, name);
    // The same builder as config webhooks: each type from its own source, the org's own partnerId.
    expect(JSON.parse(rule?.EventPattern ?? '{}')).toEqual(
      webhookRulePattern(
        webhookEventPattern('acme-rt', ['LockCreated', 'KeyAdded'], PLATFORM_EVENT_CATALOG),
        hook.webhookId,
      ),
    );
    expect(JSON.parse(rule?.EventPattern ?? '{}')).toMatchObject({ detail: { partnerId: ['acme-rt'] } });
    expect(rule?.Targets).toEqual([
      {
        Id: 'webhook',
        Arn: store.apiDestinations.get(name)?.ApiDestinationArn,
        RoleArn: `arn:aws:iam::111111111111:role/pp-dev-s00${shard}-invoke`,
        DeadLetterConfig: { Arn: `arn:aws:sqs:eu-west-1:111111111111:pp-dev-s00${shard}-dlq` },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
      },
    ]);
    const route = store.rule(platformBusName('dev'), runtimeRouteRuleName('dev', shard, 0));
    expect(JSON.parse(route?.EventPattern ?? '{}')).toEqual({ source: SOURCES, detail: { partnerId: ['acme-rt'] } });
    expect(route?.Targets[0]).toMatchObject({
      Id: 'shard-bus',
      Arn: `arn:aws:events:eu-west-1:111111111111:event-bus/${shardBusName('dev', shard)}`,
    });
    // The secret reached EventBridge only: no log line holds it.
    expect(world.logger.lines.join('\n')).not.toContain(WEBHOOK_SECRET);
  });

  it('its own delivery-state write, seen again on the stream, makes no EventBridge call', async () => {
    await world.tenant('acme-rt');
    const hook = await world.webhook('acme-rt');
    const provisioner = world.provisioner();
    await provisioner.handleChanges([hook]);
    const calls = world.plane.calls.length;

    const [again] = await provisioner.handleChanges([hook]);

    expect(again).toMatchObject({ outcome: 'unchanged' });
    expect(world.plane.calls.length).toBe(calls);
  });

  it('keeps delivering to the old verified URL while a new one is pending, then switches', async () => {
    await world.tenant('acme-rt');
    const hook = await world.webhook('acme-rt');
    const provisioner = world.provisioner();
    await provisioner.handleChanges([hook]);
    const { name } = webhookPlacement(TOPOLOGY, 'acme-rt', hook.webhookId);
    const answering = await world.receiver();
    const newUrl = `${answering.origin}/v2`;
    // A URL nothing listens on fails its challenge and stays pending.
    await world.repositories.webhooks.update('acme-rt', hook.webhookId, (current) => ({
      ...current,
      ...onUrlChanged(current, 'http://127.0.0.1:9/refused', systemClock, LOOSE),
    }));
    await provisioner.handleChanges([hook]);
    expect(world.plane.store.apiDestinations.get(name)?.InvocationEndpoint).toBe(hook.url);
    expect(await world.repositories.webhooks.require('acme-rt', hook.webhookId)).toMatchObject({ status: 'pending' });

    await world.repositories.webhooks.update('acme-rt', hook.webhookId, (current) => ({
      ...current,
      ...onUrlChanged(current, newUrl, systemClock, LOOSE),
    }));
    const [switched] = await provisioner.handleChanges([hook]);

    expect(switched).toMatchObject({ outcome: 'live' });
    expect(world.plane.store.apiDestinations.get(name)?.InvocationEndpoint).toBe(newUrl);
  });

  it('an events change rewrites the rule; delete removes target, rule, destination, connection and the route', async () => {
    await world.tenant('acme-rt');
    const hook = await world.webhook('acme-rt');
    const provisioner = world.provisioner();
    await provisioner.handleChanges([hook]);
    const { name, busName } = webhookPlacement(TOPOLOGY, 'acme-rt', hook.webhookId);

    await world.repositories.webhooks.update('acme-rt', hook.webhookId, (current) => ({
      ...current,
      ...onEventsChanged(current, ['*'], systemClock),
    }));
    await provisioner.handleChanges([hook]);
    expect(JSON.parse(world.plane.store.rule(busName, name)?.EventPattern ?? '{}')).toEqual(
      webhookRulePattern(webhookEventPattern('acme-rt', ['*'], PLATFORM_EVENT_CATALOG), hook.webhookId),
    );

    await world.repositories.webhooks.delete('acme-rt', hook.webhookId);
    const [removed] = await provisioner.handleChanges([hook]);

    expect(removed).toMatchObject({ outcome: 'removed' });
    expect(world.plane.store.listRules()).toEqual([]);
    expect(world.plane.store.apiDestinations.size).toBe(0);
    expect(world.plane.store.connections.size).toBe(0);
  });

  it("a disabled tenant's rules are disabled by the reconcile", async () => {
    await world.tenant('acme-rt');
    const hook = await world.webhook('acme-rt');
    await world.provisioner().handleChanges([hook]);
    await world.repositories.tenants.disable('acme-rt');

    const report = await world.provisioner().reconcile();

    const { name, busName } = webhookPlacement(TOPOLOGY, 'acme-rt', hook.webhookId);
    expect(report).toMatchObject({ webhooks: 1, live: 1, errors: 0 });
    expect(world.plane.store.rule(busName, name)?.State).toBe('DISABLED');
  });

  it("disabling a tenant marks its run-time webhooks, so the stream's next change disables their rules at once; enabling again enables them", async () => {
    await world.tenant('acme-rt');
    const hook = await world.webhook('acme-rt');
    const provisioner = world.provisioner();
    await provisioner.handleChanges([hook]);
    const { name, busName } = webhookPlacement(TOPOLOGY, 'acme-rt', hook.webhookId);
    const before = await world.repositories.webhooks.require('acme-rt', hook.webhookId);
    await world.repositories.tenants.disable('acme-rt');

    // The tenants table has no stream: the mark is a webhooks-table change, which its stream carries.
    expect(await reprovisionRuntimeWebhooks(world.repositories.webhooks, 'acme-rt', systemClock)).toBe(1);
    const marked = await world.repositories.webhooks.require('acme-rt', hook.webhookId);
    expect(marked.version).toBeGreaterThan(before.version);
    expect(marked.delivery?.state).toBe('provisioning');
    // What the webhooks table's stream carries next.
    expect((await provisioner.handleChanges([hook]))[0]).toMatchObject({ outcome: 'live' });
    expect(world.plane.store.rule(busName, name)?.State).toBe('DISABLED');

    await world.repositories.tenants.ensure({
      orgId: 'acme-rt',
      orgName: 'acme-rt',
      ownerEmail: 'owner@acme-rt.example',
    });
    await reprovisionRuntimeWebhooks(world.repositories.webhooks, 'acme-rt', systemClock);
    await provisioner.handleChanges([hook]);
    expect(world.plane.store.rule(busName, name)?.State).toBe('ENABLED');
  });

  it('a tenant with a partner file (a config webhook) is never listed in a runtime route, so no event is delivered twice', async () => {
    await world.tenant('both-doors');
    const fromFile = await world.webhook('both-doors', { source: 'config', webhookId: 'primary' });
    const runtime = await world.webhook('both-doors');
    const provisioner = world.provisioner();

    await provisioner.handleChanges([fromFile, runtime]);
    await provisioner.reconcile();

    const route = runtimeRouteOf(TOPOLOGY, 'both-doors');
    expect(world.plane.store.rule(platformBusName('dev'), route.name)).toBeUndefined();
    // The run-time webhook still has its rule on the shard bus, which the config route feeds.
    const { name, busName } = webhookPlacement(TOPOLOGY, 'both-doors', runtime.webhookId);
    expect(world.plane.store.rule(busName, name)).toBeDefined();
    // The config webhook's resources are the template's: the provisioner created none for it.
    expect(world.plane.store.connections.size).toBe(1);
  });
});
