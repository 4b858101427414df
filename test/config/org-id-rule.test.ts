/**
 * One orgId rule for every door: the admin API's route schema, a partner
 * file's schema and the portal's onboarding form give the same verdict on
 * every id, so an org registered at run time can always get a partner file
 * later (the API once took 1-character ids that a file refused).
 */
import fc from 'fast-check';
import { adminRoutes } from '../../lambda/api/routes';
import { ORG_ID_MAX_LENGTH, ORG_ID_MIN_LENGTH } from '../../lambda/core/contracts';
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
      fc.property(fc.string({ unit: character, minLength: 0, maxLength: ORG_ID_MAX_LENGTH + 8 }), (orgId) => {
        expect(configAccepts(orgId)).toBe(apiAccepts(orgId));
      }),
      { numRuns: 500 },
    );
  });
});
