/**
 * The portal app in process (`app.request()`, a fake OIDC issuer) against
 * DynamoDB Local: onboarding, the reveal-once key, rotation, the "No active
 * key" fix, webhook URLs, and what a refused request leaves behind.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FakeClock } from '../../lambda/core/clock';
import { MEMBERSHIP_KEY_PREFIX } from '../../lambda/portal/memberships';
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
let harness: Harness;
let repositories: PlatformRepositories;
// Now-ish, not a fixed date: DynamoDB Local's TTL sweep runs on the wall clock and deletes session
// items whose `deleteAfter` (the fake clock's now + 8 h) is already past, which signed tests out at random.
const clock = new FakeClock(new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString());
const HOUR_MS = 3_600_000;

const USERS = {
  dana: { email: 'dana@partner.example', emailVerified: true, name: 'Dana' },
  eve: { email: 'eve@other.example', emailVerified: true },
  // Signs in with the email a partner file once named as owner, later changed.
  frank: { email: 'former-owner@partner.example', emailVerified: true },
};

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
}, 60_000);

afterAll(async () => {
  await ddb?.close();
});

beforeEach(async () => {
  tables = await createPlatformTables(ddb.client, 'portal-app');
  harness = createHarness({ doc: ddb.doc, settings: validSettings(tables), users: USERS, clock });
  repositories = repositoriesFor(ddb.doc, tables, clock);
}, 60_000);

afterEach(async () => {
  await deletePlatformTables(ddb.client, tables);
});

async function snapshot(): Promise<unknown> {
  return { tables: await scanPlatformTables(ddb.doc, tables), secrets: harness.secrets.names() };
}

async function onboard(jar: Jar, orgId: string, orgName = 'ACME Corporation'): Promise<Response> {
  const token = await harness.csrf(jar, '/onboarding');
  return harness.request('POST', '/onboarding', { jar, form: { _csrf: token, orgId, orgName } });
}

/** A tenant onboarded from a partner file, with its owner recorded as onboarding records it. */
async function configTenant(orgId: string, orgName: string, ownerEmail: string): Promise<void> {
  await repositories.tenants.create({ orgId, orgName, ownerEmail, source: 'config' });
  await repositories.tenants.recordOwner(orgId, ownerEmail);
}

async function dashboard(jar: Jar): Promise<string> {
  const response = await harness.request('GET', '/dashboard', { jar });
  expect(response.status).toBe(200);
  return response.text();
}

const revealedKey = (page: string) => /id="revealed-key">([^<]+)</.exec(page)?.[1];
const maskedKey = (page: string) => /id="masked-key">([^<]+)</.exec(page)?.[1];

