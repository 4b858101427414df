/**
 * Webhook verification end to end against DynamoDB Local (tables from the
 * synthesized platform template, so the real `byDue` index) and real HTTP
 * receivers on 127.0.0.1 that check the Standard Webhooks signature.
 */
import { FakeClock, HOUR_MS, MINUTE_MS } from '../../lambda/core/clock';
import { createWebhook, onUrlChanged } from '../../lambda/core/webhooks';
import { type StoredWebhook, WebhooksRepository } from '../../lambda/repositories/webhooks-repository';
import { InMemorySecretStore } from '../../lambda/shared/secret-store';
import { RepositoryWebhookStore, SecretStoreReader } from '../../lambda/verification/adapters';
import { ChallengeSender } from '../../lambda/verification/send-challenge';
import { createVerificationHandler } from '../../lambda/verification/verification-handler';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';
import { CapturingLogger, CountingMetrics } from '../verification/fakes';
import { type Receiver, type Respond, respondBySignature, startReceiver } from '../verification/receiver';

const LOCAL_URLS = { allowHttp: true, allowLoopback: true } as const;

let ddb: IntegDynamoDb;
let tables: PlatformTableNames | undefined;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
}, 60_000);

afterAll(async () => {
  await ddb?.close();
});

interface World {
  readonly clock: FakeClock;
  readonly repository: WebhooksRepository;
  readonly secrets: InMemorySecretStore;
  readonly logger: CapturingLogger;
  readonly metrics: CountingMetrics;
  readonly sender: ChallengeSender;
  readonly handler: ReturnType<typeof createVerificationHandler>;
  readonly receivers: Receiver[];
  /** Every secret value created, to prove none leaked. */
  readonly secretValues: string[];
}

/** The per-challenge timeout: at 300 ms the healthy receiver was once counted as retrying during a full suite on 2 cores. */
const CHALLENGE_TIMEOUT_MS = 2000;

let world: World;

beforeEach(async () => {
  tables = await createPlatformTables(ddb.client, 'verification');
  const clock = new FakeClock('2025-06-01T08:00:00.000Z');
  const repository = new WebhooksRepository({ doc: ddb.doc, tableName: tables.webhooks, clock });
  const secrets = new InMemorySecretStore();
  const logger = new CapturingLogger();
  const metrics = new CountingMetrics();
  // Long enough that a loaded 2-core machine still answers the healthy receiver in time; the hanging one waits it out.
  const sender = new ChallengeSender({ ...LOCAL_URLS, timeoutMs: CHALLENGE_TIMEOUT_MS });
  const handler = createVerificationHandler({
    store: new RepositoryWebhookStore(repository),
    secrets: new SecretStoreReader(secrets),
    transport: sender,
    clock,
    logger,
    metrics,
  });
  world = {
    clock,
    repository,
    secrets,
    logger,
    metrics,
    sender,
    handler,
    receivers: [],
    secretValues: [],
  };
  // The first call synthesizes the platform template for the tables: a few seconds.
}, 60_000);

afterEach(async () => {
  await world.sender.close();
  await Promise.all(world.receivers.map((receiver) => receiver.close()));
  await deletePlatformTables(ddb.client, tables);
  tables = undefined;
}, 30_000);

/** A webhook as onboarding records it: pending, with its own secret and API destination. */
async function addWebhook(orgId: string, respond?: Respond): Promise<{ receiver: Receiver; secret: string }> {
  const secret = `whsec-like-${orgId}-Value-${Math.random().toString(36).slice(2)}`;
  world.secretValues.push(secret);
  const receiver = await startReceiver({ secret, respond: respond ?? respondBySignature });
  world.receivers.push(receiver);
  const created = await world.secrets.createSecret({
    name: `partner-platform/dev/webhooks/${orgId}/primary`,
    value: secret,
  });
  if (!created.created) throw new Error('secret exists');
  await world.repository.create({
    ...createWebhook({
      orgId,
      webhookId: 'primary',
      url: `${receiver.origin}/${orgId}`,
      events: ['*'],
      source: 'config',
      clock: world.clock,
      urlPolicy: LOCAL_URLS,
    }),
    secretArn: created.arn,
    apiDestinationName: `pp-dev-s001-${orgId}-primary`,
  });
  return { receiver, secret };
}

const status500: Respond = (_request, response) => response.writeHead(500).end();
const hang: Respond = () => undefined;

