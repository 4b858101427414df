import type { SQSRecord } from 'aws-lambda';
import { runtimeWebhookResourceName, webhookResourceName } from '../../lambda/core/delivery-names';
import { FakeClock } from '../../lambda/core/clock';
import { ValidationError } from '../../lambda/core/errors';
import { consumeDeadLetters, type DlqConsumerDependencies } from '../../lambda/dlq-consumer/dlq-consumer';
import { FailedDeliveriesRepository } from '../../lambda/repositories/failed-deliveries-repository';
import { WebhooksRepository } from '../../lambda/repositories/webhooks-repository';
import { createTablesFromTemplate, deleteTables } from '../../local/tables-from-template';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { platformTemplate } from '../support/platform-tables';
import { uniqueTablePrefix } from '../support/unique-table-prefix';

const ENV = 'dev';
const clock = new FakeClock('2026-03-01T00:00:00.000Z');
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
let db: IntegDynamoDb;
let created: Record<string, string>;
let failures: FailedDeliveriesRepository;
let webhooks: WebhooksRepository;

/** Now-ish, so DynamoDB Local's TTL sweep (which runs on the wall clock) leaves the records alone. */
const SENT_AT = new Date(Math.floor(Date.now() / 1000) * 1000);
const ruleArn = (bus: string, name: string) => `arn:aws:events:us-east-1:000000000000:rule/${bus}/${name}`;
let sequence = 0;

function deadLetter(options: {
  orgId: string;
  rule: string;
  id?: string;
  time?: string;
  detail?: Record<string, unknown>;
  errorMessage?: string;
}): SQSRecord {
  sequence += 1;
  const event = {
    version: '0',
    id: options.id ?? `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    'detail-type': 'LockCreated',
    source: 'spk.api',
    account: '000000000000',
    time: options.time ?? `2026-03-01T00:00:${String(sequence % 60).padStart(2, '0')}Z`,
    region: 'us-east-1',
    resources: [],
    detail: { partnerId: options.orgId, lockId: `lock-${sequence}`, ...options.detail },
  };
  const attribute = (value: string) => ({ stringValue: value, dataType: 'String' });
  return {
    messageId: `m-${sequence}`,
    body: JSON.stringify(event),
    attributes: { SentTimestamp: String(SENT_AT.getTime()) },
    messageAttributes: {
      RULE_ARN: attribute(ruleArn('partner-platform-dev-shard-001', options.rule)),
      TARGET_ARN: attribute('arn:aws:events:us-east-1:000000000000:api-destination/x/y'),
      ERROR_CODE: attribute('SDK_CLIENT_ERROR'),
      ERROR_MESSAGE: attribute(options.errorMessage ?? 'Unable to invoke ApiDestination endpoint: HTTP 500'),
      RETRY_ATTEMPTS: attribute('3'),
    },
  } as unknown as SQSRecord;
}

function deps(overrides: Partial<DlqConsumerDependencies> = {}): DlqConsumerDependencies {
  return { failures, webhooks, environmentName: ENV, retentionDays: 14, logger: silent, ...overrides };
}

async function webhook(orgId: string, webhookId: string, source: 'config' | 'api') {
  const at = clock.now().toISOString();
  await webhooks.create({
    orgId,
    webhookId,
    url: `https://${orgId}.example/hooks`,
    events: ['*'],
    status: 'active',
    source,
    createdAt: at,
    updatedAt: at,
    attempts: 0,
  });
}

beforeAll(async () => {
  db = await connectToDynamoDbLocal();
  const prefix = uniqueTablePrefix('dlq');
  created = await createTablesFromTemplate(db.client, platformTemplate(), { nameFor: (id) => `${prefix}${id}` });
  const table = (start: string) => created[Object.keys(created).find((id) => id.startsWith(start))!];
  failures = new FailedDeliveriesRepository({ doc: db.doc, tableName: table('TablesFailedDeliveries') });
  webhooks = new WebhooksRepository({ doc: db.doc, tableName: table('TablesWebhooks'), clock });
  await webhook('acme', 'primary', 'config');
  await webhook('acme', 'wh_runtime', 'api');
  await webhook('acme-evil', 'primary', 'config');
}, 60_000);

afterAll(async () => {
  await deleteTables(db.client, Object.values(created));
  await db.close();
});