describe('onboarding', () => {
  it('registers the tenant with the user as member, issues the first key and shows it once', async () => {
    const jar = await harness.signIn('dana');
    expect((await harness.request('GET', '/', { jar })).headers.get('location')).toBe('/onboarding');
    const response = await onboard(jar, 'acme-corp');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/dashboard?notice=onboarded');
    const flash = response.headers.getSetCookie().find((cookie) => cookie.startsWith('__Host-portal_flash='))!;
    expect(flash).toContain('HttpOnly');
    expect(flash).toMatch(/Max-Age=120/);

    const tenant = await repositories.tenants.require('acme-corp');
    expect(tenant).toMatchObject({ orgName: 'ACME Corporation', ownerEmail: 'dana@partner.example', status: 'active' });
    const active = await repositories.keys.getActive('acme-corp');
    expect(active?.createdBy).toBe('portal:dana@partner.example');

    const first = await dashboard(jar);
    const plaintext = revealedKey(first)!;
    expect(plaintext).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(first).toContain("Save it now, you can't see it again");
    expect(first).toContain('<summary>Reveal API key</summary>');
    expect(maskedKey(first)).toBe(`${plaintext.slice(0, 8)}…${plaintext.slice(-4)}`);
    // The plaintext is nowhere in the flash cookie's readable form, nor in the logs.
    expect(flash).not.toContain(plaintext);
    expect(harness.logs.join('\n')).not.toContain(plaintext);

    const reload = await dashboard(jar);
    expect(revealedKey(reload)).toBeUndefined();
    expect(reload).not.toContain(plaintext);
    expect(maskedKey(reload)).toBe(maskedKey(first));
    expect((await harness.request('GET', '/', { jar })).headers.get('location')).toBe('/dashboard');
  });

  it('a taken orgId is a clear error on the form and changes nothing', async () => {
    await onboard(await harness.signIn('dana'), 'acme-corp');
    const eve = await harness.signIn('eve');
    const before = await snapshot();
    const response = await onboard(eve, 'acme-corp', 'Imposter Inc');
    expect(response.status).toBe(409);
    const page = await response.text();
    expect(page).toContain('&quot;acme-corp&quot; is already taken');
    expect(page).toContain('value="Imposter Inc"');
    expect(await snapshot()).toEqual(before);
    expect((await harness.request('GET', '/dashboard', { jar: eve })).headers.get('location')).toBe('/onboarding');
  });

  it('a user who already has an org cannot register a second one', async () => {
    const jar = await harness.signIn('dana');
    const token = await harness.csrf(jar, '/onboarding');
    await harness.request('POST', '/onboarding', { jar, form: { _csrf: token, orgId: 'acme-corp', orgName: 'A' } });
    const again = await harness.request('POST', '/onboarding', {
      jar,
      form: { _csrf: token, orgId: 'second-org', orgName: 'B' },
    });
    expect(again.headers.get('location')).toBe('/dashboard');
    expect(await repositories.tenants.get('second-org')).toBeUndefined();
  });

  it("a partner file's owner lands on that org's dashboard at first sign-in, with no onboarding", async () => {
    await configTenant('config-org', 'Config Org', 'Dana@Partner.Example');
    const jar = await harness.signIn('dana');
    expect((await harness.request('GET', '/', { jar })).headers.get('location')).toBe('/dashboard');
    expect(await dashboard(jar)).toContain('config-org');
    // The link is a membership like any other: onboarding now sends the user to the dashboard.
    expect((await harness.request('GET', '/onboarding', { jar })).headers.get('location')).toBe('/dashboard');
  });

  it('only the current owner is linked: after an owner change the former owner gets onboarding', async () => {
    await configTenant('moved-org', 'Moved Org', 'former-owner@partner.example');
    await repositories.tenants.update('moved-org', { ownerEmail: 'eve@other.example' });
    await repositories.tenants.recordOwner('moved-org', 'eve@other.example');
    const former = await harness.signIn('frank');
    expect((await harness.request('GET', '/dashboard', { jar: former })).headers.get('location')).toBe('/onboarding');
    expect(await dashboard(await harness.signIn('eve'))).toContain('moved-org');
  });

  it('a disabled (offboarded) org is not linked', async () => {
    await repositories.tenants.create({ orgId: 'gone-org', orgName: 'Gone', ownerEmail: 'dana@partner.example' });
    await repositories.tenants.recordOwner('gone-org', 'dana@partner.example');
    await repositories.tenants.disable('gone-org');
    const jar = await harness.signIn('dana');
    expect((await harness.request('GET', '/', { jar })).headers.get('location')).toBe('/onboarding');
  });

  it('membership items never appear in the tenants listing', async () => {
    await onboard(await harness.signIn('dana'), 'acme-corp');
    await onboard(await harness.signIn('eve'), 'globex');
    const { Items } = await ddb.doc.send(new ScanCommand({ TableName: tables.tenants }));
    expect(Items?.filter((item) => String(item.orgId).startsWith(MEMBERSHIP_KEY_PREFIX))).toHaveLength(2);
    const listed = await repositories.tenants.list();
    expect(listed.items.map((tenant) => tenant.orgId)).toEqual(['acme-corp', 'globex']);
  });
});

