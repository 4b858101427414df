/**
 * The Events page and the test-event refusals, in process against DynamoDB
 * Local (the sending path itself runs in Chromium against the local runtime,
 * portal-events.integ.test.ts): the catalog listed and escaped, and every
 * refusal (no bus configured, another org's webhook, a type the webhook does
 * not subscribe to, no CSRF token) answered before anything is published or
 * counted. Then the per-org budget itself, window by window.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FakeClock } from '../../lambda/core/clock';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { TestEventLimit } from '../../lambda/portal/test-event-limit';
import { type PlatformRepositories, repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import {
  createPlatformTables,
  deletePlatformTables,
  type PlatformTableNames,
  scanPlatformTables,
} from '../support/platform-tables';
import { type Harness, type Jar, createHarness, validSettings } from './portal-app-harness';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let repositories: PlatformRepositories;
const clock = new FakeClock('2026-03-01T09:00:00.000Z');
const USERS = { dana: { email: 'dana@partner.example', emailVerified: true, name: 'Dana' } };
/** Nothing listens here: a refusal that reached PutEvents would fail loudly instead of passing. */
const unreachable = new EventBridgeClient({
  endpoint: 'http://127.0.0.1:9',
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
});

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'portal-events');
  repositories = repositoriesFor(ddb.doc, tables, clock);
}, 60_000);

afterAll(async () => {
  unreachable.destroy();
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

async function withWebhook(orgId: string, webhookId: string, events: string[]): Promise<void> {
  await repositories.webhooks.create({
    orgId,
    webhookId,
    url: `https://hooks.${orgId}.example/`,
    events,
    status: 'active',
    source: 'portal',
    createdAt: clock.now().toISOString(),
    updatedAt: clock.now().toISOString(),
    attempts: 1,
  });
}

let harness: Harness;
let jar: Jar;

beforeAll(async () => {
  harness = createHarness({
    doc: ddb.doc,
    settings: { ...validSettings(tables), PLATFORM_BUS_NAME: 'partner-platform-dev' },
    users: USERS,
    clock,
    overrides: { eventBridge: unreachable },
  });
  jar = await harness.signIn('dana');
  const token = await harness.csrf(jar, '/onboarding');
  await harness.request('POST', '/onboarding', { jar, form: { _csrf: token, orgId: 'acme', orgName: 'Acme' } });
  await withWebhook('acme', 'wh_locks', ['LockCreated', 'Shadow Update']);
  await repositories.tenants.create({ orgId: 'acme-evil', orgName: 'Evil', ownerEmail: 'o@evil.example' });
  await withWebhook('acme-evil', 'wh_evil', ['*']);
}, 60_000);

describe('the Events page', () => {
  it('lists every catalog type with its source and escaped example, and offers only the subscribed types', async () => {
    const response = await harness.request('GET', '/events', { jar });
    expect(response.status).toBe(200);
    const page = await response.text();
    for (const type of PLATFORM_EVENT_CATALOG.types) {
      expect(page).toContain(`<h3 class="event-type-name">${type.name}</h3>`);
    }
    expect(page).toContain('<pre class="example">{\n  &quot;partnerId&quot;');
    expect(page).toContain('GET /v1/partner/event-types');
    const options = [...page.matchAll(/<option value="([^"]+)">/g)].map((match) => match[1]);
    expect(options).toEqual(['LockCreated', 'Shadow Update']);
    expect(page).not.toContain('wh_evil');
  });

  it('is linked from the dashboard', async () => {
    expect(await (await harness.request('GET', '/dashboard', { jar })).text()).toContain('href="/events"');
  });

  it('sends signed-out users to sign in', async () => {
    const response = await harness.request('GET', '/events');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
  });
});

describe('Send test event refusals change nothing and publish nothing', () => {
  const send = async (form: Record<string, string>) => {
    const token = await harness.csrf(jar, '/events');
    return harness.request('POST', '/events/test', { jar, form: { _csrf: token, ...form } });
  };

  it.each([
    ["another org's webhook", { webhookId: 'wh_evil', type: 'LockCreated' }, 404, 'not found'],
    [
      'a type the webhook does not subscribe to',
      { webhookId: 'wh_locks', type: 'KeyAdded' },
      400,
      'does not subscribe',
    ],
    ['a type the catalog does not hold', { webhookId: 'wh_locks', type: 'order.created' }, 400, 'does not subscribe'],
  ])('%s: %i', async (_label, form, status, text) => {
    const before = await scanPlatformTables(ddb.doc, tables);
    const response = await send(form);
    expect(response.status).toBe(status);
    expect((await response.text()).toLowerCase()).toContain(text);
    expect(await scanPlatformTables(ddb.doc, tables)).toEqual(before);
  });

  it('a POST without the CSRF token: 403', async () => {
    const response = await harness.request('POST', '/events/test', {
      jar,
      form: { webhookId: 'wh_locks', type: 'LockCreated' },
    });
    expect(response.status).toBe(403);
  });

  it('without a platform bus setting the page offers no form and a POST is a 409', async () => {
    const settings = harness.settings;
    harness.settings = { ...settings, PLATFORM_BUS_NAME: undefined };
    try {
      const page = await (await harness.request('GET', '/events', { jar })).text();
      expect(page).toContain('Test events are not available in this deployment.');
      expect(page).not.toContain('action="/events/test"');
      const token = await harness.csrf(jar, '/events');
      const response = await harness.request('POST', '/events/test', {
        jar,
        form: { _csrf: token, webhookId: 'wh_locks', type: 'LockCreated' },
      });
      expect(response.status).toBe(409);
    } finally {
      harness.settings = settings;
    }
  });
});

describe('TestEventLimit', () => {
  it('allows the budget per org and minute, refuses the next with the seconds to wait, and starts again next minute', async () => {
    const limit = new TestEventLimit(ddb.doc, tables.tenants, 3);
    const minute = 1_800_000_000 - (1_800_000_000 % 60);
    const decisions = [];
    for (let second = 0; second < 4; second++) decisions.push(await limit.take('acme', minute + 10 + second));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]).toEqual({ allowed: false, retryAfterSeconds: 60 - 13 });
    // Another org, even one whose id extends this one, has its own budget.
    expect(await limit.take('acme-evil', minute + 20)).toEqual({ allowed: true });
    expect(await limit.take('acme', minute + 60)).toEqual({ allowed: true });
  });

  it('never lets concurrent takes overshoot the budget', async () => {
    const limit = new TestEventLimit(ddb.doc, tables.tenants, 5);
    const now = 1_900_000_020;
    const decisions = await Promise.all(Array.from({ length: 12 }, () => limit.take('racer', now)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
  });
});