describe('DLQ consumer', () => {
  it("records a dead letter of a config rule as the failure of that org's webhook, with status, error and a 14-day TTL", async () => {
    const record = deadLetter({ orgId: 'acme', rule: webhookResourceName(ENV, 1, 'acme', 'primary'), id: 'ev-config' });
    expect(await consumeDeadLetters(deps(), [record])).toEqual({ batchItemFailures: [] });
    const { items } = await failures.list('acme', 'primary');
    const failure = items.find((item) => item.eventId === 'ev-config');
    expect(failure).toEqual(
      expect.objectContaining({
        orgId: 'acme',
        webhookId: 'primary',
        detailType: 'LockCreated',
        httpStatus: 500,
        errorCode: 'SDK_CLIENT_ERROR',
        attempts: 3,
        failures: 1,
        status: 'failed',
        failedAt: SENT_AT.toISOString(),
        expiresAt: SENT_AT.getTime() / 1000 + 14 * 86_400,
      }),
    );
    // acme-evil has a webhook of the same id: it sees nothing of acme's.
    expect((await failures.list('acme-evil', 'primary')).items).toEqual([]);
  });

  it("records a run-time rule's dead letter under its webhook", async () => {
    const rule = runtimeWebhookResourceName(ENV, 1, 'acme', 'wh_runtime');
    await consumeDeadLetters(deps(), [deadLetter({ orgId: 'acme', rule, id: 'ev-runtime', errorMessage: 'timeout' })]);
    const [failure] = (await failures.list('acme', 'wh_runtime')).items;
    expect(failure.eventId).toBe('ev-runtime');
    expect(failure.httpStatus).toBeUndefined();
  });

  it('drops, without retrying, dead letters that name no webhook: a routing rule, another env, a bad body', async () => {
    const letters = [
      deadLetter({ orgId: 'acme', rule: 'pp-dev-s001-route-0' }),
      deadLetter({ orgId: 'acme', rule: webhookResourceName('prod', 1, 'acme', 'primary') }),
      // acme-evil's event cannot be attributed to acme's rule, nor the other way round.
      deadLetter({ orgId: 'acme-evil', rule: webhookResourceName(ENV, 1, 'acme', 'primary') }),
      { ...deadLetter({ orgId: 'acme', rule: webhookResourceName(ENV, 1, 'acme', 'primary') }), body: 'not json' },
    ];
    const before = (await failures.list('acme', 'primary')).items.length;
    expect(await consumeDeadLetters(deps(), letters)).toEqual({ batchItemFailures: [] });
    expect((await failures.list('acme', 'primary')).items).toHaveLength(before);
    expect((await failures.list('acme-evil', 'primary')).items).toEqual([]);
  });

  it('reports only the messages whose write failed, so SQS retries just those', async () => {
    const rule = webhookResourceName(ENV, 1, 'acme', 'primary');
    const good = deadLetter({ orgId: 'acme', rule });
    const bad = deadLetter({ orgId: 'acme', rule, id: 'ev-bad' });
    const flaky = {
      record: async (failure: Parameters<FailedDeliveriesRepository['record']>[0]) => {
        if (failure.eventId === 'ev-bad') throw new Error('ProvisionedThroughputExceededException');
        await failures.record(failure);
      },
    };
    expect(await consumeDeadLetters(deps({ failures: flaky }), [good, bad])).toEqual({
      batchItemFailures: [{ itemIdentifier: bad.messageId }],
    });
  });

  it('a replay that fails again updates the original failure: same event id, failures counted up, status failed', async () => {
    const rule = webhookResourceName(ENV, 1, 'acme', 'primary');
    const time = '2026-03-01T00:00:42Z';
    await consumeDeadLetters(deps(), [deadLetter({ orgId: 'acme', rule, id: 'ev-again', time })]);
    const [first] = await failures.since('acme', 'primary', time, 1);
    await failures.markReplayed([first], 'replay-1', '2026-03-01T01:00:00Z');
    const replayed = deadLetter({
      orgId: 'acme',
      rule,
      id: 'new-id-of-the-replay',
      time,
      detail: { replayFor: 'primary', replayOf: 'ev-again' },
    });
    await consumeDeadLetters(deps(), [replayed]);
    const again = (await failures.byEventIds('acme', 'primary', ['ev-again']))[0];
    expect(again).toEqual(expect.objectContaining({ eventId: 'ev-again', failures: 2, status: 'failed' }));
    expect(again.replayId).toBeUndefined();
    expect(again.event.id).toBe('ev-again');
    expect(again.event.detail).not.toHaveProperty('replayFor');
    expect(await failures.byEventIds('acme', 'primary', ['new-id-of-the-replay'])).toEqual([]);
  });

  it('pages newest first with an opaque cursor; a crafted cursor is refused', async () => {
    const first = await failures.list('acme', 'primary', { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.items[0].eventTime >= first.items[1].eventTime).toBe(true);
    const second = await failures.list('acme', 'primary', { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((i) => i.eventId)).not.toContain(first.items[0].eventId);
    // The cursor carries a sort key only: in another org's partition it reads that org's items, never acme's.
    expect((await failures.list('acme-evil', 'primary', { cursor: first.nextCursor })).items).toEqual([]);
    const crafted = [
      'not-base64-json',
      Buffer.from(JSON.stringify({ k: 'r#x' })).toString('base64url'),
      Buffer.from(JSON.stringify({ webhookKey: 'acme#primary', entryKey: 'f#x' })).toString('base64url'),
      Buffer.from(JSON.stringify({ k: { S: 'f#' } })).toString('base64url'),
    ];
    for (const cursor of crafted) {
      await expect(failures.list('acme', 'primary', { cursor })).rejects.toThrow(ValidationError);
    }
  });
});