describe('API key card', () => {
  it('rotation needs the confirmation and a listed grace; then reveals the new key once and keeps the old one in grace', async () => {
    const jar = await harness.signIn('dana');
    await onboard(jar, 'acme-corp');
    const firstKey = revealedKey(await dashboard(jar))!;
    const token = await harness.csrf(jar);

    const unconfirmed = await harness.request('POST', '/keys/rotate', {
      jar,
      form: { _csrf: token, graceHours: '24' },
    });
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain('Tick the confirmation');
    const badGrace = await harness.request('POST', '/keys/rotate', {
      jar,
      form: { _csrf: token, graceHours: '12', confirm: 'yes' },
    });
    expect(badGrace.status).toBe(400);
    expect((await repositories.keys.getActive('acme-corp'))?.prefix).toBe(firstKey.slice(0, 8));

    const rotated = await harness.request('POST', '/keys/rotate', {
      jar,
      form: { _csrf: token, graceHours: '24', confirm: 'yes' },
    });
    expect(rotated.headers.get('location')).toBe('/dashboard?notice=rotated');
    const page = await (await harness.request('GET', '/dashboard?notice=rotated', { jar })).text();
    const secondKey = revealedKey(page)!;
    expect(secondKey).not.toBe(firstKey);
    expect(page).toContain('Your API key was rotated.');
    const keys = (await repositories.keys.listByOrg('acme-corp')).items;
    expect(keys.map((key) => key.status).sort()).toEqual(['active', 'grace']);
    expect(keys.find((key) => key.status === 'grace')?.graceEndsAt).toBe(
      new Date(clock.now().getTime() + 24 * HOUR_MS).toISOString(),
    );
    expect(revealedKey(await dashboard(jar))).toBeUndefined();
  });

  it('a flash cookie is shown only to the user it was made for', async () => {
    const dana = await harness.signIn('dana');
    const response = await onboard(dana, 'acme-corp');
    const flash = /__Host-portal_flash=([^;]+)/.exec(response.headers.getSetCookie().join('\n'))![1];
    const eve = await harness.signIn('eve');
    await onboard(eve, 'globex');
    await dashboard(eve); // consumes eve's own flash
    const page = await (
      await harness.request('GET', '/dashboard', {
        headers: { cookie: `${eve.header()}; __Host-portal_flash=${flash}` },
      })
    ).text();
    expect(revealedKey(page)).toBeUndefined();
  });

  it('"No active key" offers the fix: issuing a new key reveals it once', async () => {
    const jar = await harness.signIn('dana');
    await onboard(jar, 'acme-corp');
    await dashboard(jar);
    const active = await repositories.keys.getActive('acme-corp');
    await repositories.keys.revoke({ orgId: 'acme-corp', keyId: active!.keyId });

    const page = await dashboard(jar);
    expect(page).toContain('No active key.');
    expect(maskedKey(page)).toBeUndefined();
    const token = await harness.csrf(jar);
    const issued = await harness.request('POST', '/keys/issue', { jar, form: { _csrf: token } });
    expect(issued.headers.get('location')).toBe('/dashboard?notice=issued');
    const after = await dashboard(jar);
    expect(revealedKey(after)).toMatch(/^[A-Za-z0-9]{40}$/);

    const twice = await harness.request('POST', '/keys/issue', { jar, form: { _csrf: token } });
    expect(twice.status).toBe(409);
  });
});

