import fc from 'fast-check';
import { webhookEventPattern } from '../../lambda/core/event-catalog';
import { webhookRulePattern } from '../../lambda/core/failed-deliveries';
import { ConfigError } from '../../lib/config/config-error';
import { readEventCatalog } from '../../lib/config/load-config';
import {
  loadWorkspace,
  PartnerFileInput,
  REPO_ROOT,
  resourcesOfType,
  synthesize,
  workspaceWithPartners,
} from '../support/workspace';

// Both sources, and a detail-type with a space.
const EVENT_TYPES = ['LockCreated', 'OwnerSet', 'KeyAdded', 'KeyRemoved', 'Shadow Update'];
const catalog = readEventCatalog(REPO_ROOT);

const orgIdArb = fc
  .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}$/, { size: 'max' }), fc.constantFrom('', '-corp', '-io'))
  .map(([stem, suffix]) => `${stem}${suffix}`);

const partnerArb = (orgId: string): fc.Arbitrary<PartnerFileInput> =>
  fc
    .uniqueArray(
      fc.record({
        id: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
        events: fc.oneof(
          fc.constant(['*']),
          fc.uniqueArray(fc.constantFrom(...EVENT_TYPES), { minLength: 1, maxLength: 3 }),
        ),
      }),
      { minLength: 0, maxLength: 3, selector: (hook) => hook.id },
    )
    .map((webhooks) => ({ orgId, webhooks }));

const partnerSetArb = fc
  .uniqueArray(orgIdArb, { minLength: 1, maxLength: 10 })
  .chain((orgIds) => fc.tuple(...orgIds.map((orgId) => partnerArb(orgId))));

function synthPartners(partners: readonly PartnerFileInput[]) {
  return synthesize(loadWorkspace(workspaceWithPartners(partners)));
}

function rulesOf(templates: Record<string, any>) {
  // Partner rules live in shard stacks only (the platform stack holds the
  // handlers' schedules).
  return Object.entries(templates)
    .filter(([stackName]) => stackName.includes('-shard-'))
    .flatMap(([stackName, template]) =>
      resourcesOfType(template, 'AWS::Events::Rule').map(([, rule]) => ({ stackName, ...rule.Properties })),
    );
}

describe('partner isolation and diff locality (property tests)', () => {
  it('gives every partner exactly one rule per webhook, matching only its own orgId', () => {
    fc.assert(
      fc.property(partnerSetArb, (partners) => {
        const { templates } = synthPartners(partners);
        const rules = rulesOf(templates);
        const webhookRules = rules.filter((rule) => !rule.Name.includes('-route-'));
        const routes = rules.filter((rule) => rule.Name.includes('-route-'));
        expect(webhookRules).toHaveLength(partners.reduce((n, p) => n + (p.webhooks?.length ?? 0), 0));
        for (const partner of partners) {
          const own = webhookRules.filter((rule) => rule.EventPattern.detail.partnerId.includes(partner.orgId));
          expect(own).toHaveLength(partner.webhooks?.length ?? 0);
          for (const rule of own) {
            expect(rule.EventPattern.detail.partnerId).toEqual([partner.orgId]);
          }
          for (const webhook of partner.webhooks ?? []) {
            const rule = own.find((r) => r.Description.endsWith(`${partner.orgId}/${webhook.id}`));
            expect(rule?.EventPattern).toEqual(
              webhookRulePattern(webhookEventPattern(partner.orgId, webhook.events ?? ['*'], catalog), webhook.id),
            );
          }
          // The partner's events reach its shard bus through exactly one route,
          // in the same stack as its webhooks.
          const routing = routes.filter((rule) => rule.EventPattern.detail.partnerId.includes(partner.orgId));
          if ((partner.webhooks?.length ?? 0) === 0) {
            expect(routing).toHaveLength(0);
          } else {
            expect(routing).toHaveLength(1);
            expect(own.every((rule) => rule.stackName === routing[0].stackName)).toBe(true);
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it('adding a partner changes exactly one partner stack template and never the platform stack', () => {
    fc.assert(
      fc.property(
        partnerSetArb,
        orgIdArb.chain((orgId) => partnerArb(orgId)),
        (partners, added) => {
          fc.pre(!partners.some((p) => p.orgId === added.orgId));
          const before = synthPartners(partners).templateText;
          const after = synthPartners([...partners, added]).templateText;
          const changed = Object.keys(after).filter((name) => before[name] !== after[name]);
          const removed = Object.keys(before).filter((name) => !(name in after));
          expect(removed).toEqual([]);
          expect(changed).toHaveLength(1);
          expect(changed[0]).toMatch(/^partner-platform-dev-shard-\d{3}$/);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('fails loudly on an invalid generated partner instead of skipping it', () => {
    expect(() =>
      loadWorkspace(workspaceWithPartners([{ orgId: 'ab', webhooks: [{ id: 'x', events: ['Nope'] }] }])),
    ).toThrow(ConfigError);
  });
});
