/**
 * The portal's "Recent failed deliveries" page and its replay forms, in
 * process against DynamoDB Local (the tables made from the platform
 * template, the failed deliveries the DLQ consumer's repository records):
 * listing newest first a page at a time, a crafted cursor answered with a
 * 400 page, every webhook of the org linked from the dashboard, another
 * org's webhook not found and nothing written, a POST without the CSRF
 * token refused, bad input refused, and a replay form submitted twice
 * re-publishing once. The events themselves go to a recording `Publish`
 * (the FailureReplay port): the delivery path runs in Chromium against the
 * local runtime (portal-failures.integ.test.ts).
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FakeClock } from '../../lambda/core/clock';
import { webhookResourceName } from '../../lambda/core/delivery-names';
import type { FailedDelivery } from '../../lambda/core/failed-deliveries';
import { FAILURES_PAGE_SIZE } from '../../lambda/portal/routes/failures';
import { FailedDeliveriesRepository } from '../../lambda/repositories/failed-deliveries-repository';
import { type PlatformRepositories, repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { FailureReplay } from '../../lambda/shared/failure-replay';
import { createTablesFromTemplate, deleteTables } from '../../local/tables-from-template';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { type PlatformTableNames, platformTemplate, scanPlatformTables } from '../support/platform-tables';
import { uniqueTablePrefix } from '../support/unique-table-prefix';
import { type Harness, type Jar, createHarness, validSettings } from './portal-app-harness';

const ENV = 'dev';
// Now-ish: DynamoDB Local's TTL sweep runs on the wall clock and would delete records "expired" in the past.
const clock = new FakeClock(new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString());
const USERS = { dana: { email: 'dana@partner.example', emailVerified: true, name: 'Dana' } };
const MANY = FAILURES_PAGE_SIZE + 5;

let ddb: IntegDynamoDb;
let created: Record<string, string>;
let tables: PlatformTableNames;
let failuresTable: string;
let repositories: PlatformRepositories;
let failures: FailedDeliveriesRepository;
const published: PutEventsRequestEntry[] = [];
let harness: Harness;
let jar: Jar;

/** Event `index` of a webhook, `index` minutes before the clock's now. */
function failure(orgId: string, webhookId: string, index: number): FailedDelivery {
  const eventTime = new Date(clock.now().getTime() - (index + 1) * 60_000).toISOString().replace('.000Z', 'Z');
  const eventId = `${webhookId}-ev-${String(index).padStart(3, '0')}`;
  return {
    orgId,
    webhookId,
    eventId,
    detailType: 'LockCreated',
    source: 'spk.api',
    eventTime,
    failedAt: clock.now().toISOString(),
    ruleName: webhookResourceName(ENV, 1, orgId, webhookId),
    errorCode: 'SDK_CLIENT_ERROR',
    errorMessage: 'Unable to invoke ApiDestination endpoint: HTTP 500 <b>not html</b>',
    httpStatus: 500,
    attempts: 3,
    failures: 1,
    status: 'failed',
    event: {
      id: eventId,
      'detail-type': 'LockCreated',
      source: 'spk.api',
      time: eventTime,
      detail: { partnerId: orgId, seq: index },
    },
    expiresAt: Math.floor(clock.now().getTime() / 1000) + 14 * 86_400,
  };
}

async function withWebhook(orgId: string, webhookId: string): Promise<void> {
  const at = clock.now().toISOString();
  await repositories.webhooks.create({
    orgId,
    webhookId,
    url: `https://hooks.${orgId}.example/${webhookId}`,
    events: ['*'],
    status: 'active',
    source: 'portal',
    createdAt: at,
    updatedAt: at,
    attempts: 1,
  });
}

/** Every table the portal could write to, the failures table included (a test-only Scan). */
async function snapshot() {
  const { Items } = await ddb.doc.send(new ScanCommand({ TableName: failuresTable, ConsistentRead: true }));
  const items = (Items ?? []).map((item) => JSON.stringify(item, Object.keys(item).sort())).sort();
  return { platform: await scanPlatformTables(ddb.doc, tables), failures: items, published: published.length };
}