describe('webhook card', () => {
  it('setting a URL creates a pending portal webhook with its own secret; a change restarts verification', async () => {
    const jar = await harness.signIn('dana');
    await onboard(jar, 'acme-corp');
    expect(await dashboard(jar)).toContain('No webhook URL configured.');
    const token = await harness.csrf(jar);
    const saved = await harness.request('POST', '/webhook', {
      jar,
      form: { _csrf: token, url: 'https://hooks.acme.example/platform' },
    });
    expect(saved.headers.get('location')).toBe('/dashboard?notice=webhook-saved');
    const [webhook] = await repositories.webhooks.listAll('acme-corp');
    expect(webhook).toMatchObject({
      url: 'https://hooks.acme.example/platform',
      status: 'pending',
      events: ['*'],
      source: 'portal',
    });
    expect(harness.secrets.names()).toEqual([`test/webhooks/acme-corp/${webhook.webhookId}`]);
    const page = await dashboard(jar);
    expect(page).toContain('Pending verification');

    await repositories.webhooks.update('acme-corp', webhook.webhookId, (current) => ({
      ...current,
      status: 'active',
      verifiedUrl: current.url,
      lastError: undefined,
    }));
    await harness.request('POST', '/webhook', { jar, form: { _csrf: token, url: 'https://new.acme.example/hooks' } });
    const changed = await repositories.webhooks.require('acme-corp', webhook.webhookId);
    expect(changed).toMatchObject({ url: 'https://new.acme.example/hooks', status: 'pending' });
    // The portal door writes both changes to the org's activity log, with the member as actor.
    const webhookActivity = (await repositories.activity.list('acme-corp')).filter((entry) =>
      entry.action.startsWith('webhook.'),
    );
    expect(webhookActivity.map((entry) => [entry.action, entry.subject]).sort()).toEqual([
      ['webhook.created', webhook.webhookId],
      ['webhook.updated', webhook.webhookId],
    ]);
    expect(webhookActivity.every((entry) => entry.actor.startsWith('portal:'))).toBe(true);
    const after = await dashboard(jar);
    expect(after).toContain('until the new URL verifies');
    expect(harness.secrets.names()).toHaveLength(1);
  });

  it("a partner file's webhook is shown read-only, naming its file; a forged change is 409 and stores nothing", async () => {
    await configTenant('config-org', 'Config Org', 'Dana@Partner.Example');
    await repositories.webhooks.create({
      orgId: 'config-org',
      webhookId: 'primary',
      url: 'https://hooks.config.example/from-file',
      events: ['*'],
      status: 'active',
      source: 'config',
      createdAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
      attempts: 1,
      verifiedUrl: 'https://hooks.config.example/from-file',
    });
    const jar = await harness.signIn('dana');
    const page = await dashboard(jar);
    expect(page).toContain('https://hooks.config.example/from-file');
    expect(/id="webhook-managed">([^<]+)</.exec(page)?.[1].replace(/\s+/g, ' ').trim()).toBe(
      'Managed by partners/config-org.yaml — change it by a pull request.',
    );
    // Read-only: no URL form to fill in.
    expect(page).not.toContain('action="/webhook"');
    expect(page).not.toContain('id="webhook-url-input"');

    // A forged POST (the form is not there, the route is) still changes nothing.
    const token = await harness.csrf(jar);
    const before = await snapshot();
    const response = await harness.request('POST', '/webhook', {
      jar,
      form: { _csrf: token, url: 'https://elsewhere.config.example/hooks' },
    });
    expect(response.status).toBe(409);
    const refusedPage = await response.text();
    expect(refusedPage).toContain('partners/config-org.yaml');
    expect(await snapshot()).toEqual(before);
  });

  const refused: Array<[string, string]> = [
    ['plain http', 'http://hooks.acme.example/x'],
    ['a loopback host', 'https://127.0.0.1/x'],
    ['the metadata address', 'https://169.254.169.254/latest'],
    ['not a URL', 'hooks dot example'],
  ];

  it.each(refused)('%s is refused on the form and nothing is stored', async (_name, url) => {
    const jar = await harness.signIn('dana');
    await onboard(jar, 'acme-corp');
    const token = await harness.csrf(jar);
    const before = await snapshot();
    const response = await harness.request('POST', '/webhook', { jar, form: { _csrf: token, url } });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('The URL was not accepted');
    expect(page).toContain('id="webhook-form-error"');
    expect(await snapshot()).toEqual(before);
  });

  it('without a webhook secret prefix the portal cannot create a first webhook and says who can', async () => {
    harness.settings = { ...validSettings(tables), WEBHOOK_SECRET_PREFIX: undefined };
    const jar = await harness.signIn('dana');
    await onboard(jar, 'acme-corp');
    const page = await dashboard(jar);
    expect(page).toContain('Ask your platform contact');
    expect(page).not.toContain('action="/webhook"');
  });
});

describe('the reveal is single-use on the server', () => {
  it('a flash cookie replayed within its 2 minutes reveals nothing: the second view says the key was already shown', async () => {
    const jar = await harness.signIn('dana');
    const response = await onboard(jar, 'acme-corp');
    const flash = /__Host-portal_flash=([^;]+)/.exec(response.headers.getSetCookie().join('\n'))![1];
    const withFlash = { cookie: `${jar.header()}; __Host-portal_flash=${flash}` };
    const first = await (await harness.request('GET', '/dashboard', { headers: withFlash })).text();
    const plaintext = revealedKey(first)!;
    expect(plaintext).toMatch(/^[A-Za-z0-9]{40}$/);
    // Three replays inside the flash cookie's 2 minutes: at 1 s, 30 s and 119 s.
    for (const seconds of [1, 29, 89]) {
      clock.advance(seconds * 1000);
      const replay = await (await harness.request('GET', '/dashboard', { headers: withFlash })).text();
      expect(replay).not.toContain(plaintext);
      expect(replay).toContain('id="reveal-spent"');
      expect(maskedKey(replay)).toBe(maskedKey(first));
    }
    // The plaintext was never stored: not in any table, not in the logs.
    expect(JSON.stringify(await snapshot())).not.toContain(plaintext);
    expect(harness.logs.join('\n')).not.toContain(plaintext);
  });
});

