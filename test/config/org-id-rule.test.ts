/**
 * One orgId rule for every door: the admin API's route schema, a partner
 * file's schema and the portal's onboarding form give the same verdict on
 * every id, so an org registered at run time can always get a partner file
 * later (the API once took 1-character ids that a file refused).
 *
 * The webhook id rule of a partner file (a 1-32 character lower-case slug:
 * it goes into construct ids and the names of the connection and API
 * destination) gets the same table treatment; every id a file accepts must
 * also be addressable through the APIs' `{id}` path parameters, which take
 * run-time `wh_` ids as well.
 */
import fc from 'fast-check';
import { adminRoutes, partnerRoutes } from '../../lambda/api/routes';
import { ORG_ID_MAX_LENGTH, ORG_ID_MIN_LENGTH } from '../../lambda/core/contracts';
import { generateWebhookId } from '../../lambda/core/webhooks';
import { readOnboardingForm } from '../../lambda/portal/routes/onboarding';
import { partnerSchema } from '../../lib/config/partner-schema';

const configSchema = partnerSchema({ eventTypes: ['LockCreated'], allowHttp: false });

function apiAccepts(orgId: string): boolean {
  return adminRoutes.registerTenant.params!.safeParse({ orgId }).success;
}

function configAccepts(orgId: string): boolean {
  const parsed = configSchema.safeParse({ orgId, orgName: 'Acme Corporation', ownerEmail: 'owner@acme.example' });
  return parsed.success || !parsed.error.issues.some((issue) => issue.path[0] === 'orgId');
}

function portalAccepts(orgId: string): boolean {
  return readOnboardingForm({ orgId, orgName: 'Acme Corporation' }).errors?.orgId === undefined;
}

const IDS: ReadonlyArray<readonly [string, boolean]> = [
  ['acme-corp', true],
  ['ab', true],
  ['a1', true],
  ['0day', true],
  ['a--b', true],
  ['acme-', true],
  ['a'.repeat(ORG_ID_MAX_LENGTH), true],
  ['', false],
  ['a', false],
  ['7', false],
  ['a'.repeat(ORG_ID_MAX_LENGTH + 1), false],
  ['a'.repeat(100), false],
  ['-acme', false],
  ['Acme', false],
  ['acme_corp', false],
  ['acme.corp', false],
  ['acme corp', false],
  ['acmé', false],
  ['acme/evil', false],
  [' acme', false],
  ['acme\n', false],
];

describe('the orgId rule', () => {
  it.each(IDS)('%j: the admin API, a partner file and the portal all say %s', (orgId, valid) => {
    expect(apiAccepts(orgId)).toBe(valid);
    expect(configAccepts(orgId)).toBe(valid);
    // The portal trims what was typed before it checks the rule.
    if (orgId === orgId.trim()) expect(portalAccepts(orgId)).toBe(valid);
  });

  it(`accepts ${ORG_ID_MIN_LENGTH}-${ORG_ID_MAX_LENGTH} characters at every door, and no other length`, () => {
    for (let length = 0; length <= ORG_ID_MAX_LENGTH + 2; length++) {
      const orgId = 'a'.repeat(length);
      const valid = length >= ORG_ID_MIN_LENGTH && length <= ORG_ID_MAX_LENGTH;
      expect([apiAccepts(orgId), configAccepts(orgId), portalAccepts(orgId)]).toEqual([valid, valid, valid]);
    }
  });

  it('gives the same verdict at the API and in a partner file for any id, up to past the longest', () => {
    const character = fc.constantFrom(...'abz09-A_. é/'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: character, maxLength: ORG_ID_MAX_LENGTH + 8, size: 'max' }), (orgId) => {
        expect(configAccepts(orgId)).toBe(apiAccepts(orgId));
      }),
      { numRuns: 500 },
    );
  });
});

const WEBHOOK_ID_MAX_LENGTH = 32;

function configAcceptsWebhookId(id: string): boolean {
  const parsed = configSchema.safeParse({
    orgId: 'acme-corp',
    orgName: 'Acme Corporation',
    ownerEmail: 'owner@acme.example',
    webhooks: [{ id, url: 'https://hooks.acme.example/events', events: ['LockCreated'] }],
  });
  if (!parsed.success) {
    const other = parsed.error.issues.filter((issue) => issue.path.join('.') !== 'webhooks.0.id');
    expect(other).toEqual([]);
  }
  return parsed.success;
}

function apiAddresses(id: string): boolean {
  return [
    adminRoutes.updateWebhook.params!.safeParse({ orgId: 'acme-corp', id }).success,
    adminRoutes.deleteWebhook.params!.safeParse({ orgId: 'acme-corp', id }).success,
    partnerRoutes.updateOwnWebhookUrl.params!.safeParse({ id }).success,
  ].every(Boolean);
}

const WEBHOOK_IDS: ReadonlyArray<readonly [string, boolean]> = [
  ['primary', true],
  ['a', true],
  ['0', true],
  ['orders-v2', true],
  ['x-', true],
  ['a'.repeat(WEBHOOK_ID_MAX_LENGTH), true],
  ['', false],
  ['Primary', false],
  ['PRIMARY', false],
  ['my_hook', false],
  ['wh_abc', false],
  ['a'.repeat(WEBHOOK_ID_MAX_LENGTH + 1), false],
  ['a'.repeat(64), false],
  ['-primary', false],
  ['prim ary', false],
  ['primäry', false],
  ['a/b', false],
  ['a.b', false],
];

describe('the webhook id rule of a partner file', () => {
  it.each(WEBHOOK_IDS)('%j: a partner file says %s, and the APIs can address every id it accepts', (id, valid) => {
    expect(configAcceptsWebhookId(id)).toBe(valid);
    if (valid) expect(apiAddresses(id)).toBe(true);
  });

  it(`accepts 1-${WEBHOOK_ID_MAX_LENGTH} characters, and no other length`, () => {
    for (let length = 0; length <= 65; length++) {
      const id = 'h'.repeat(length);
      expect([length, configAcceptsWebhookId(id)]).toEqual([length, length >= 1 && length <= WEBHOOK_ID_MAX_LENGTH]);
    }
  });

  it('leaves run-time wh_ ids to the APIs: a file cannot claim one, the APIs address it', () => {
    const id = generateWebhookId();
    expect(configAcceptsWebhookId(id)).toBe(false);
    expect(apiAddresses(id)).toBe(true);
  });

  it('accepts a slug at the API whenever a partner file does, for any id up to past the longest', () => {
    const character = fc.constantFrom(...'ahz09-A_. é/'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: character, maxLength: 70, size: 'max' }), (id) => {
        if (configAcceptsWebhookId(id)) expect(apiAddresses(id)).toBe(true);
        else expect(id).not.toMatch(/^[a-z0-9][a-z0-9-]{0,31}$/);
      }),
      { numRuns: 500 },
    );
  });
});