const page = async (path: string) => {
  const response = await harness.request('GET', path, { jar });
  return { status: response.status, text: await response.text() };
};

/** The rows' event ids, in page order. */
const rowIds = (text: string) => [...text.matchAll(/<tr class="failure" data-event-id="([^"]+)"/g)].map((m) => m[1]);

/** The hidden fields of the first form on `text` that posts to the replay path and holds `marker`. */
function formFields(text: string, marker: string): Record<string, string> {
  const form = [...text.matchAll(/<form method="post" action="[^"]*\/replay"[\s\S]*?<\/form>/g)]
    .map((match) => match[0])
    .find((candidate) => candidate.includes(marker));
  if (form === undefined) throw new Error(`no replay form with ${marker}`);
  const fields = [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)];
  return Object.fromEntries(fields.map((match) => [match[1], match[2]]));
}

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  const prefix = uniqueTablePrefix('portal-failures');
  created = await createTablesFromTemplate(ddb.client, platformTemplate(), { nameFor: (id) => `${prefix}${id}` });
  const table = (start: string) => created[Object.keys(created).find((id) => id.startsWith(start))!];
  tables = { tenants: table('TablesTenants'), apiKeys: table('TablesApiKeys'), webhooks: table('TablesWebhooks') };
  failuresTable = table('TablesFailedDeliveries');
  repositories = repositoriesFor(ddb.doc, tables, clock);
  failures = new FailedDeliveriesRepository({ doc: ddb.doc, tableName: failuresTable });
  const failureReplay = new FailureReplay({
    failures,
    publish: async (entries) => {
      published.push(...entries);
      return entries.map(() => true);
    },
    environmentName: ENV,
    clock,
    retentionDays: 14,
  });
  harness = createHarness({
    doc: ddb.doc,
    settings: validSettings(tables),
    users: USERS,
    clock,
    overrides: { failureReplay },
  });
  jar = await harness.signIn('dana');
  const token = await harness.csrf(jar, '/onboarding');
  await harness.request('POST', '/onboarding', { jar, form: { _csrf: token, orgId: 'acme', orgName: 'Acme' } });
  await withWebhook('acme', 'wh_orders');
  await withWebhook('acme', 'wh_audit');
  await repositories.tenants.create({ orgId: 'acme-evil', orgName: 'Evil', ownerEmail: 'o@evil.example' });
  await withWebhook('acme-evil', 'wh_evil');
  for (let index = 0; index < MANY; index++) await failures.record(failure('acme', 'wh_orders', index));
  await failures.record(failure('acme', 'wh_audit', 0));
  for (let index = 0; index < 3; index++) await failures.record(failure('acme-evil', 'wh_evil', index));
}, 120_000);

afterAll(async () => {
  if (ddb === undefined) return;
  await deleteTables(ddb.client, Object.values(created));
  await ddb.close();
});

