/**
 * Acceptance for the catalog's rules: a partner set that uses every catalog
 * type, "Shadow Update" and ["*"] synthesizes, and each webhook's rule, read
 * back from the template, takes every type only from its own source. Events
 * go through the platform bus's routing rules first, with the matcher the
 * local event bus uses.
 */
import { rmSync } from 'node:fs';
import { findEventType } from '../../lambda/core/event-catalog';
import { readEventCatalog } from '../../lib/config/load-config';
import { matchesEventPattern } from '../../lib/event-pattern/match';
import { allRules, CloudAssemblyView, readCloudAssembly, RuleRef, targetResource } from '../../local/cloud-assembly';
import { loadWorkspace, PartnerFileInput, REPO_ROOT, synthesize, workspaceWithPartners } from '../support/workspace';

const catalog = readEventCatalog(REPO_ROOT);
const names = catalog.types.map((type) => type.name);

/** One webhook per catalog type (ten to a partner), plus "*", "Shadow Update" alone and a mix across sources. */
const partners: PartnerFileInput[] = [
  ...Array.from({ length: Math.ceil(names.length / 10) }, (_, p) => ({
    orgId: `each-type-${p}`,
    webhooks: names.slice(p * 10, p * 10 + 10).map((name, i) => ({ id: `t${p * 10 + i}`, events: [name] })),
  })),
  { orgId: 'everything', webhooks: [{ id: 'all', events: ['*'] }] },
  { orgId: 'shadow-only', webhooks: [{ id: 'shadow', events: ['Shadow Update'] }] },
  { orgId: 'mixed', webhooks: [{ id: 'mix', events: ['Shadow Update', 'HubOffline', 'LockCreated'] }] },
];
const SOURCES = [...new Set(catalog.types.map((type) => type.source)), 'spk.other'];

let outdir: string;
let rules: RuleRef[];
let assembly: CloudAssemblyView;

beforeAll(() => {
  ({ outdir } = synthesize(loadWorkspace(workspaceWithPartners(partners))));
  assembly = readCloudAssembly(outdir);
  rules = allRules(assembly);
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const webhookRule = (orgId: string, webhookId: string) =>
  rules.find((rule) => String(rule.resource.Properties?.Description ?? '').endsWith(`${orgId}/${webhookId}`));

/** Rules an event reaches: routing rules on the platform bus, then the rules on the buses they target. */
function delivered(event: Record<string, unknown>): RuleRef[] {
  const routes = rules.filter(
    (rule) =>
      rule.busName === 'partner-platform-dev' &&
      matchesEventPattern(rule.resource.Properties?.EventPattern ?? {}, event),
  );
  const buses = routes.flatMap((route) =>
    (route.resource.Properties?.Targets ?? []).map(
      (target: { Arn: unknown }) => targetResource(assembly, route.stack, target.Arn)?.resource.Properties?.Name,
    ),
  );
  return rules.filter(
    (rule) => buses.includes(rule.busName) && matchesEventPattern(rule.resource.Properties?.EventPattern, event),
  );
}

const rows = partners.flatMap((partner) =>
  (partner.webhooks ?? []).flatMap((webhook) =>
    catalog.types.flatMap((type) =>
      SOURCES.map((source) => {
        const subscribed = webhook.events!.includes('*') || webhook.events!.includes(type.name);
        return {
          orgId: partner.orgId,
          webhookId: webhook.id,
          detailType: type.name,
          source,
          expected: subscribed && findEventType(catalog, type.name)?.source === source,
        };
      }),
    ),
  ),
);

describe('webhook rules of a partner set using every catalog type', () => {
  it('synthesizes a rule for each webhook', () => {
    for (const partner of partners) {
      for (const webhook of partner.webhooks ?? []) expect(webhookRule(partner.orgId, webhook.id)).toBeDefined();
    }
  });

  it.each(rows)(
    '$orgId/$webhookId: $detailType from $source delivered=$expected',
    ({ orgId, webhookId, detailType, source, expected }) => {
      const rule = webhookRule(orgId, webhookId)!;
      const event = { source, 'detail-type': detailType, account: '123456789012', detail: { partnerId: orgId } };
      expect(matchesEventPattern(rule.resource.Properties?.EventPattern, event)).toBe(expected);
      // The same event through the buses: this rule receives it exactly when expected, and no other partner's.
      const reached = delivered(event);
      expect(reached.includes(rule)).toBe(expected);
      expect(reached.every((other) => String(other.resource.Properties?.Description).includes(`${orgId}/`))).toBe(true);
      // Another partner's event never reaches it.
      const foreign = { ...event, detail: { partnerId: `${orgId}-x` } };
      expect(matchesEventPattern(rule.resource.Properties?.EventPattern, foreign)).toBe(false);
    },
  );

  it('covers both outcomes for every type', () => {
    for (const name of names) {
      const outcomes = new Set(rows.filter((row) => row.detailType === name).map((row) => row.expected));
      expect(outcomes).toEqual(new Set([true, false]));
    }
  });
});
