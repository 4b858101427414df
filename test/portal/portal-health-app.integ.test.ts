/**
 * The endpoint-health banner and Re-enable button, in process against
 * DynamoDB Local: a webhook health disabled shows "Disabled after N hours of
 * failed deliveries" with a CSRF-protected Re-enable form on the dashboard;
 * pressing it re-enables the signed-in org's webhook (and writes nothing
 * else); a POST without the token, or for another org's webhook, changes
 * nothing.
 */
import { FakeClock, HOUR_MS } from '../../lambda/core/clock';
import { onDeliveryFailed, onDisabled } from '../../lambda/core/endpoint-health';
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
let harness: Harness;
let jar: Jar;

/** A portal webhook whose deliveries failed for `hours`, then disabled by the sweep. */
async function disabledWebhook(orgId: string, webhookId: string, hours: number): Promise<void> {
  const start = new Date(clock.now().getTime() - hours * HOUR_MS);
  const streak = onDeliveryFailed(onDeliveryFailed(undefined, start), clock.now());
  await repositories.webhooks.create({
    orgId,
    webhookId,
    url: `https://hooks.${orgId}.example/`,
    verifiedUrl: `https://hooks.${orgId}.example/`,
    events: ['LockCreated'],
    status: 'active',
    source: 'portal',
    createdAt: start.toISOString(),
    updatedAt: clock.now().toISOString(),
    attempts: 1,
    health: onDisabled(streak, hours, clock.now()),
  });
}

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'portal-health');
  repositories = repositoriesFor(ddb.doc, tables, clock);
  harness = createHarness({ doc: ddb.doc, settings: validSettings(tables), users: USERS, clock });
  jar = await harness.signIn('dana');
  const token = await harness.csrf(jar, '/onboarding');
  await harness.request('POST', '/onboarding', { jar, form: { _csrf: token, orgId: 'acme', orgName: 'Acme' } });
  await disabledWebhook('acme', 'wh_orders', 120);
  await repositories.tenants.create({ orgId: 'acme-evil', orgName: 'Evil', ownerEmail: 'o@evil.example' });
  await disabledWebhook('acme-evil', 'wh_evil', 130);
}, 60_000);

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

const dashboard = async (path = '/dashboard') => (await harness.request('GET', path, { jar })).text();

describe('the disabled banner and Re-enable', () => {
  it('shows "Disabled after N hours of failed deliveries" with a CSRF-protected Re-enable form', async () => {
    const page = await dashboard();
    expect(page).toContain('Disabled after 120 hours of failed deliveries');
    expect(page).toMatch(
      /<form method="post" action="\/webhooks\/wh_orders\/enable">\s*<input type="hidden" name="_csrf"/,
    );
    expect(page).not.toContain('wh_evil');
  });

  it.each([
    ['without the CSRF token', 'wh_orders', false, 403],
    ["for another org's webhook", 'wh_evil', true, 404],
  ])('a POST %s (%s, token: %s): %i, nothing changed', async (_label, webhookId, withToken, status) => {
    const before = await scanPlatformTables(ddb.doc, tables);
    const form: Record<string, string> = withToken ? { _csrf: await harness.csrf(jar, '/dashboard') } : {};
    const response = await harness.request('POST', `/webhooks/${webhookId}/enable`, { jar, form });
    expect(response.status).toBe(status);
    expect(await scanPlatformTables(ddb.doc, tables)).toEqual(before);
  });

  it("Re-enable switches the org's webhook back on, and the banner goes", async () => {
    clock.advance(HOUR_MS);
    const token = await harness.csrf(jar, '/dashboard');
    const response = await harness.request('POST', '/webhooks/wh_orders/enable', { jar, form: { _csrf: token } });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/\/dashboard\?notice=webhook-enabled$/);
    const stored = await repositories.webhooks.get('acme', 'wh_orders');
    expect(stored?.health).toEqual({
      state: 'healthy',
      reenabledAt: clock.now().toISOString(),
      reenabledBy: 'portal:dana@partner.example',
    });
    expect((await repositories.webhooks.get('acme-evil', 'wh_evil'))?.health?.state).toBe('disabled');
    const page = await dashboard('/dashboard?notice=webhook-enabled');
    expect(page).not.toContain('Disabled after');
    expect(page).toContain('Webhook re-enabled');
  });
});