describe('the Recent failed deliveries page', () => {
  it('is linked from the dashboard for every webhook of the org, and no other', async () => {
    const { text } = await page('/dashboard');
    expect(text).toContain('href="/webhooks/wh_orders/failures"');
    expect(text).toContain('href="/webhooks/wh_audit/failures"');
    expect(text).not.toContain('wh_evil');
  });

  it('lists the failures newest first with time, type, HTTP status, escaped error, attempts and status, a page at a time', async () => {
    const first = await page('/webhooks/wh_orders/failures');
    expect(first.status).toBe(200);
    const expected = Array.from({ length: MANY }, (_, index) => `wh_orders-ev-${String(index).padStart(3, '0')}`);
    expect(rowIds(first.text)).toEqual(expected.slice(0, FAILURES_PAGE_SIZE));
    const row = /<tr class="failure" data-event-id="wh_orders-ev-000">[\s\S]*?<\/tr>/.exec(first.text)![0];
    expect(row).toContain('<td class="failure-type">LockCreated</td>');
    expect(row).toContain('<td class="failure-http-status">500</td>');
    expect(row).toContain('<code>SDK_CLIENT_ERROR</code> Unable to invoke ApiDestination endpoint: HTTP 500 &lt;b&gt;');
    expect(row).toContain('<td class="failure-attempts">4</td>');
    expect(row).toMatch(/class="badge badge-failed failure-status">failed</);
    expect(row).toContain(`<time datetime="${failure('acme', 'wh_orders', 0).eventTime}">`);

    const next = /href="(\/webhooks\/wh_orders\/failures\?cursor=[^"]+)" id="older-failures"/.exec(first.text)![1];
    const second = await page(next.replace(/&amp;/g, '&'));
    expect(second.status).toBe(200);
    expect(rowIds(second.text)).toEqual(expected.slice(FAILURES_PAGE_SIZE));
    expect(second.text).not.toContain('id="older-failures"');
    expect(second.text).toContain('id="newest-failures"');
  });

  it("shows only the webhook's own failures: the same org's other webhook and another org's are not listed", async () => {
    expect(rowIds((await page('/webhooks/wh_audit/failures')).text)).toEqual(['wh_audit-ev-000']);
    const mine = (await page('/webhooks/wh_orders/failures')).text;
    expect(mine).not.toContain('wh_evil');
    expect(mine).not.toContain('wh_audit-ev');
  });

  it.each([
    ['another partition', Buffer.from(JSON.stringify({ k: 'f#../../acme-evil#wh_evil' })).toString('base64url')],
    ['not base64 JSON', 'not-a-cursor'],
    [
      'an extra field',
      Buffer.from(JSON.stringify({ k: 'f#2026-01-01T00:00:00Z#x', pk: 'acme-evil#wh_evil' })).toString('base64url'),
    ],
  ])('a crafted cursor (%s) gets a 400 page that names no key', async (_label, cursor) => {
    const response = await page(`/webhooks/wh_orders/failures?cursor=${encodeURIComponent(cursor)}`);
    expect(response.status).toBe(400);
    expect(response.text).toContain('This page link is not one the portal made');
    expect(response.text).toContain('href="/webhooks/wh_orders/failures"');
    expect(response.text).not.toContain('acme-evil');
  });

  it.each([
    ["another org's webhook", 'wh_evil'],
    ['no webhook', 'wh_missing'],
    ['an id no webhook can have', 'a%20b'],
  ])('%s: the page is 404', async (_label, id) => {
    const response = await page(`/webhooks/${id}/failures`);
    expect(response.status).toBe(404);
    expect(response.text).not.toContain('ev-000');
  });

  it('sends signed-out users to sign in', async () => {
    const response = await harness.request('GET', '/webhooks/wh_orders/failures');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
  });
});