describe('verification sweep over the webhooks repository (DynamoDB Local)', () => {
  it('finds due webhooks through the byDue index and records each outcome', async () => {
    const ok = await addWebhook('org-ok');
    await addWebhook('org-500', status500);
    await addWebhook('org-hang', hang);

    const result = await world.handler({ action: 'sweep' });

    expect(result).toEqual({
      action: 'sweep',
      due: 3,
      deferred: 0,
      counts: { verified: 1, retrying: 2, failed: 0, skipped: 0, error: 0 },
    });
    expect(ok.receiver.requests.map((request) => request.signatureValid)).toEqual([true]);
    expect(await world.repository.get('org-ok', 'primary')).toMatchObject({
      status: 'active',
      verifiedAt: '2025-06-01T08:00:00.000Z',
      verifiedUrl: `${ok.receiver.origin}/org-ok`,
      version: 2,
    });
    expect(await world.repository.get('org-500', 'primary')).toMatchObject({
      status: 'pending',
      lastError: 'HTTP 500',
      attempts: 1,
      dueAt: '2025-06-01T08:01:00.000Z',
    });
    expect(await world.repository.get('org-hang', 'primary')).toMatchObject({
      status: 'pending',
      lastError: `timeout after ${CHALLENGE_TIMEOUT_MS} ms`,
    });
    // Only the failed ones are still due, and not before their next attempt.
    const stillDue = await world.repository.dueForVerification(new Date('2025-06-01T08:01:00.000Z'));
    expect(stillDue.items.map((webhook) => webhook.orgId).sort()).toEqual(['org-500', 'org-hang']);
    expect((await world.repository.dueForVerification(world.clock.now())).items).toEqual([]);
  });

  it('retries on the backoff schedule and gives up as failed 24 h after the URL was set', async () => {
    const { receiver } = await addWebhook('org-down', status500);

    let sweeps = 0;
    for (;;) {
      await world.handler({ action: 'sweep' });
      sweeps += 1;
      const current = await world.repository.get('org-down', 'primary');
      if (current?.status !== 'pending' || current.nextAttemptAt === undefined) break;
      world.clock.set(current.nextAttemptAt);
    }

    const final = await world.repository.get('org-down', 'primary');
    expect(final).toMatchObject({ status: 'failed', lastError: 'HTTP 500' });
    expect(final).not.toHaveProperty('dueAt');
    expect(world.clock.now().toISOString()).toBe('2025-06-02T08:00:00.000Z');
    // 1, 2, 4, ... 32 min, then hourly, with the last attempt at exactly 24 h.
    expect(sweeps).toBe(final?.attempts);
    expect(receiver.requests).toHaveLength(sweeps);
    expect(sweeps).toBe(30);
    expect(world.metrics.counts.WebhookVerificationFailed).toBe(1);
  });

  it('a URL changed at run time becomes the verified URL only after it answers', async () => {
    const { secret } = await addWebhook('org-move');
    await world.handler({ action: 'sweep' });
    const oldUrl = (await world.repository.get('org-move', 'primary'))?.verifiedUrl;
    let healthy = false;
    const moved = await startReceiver({
      secret,
      respond: (request, response, received) =>
        healthy ? respondBySignature(request, response, received) : status500(request, response, received),
    });
    world.receivers.push(moved);
    const newUrl = `${moved.origin}/moved`;
    world.clock.advance(HOUR_MS);
    // The core transition keeps the stored attributes it does not own (version, binding).
    await world.repository.update(
      'org-move',
      'primary',
      (current) => onUrlChanged(current, newUrl, world.clock, LOCAL_URLS) as StoredWebhook,
    );

    await world.handler({ action: 'sweep' });

    expect(await world.repository.get('org-move', 'primary')).toMatchObject({
      status: 'pending',
      url: newUrl,
      verifiedUrl: oldUrl,
    });

    healthy = true;
    world.clock.advance(MINUTE_MS);
    await world.handler({ action: 'sweep' });

    expect(await world.repository.get('org-move', 'primary')).toMatchObject({
      status: 'active',
      url: newUrl,
      verifiedUrl: newUrl,
    });
  });

  it('two sweeps racing over the same due webhooks save each result once (version check)', async () => {
    const hooks = await Promise.all(['org-r1', 'org-r2', 'org-r3'].map((orgId) => addWebhook(orgId)));

    const results = await Promise.all([world.handler({ action: 'sweep' }), world.handler({ action: 'sweep' })]);

    const verified = results.reduce((sum, result) => sum + ('counts' in result ? result.counts.verified : 0), 0);
    expect(verified).toBe(3);
    for (const orgId of ['org-r1', 'org-r2', 'org-r3']) {
      expect(await world.repository.get(orgId, 'primary')).toMatchObject({ status: 'active', attempts: 1, version: 2 });
    }
    expect(hooks.every(({ receiver }) => receiver.requests.every((request) => request.signatureValid))).toBe(true);
  });

  it('no secret value appears in any log line or stored item', async () => {
    await addWebhook('org-a');
    await addWebhook('org-b', status500);
    await world.handler({ action: 'sweep' });

    const stored = JSON.stringify(
      await Promise.all(['org-a', 'org-b'].map((orgId) => world.repository.get(orgId, 'primary'))),
    );
    for (const secret of world.secretValues) {
      expect(world.logger.text()).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
  });
});