describe('membership is re-checked on every request', () => {
  const changes: Array<[string, (orgId: string) => Promise<unknown>]> = [
    ["the partner file's ownerEmail changes", (orgId) => ownerChange(orgId, 'eve@other.example')],
    ['the org is disabled', (orgId) => repositories.tenants.disable(orgId)],
  ];

  async function ownerChange(orgId: string, ownerEmail: string): Promise<void> {
    await repositories.tenants.update(orgId, { ownerEmail });
    await repositories.tenants.recordOwner(orgId, ownerEmail);
  }

  it.each(changes)(
    "after %s the former owner's open forms are refused with 403 and change nothing",
    async (_change, change) => {
      await configTenant('config-org', 'Config Org', 'dana@partner.example');
      await repositories.keys.issue({ orgId: 'config-org', createdBy: 'config' });
      const jar = await harness.signIn('dana');
      expect(await dashboard(jar)).toContain('action="/keys/rotate"');
      const token = await harness.csrf(jar);
      await change('config-org');
      const before = await snapshot();
      const forms: Array<[string, Record<string, string>]> = [
        ['/keys/rotate', { graceHours: '0', confirm: 'yes' }],
        ['/keys/issue', {}],
        ['/webhook', { url: 'https://evil.example/hook' }],
        ['/onboarding', { orgId: 'evil-org', orgName: 'Evil' }],
      ];
      for (const [path, form] of forms) {
        const response = await harness.request('POST', path, { jar, form: { ...form, _csrf: token } });
        expect([path, response.status]).toEqual([path, 403]);
        expect(await response.text()).toContain('Nothing was changed');
      }
      expect(await snapshot()).toEqual(before);
    },
  );

  it.each(changes)(
    'after %s the next page signs the former owner out: no dashboard, no rotate form',
    async (_change, change) => {
      await configTenant('config-org', 'Config Org', 'dana@partner.example');
      const jar = await harness.signIn('dana');
      await dashboard(jar);
      const replayed = { cookie: jar.header() };
      await change('config-org');
      const ended = await harness.request('GET', '/dashboard', { jar });
      expect(ended.status).toBe(403);
      const page = await ended.text();
      expect(page).toContain('Your access has ended');
      expect(page).not.toContain('action="/keys/rotate"');
      expect(page).not.toContain('Config Org');
      expect(jar.names()).not.toContain('__Host-portal_session');
      // The session is gone on the server: the old cookie, replayed, asks for a sign-in.
      const replay = await harness.request('GET', '/dashboard', { headers: replayed });
      expect(replay.headers.get('location')).toBe('/login');
      // Signing in again finds no org: the stale link was removed.
      const again = await harness.signIn('dana');
      expect((await harness.request('GET', '/', { jar: again })).headers.get('location')).toBe('/onboarding');
    },
  );

  it('a portal-registered org whose owner an admin changed is closed to the user who registered it', async () => {
    const jar = await harness.signIn('dana');
    await onboard(jar, 'acme-corp');
    await dashboard(jar);
    await ownerChange('acme-corp', 'eve@other.example');
    expect((await harness.request('GET', '/dashboard', { jar })).status).toBe(403);
    expect(await dashboard(await harness.signIn('eve'))).toContain('acme-corp');
  });
});

describe('CSRF against real data', () => {
  it('a forged rotation, issue, webhook change or onboarding changes nothing', async () => {
    const jar = await harness.signIn('dana');
    await onboard(jar, 'acme-corp');
    await dashboard(jar);
    const before = await snapshot();
    const forms: Array<[string, Record<string, string>]> = [
      ['/keys/rotate', { graceHours: '0', confirm: 'yes' }],
      ['/keys/issue', {}],
      ['/webhook', { url: 'https://evil.example/hook' }],
      ['/onboarding', { orgId: 'evil-org', orgName: 'Evil' }],
    ];
    for (const [path, form] of forms) {
      const response = await harness.request('POST', path, { jar, form: { ...form, _csrf: 'forged' } });
      expect(response.status).toBe(403);
    }
    expect(await snapshot()).toEqual(before);
  });
});