describe('replay refusals change nothing and publish nothing', () => {
  const post = (id: string, form: Record<string, string>) =>
    harness.request('POST', `/webhooks/${id}/replay`, { jar, form });

  it("another org's webhook id, with this page's valid form: 404", async () => {
    const fields = formFields((await page('/webhooks/wh_orders/failures')).text, 'name="requestId"');
    const before = await snapshot();
    const response = await post('wh_evil', { ...fields, since: '2000-01-01T00:00' });
    expect(response.status).toBe(404);
    const rowForm = formFields((await page('/webhooks/wh_orders/failures')).text, 'wh_orders-ev-001');
    expect((await post('wh_evil', { ...rowForm, eventId: 'wh_evil-ev-001' })).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });

  it('a POST without the CSRF token: 403', async () => {
    const fields = formFields((await page('/webhooks/wh_orders/failures')).text, 'name="requestId"');
    const before = await snapshot();
    const { _csrf: _dropped, ...withoutToken } = fields;
    const response = await post('wh_orders', { ...withoutToken, since: '2000-01-01T00:00' });
    expect(response.status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['no time', { since: '' }, 'give the date and time'],
    ['a time with an offset', { since: '2026-01-01T00:00+02:00' }, 'give the date and time'],
    ['no such date', { since: '2026-02-31T10:00' }, 'give the date and time'],
    ['a request id the page did not make', { since: '2000-01-01T00:00', requestId: 'replay-1' }, 'form has expired'],
    ['a malformed event id', { eventId: '../x' }, 'not an event of this list'],
  ])('%s: 400 with the page and the reason', async (_label, extra, reason) => {
    const fields = formFields((await page('/webhooks/wh_orders/failures')).text, 'name="requestId"');
    const before = await snapshot();
    const response = await post('wh_orders', { ...fields, ...extra });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('id="failures-error"');
    expect(text).toContain(reason);
    expect(await snapshot()).toEqual(before);
  });
});

describe('replay', () => {
  it('Replay since, submitted twice with the same form, re-publishes each failed event since then once', async () => {
    const text = (await page('/webhooks/wh_orders/failures')).text;
    const fields = formFields(text, 'name="since"') as Record<string, string>;
    const otherForms = [...text.matchAll(/name="requestId" value="([^"]+)"/g)].map((match) => match[1]);
    expect(new Set(otherForms).size).toBe(otherForms.length); // every form its own request id
    // Since 10 minutes ago: events 0-9 (event i happened i+1 minutes ago).
    const since = new Date(clock.now().getTime() - 10 * 60_000).toISOString().slice(0, 16);
    const form = { ...fields, since };
    published.length = 0;
    const first = await harness.request('POST', '/webhooks/wh_orders/replay', { jar, form });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/webhooks/wh_orders/failures?replay=sent&count=10');
    const second = await harness.request('POST', '/webhooks/wh_orders/replay', { jar, form });
    expect(second.status).toBe(303);
    expect(second.headers.get('location')).toBe('/webhooks/wh_orders/failures?replay=duplicate');
    expect(published).toHaveLength(10);
    const replayOf = published.map((entry) => JSON.parse(entry.Detail!).replayOf).sort();
    expect(replayOf).toEqual(Array.from({ length: 10 }, (_, i) => `wh_orders-ev-${String(i).padStart(3, '0')}`));
    expect(published.every((entry) => JSON.parse(entry.Detail!).replayFor === 'wh_orders')).toBe(true);
    expect(published.every((entry) => JSON.parse(entry.Detail!).partnerId === 'acme')).toBe(true);

    const after = await page('/webhooks/wh_orders/failures?replay=sent&count=10');
    expect(after.text).toContain('10 events were sent again.');
    const statuses = [...after.text.matchAll(/failure-status">(\w+)</g)].map((match) => match[1]);
    expect(statuses.slice(0, 10).every((status) => status === 'replayed')).toBe(true);
    expect(statuses.slice(10).every((status) => status === 'failed')).toBe(true);
    expect((await page('/webhooks/wh_orders/failures?replay=duplicate')).text).toContain('nothing was sent again');
    const record = await failures.getReplay('acme', 'wh_orders', fields.requestId);
    expect(record).toMatchObject({ requestedBy: 'portal:dana@partner.example', state: 'completed', published: 10 });
  });

  it('Replay on a row re-publishes that one event, once per form, even after it was replayed', async () => {
    const fields = formFields((await page('/webhooks/wh_orders/failures')).text, 'value="wh_orders-ev-020"');
    expect(fields.eventId).toBe('wh_orders-ev-020');
    published.length = 0;
    for (let submit = 0; submit < 2; submit++) {
      await harness.request('POST', '/webhooks/wh_orders/replay', { jar, form: fields });
    }
    expect(published.map((entry) => JSON.parse(entry.Detail!).replayOf)).toEqual(['wh_orders-ev-020']);
    const again = formFields((await page('/webhooks/wh_orders/failures')).text, 'value="wh_orders-ev-020"');
    expect(again.requestId).not.toBe(fields.requestId);
    const response = await harness.request('POST', '/webhooks/wh_orders/replay', { jar, form: again });
    expect(response.headers.get('location')).toBe('/webhooks/wh_orders/failures?replay=sent&count=1');
    expect(published).toHaveLength(2);
  });

  it("a row's event id of another webhook replays nothing of it", async () => {
    const fields = formFields((await page('/webhooks/wh_orders/failures')).text, 'value="wh_orders-ev-021"');
    published.length = 0;
    const response = await harness.request('POST', '/webhooks/wh_orders/replay', {
      jar,
      form: { ...fields, eventId: 'wh_evil-ev-001' },
    });
    expect(response.headers.get('location')).toBe('/webhooks/wh_orders/failures?replay=sent&count=0');
    expect(published).toEqual([]);
  });
});
