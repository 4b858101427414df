/**
 * 3,000 synthetic partners (YAML files through the real loader) synthesized
 * with the prod config: every CloudFormation limit and EventBridge quota
 * holds in the templates, and sample events routed through the synthesized
 * rules (platform bus, then the shard bus they reach) arrive only at the
 * partner's own webhooks.
 */
import { rmSync } from 'node:fs';
import { loadConfig, PlatformConfig } from '../../lib/config/load-config';
import { PLATFORM_BUS_RESERVED_RULES } from '../../lib/config/quota-check';
import { TAG_PREFIX } from '../../lib/config/naming';
import { matchesEventPattern } from '../../lib/event-pattern/match';
import type { DeliveryPlan, PartnerPlan } from '../../lib/config/delivery-plan';
import {
  allRules,
  CloudAssemblyView,
  eventPatternText,
  resourcesOfType,
  RuleRef,
  rulesPerBus,
  targetResource,
} from '../../local/cloud-assembly';
import { syntheticPartnersDir } from '../../bench/synthetic-partners';
import { REPO_ROOT } from '../support/workspace';
import { synthesizeAssembly } from './synth-assembly';

const PARTNERS = 3000;
/** EventBridge allows five targets per rule. */
const TARGETS_PER_RULE = 5;

let config: PlatformConfig;
let plan: DeliveryPlan;
let assembly: CloudAssemblyView;
let rulesByBus: Map<string, RuleRef[]>;
const temporary: string[] = [];

beforeAll(() => {
  const partnersDir = syntheticPartnersDir(PARTNERS);
  config = loadConfig({ rootDir: REPO_ROOT, environment: 'prod', partnersDir });
  const synthesized = synthesizeAssembly(config);
  temporary.push(partnersDir, synthesized.outdir);
  plan = synthesized.platformApp.plan;
  assembly = synthesized.assembly;
  rulesByBus = new Map();
  for (const rule of allRules(assembly)) rulesByBus.set(rule.busName, [...(rulesByBus.get(rule.busName) ?? []), rule]);
}, 120_000);

afterAll(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const limits = () => ({ ...config.environment.sharding, ...config.environment.quotas });
const allPartners = (): PartnerPlan[] => plan.shards.flatMap((shard) => shard.partners);

describe(`${PARTNERS} partners in prod`, () => {
  it('loads every partner and synthesizes one stack per non-empty shard plus the platform stack', () => {
    expect(config.partners).toHaveLength(PARTNERS);
    expect(assembly.stacks).toHaveLength(plan.shards.length + 1);
    const webhooks = allPartners().reduce((n, partner) => n + partner.webhooks.length, 0);
    // The generator mixes partners with no, one, two and three webhooks.
    expect(webhooks).toBeGreaterThan(PARTNERS * 0.8);
    expect(allPartners().some((partner) => partner.webhooks.length === 0)).toBe(true);
    expect(allPartners().some((partner) => partner.webhooks.length === 3)).toBe(true);
  });

  it('keeps every stack within the configured resource ceiling (CloudFormation allows 500)', () => {
    for (const stack of assembly.stacks) {
      const resources = Object.keys(stack.template.Resources ?? {}).length;
      expect({ stack: stack.stackName, ok: resources <= limits().maxResourcesPerStack }).toEqual({
        stack: stack.stackName,
        ok: true,
      });
    }
  });

  it('keeps every template within the configured byte ceiling (CloudFormation allows 1 MB)', () => {
    const over = assembly.stacks.filter((stack) => Buffer.byteLength(stack.templateText) > limits().maxTemplateBytes);
    expect(over.map((stack) => stack.stackName)).toEqual([]);
  });

  it('keeps the rules of every bus, the platform bus with its reserved rules included, within the quota', () => {
    const buses = rulesPerBus(assembly);
    const platform = buses.find((bus: { busName: string }) => bus.busName === plan.platformBusName);
    expect(platform?.rules).toBe(plan.shards.reduce((n, shard) => n + shard.routes.length, 0));
    for (const bus of buses) {
      const rules = bus.rules + (bus.busName === plan.platformBusName ? PLATFORM_BUS_RESERVED_RULES : 0);
      expect({ bus: bus.busName, ok: rules <= limits().rulesPerEventBus }).toEqual({ bus: bus.busName, ok: true });
    }
    // Every shard's webhook rules sit on its own bus; only the platform's own
    // schedules use the account's default bus.
    expect(buses.map((bus) => bus.busName)).toEqual(expect.arrayContaining(plan.shards.map((shard) => shard.busName)));
    const onDefault = (rulesByBus.get('default') ?? []).map((rule) => rule.stack.stackName);
    expect(new Set(onDefault)).toEqual(
      new Set(onDefault.length ? [`partner-platform-${config.environment.name}`] : []),
    );
  });

  it('keeps every event pattern within the size EventBridge accepts', () => {
    const lengths = allRules(assembly).map((rule) => eventPatternText(rule.resource).length);
    expect(lengths.length).toBeGreaterThan(PARTNERS * 0.8);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(limits().eventPatternMaxChars);
  });

  it('needs no more API destinations and connections than the account quotas, and gives every rule at most five targets', () => {
    const count = (type: string) =>
      assembly.stacks.reduce((n, stack) => n + resourcesOfType(stack.template, type).length, 0);
    expect(count('AWS::Events::ApiDestination')).toBeLessThanOrEqual(limits().apiDestinationsPerAccount);
    expect(count('AWS::Events::Connection')).toBeLessThanOrEqual(limits().connectionsPerAccount);
    for (const rule of allRules(assembly)) {
      expect((rule.resource.Properties?.Targets ?? []).length).toBeLessThanOrEqual(TARGETS_PER_RULE);
    }
  });
});

describe('routing sample events through the synthesized rules', () => {
  /** Every 50th partner, plus the extremes the generator makes. */
  function samplePartners(): PartnerPlan[] {
    const partners = allPartners().sort((a, b) => (a.config.orgId < b.config.orgId ? -1 : 1));
    const byLength = [...partners].sort((a, b) => a.config.orgId.length - b.config.orgId.length);
    const picks = [
      ...partners.filter((_, index) => index % 50 === 0),
      byLength[0],
      byLength[byLength.length - 1],
      ...partners.filter((partner) => partner.webhooks.length === 3).slice(0, 5),
      ...partners.filter((partner) => partner.webhooks.length === 0).slice(0, 3),
    ];
    return [...new Map(picks.map((partner) => [partner.config.orgId, partner])).values()];
  }

  /** The rules on a bus that match an event. */
  const matching = (busName: string, event: Record<string, unknown>) =>
    (rulesByBus.get(busName) ?? []).filter((rule) =>
      matchesEventPattern(rule.resource.Properties?.EventPattern ?? {}, event),
    );

  /** The buses a rule's targets put events on (only bus targets; API destinations end the path). */
  const targetBuses = (rule: RuleRef): string[] =>
    (rule.resource.Properties?.Targets ?? []).flatMap((target: { Arn: unknown }) => {
      const ref = targetResource(assembly, rule.stack, target.Arn);
      return ref?.resource.Type === 'AWS::Events::EventBus' ? [String(ref.resource.Properties?.Name)] : [];
    });

  const tagOf = (rule: RuleRef): string | undefined =>
    (rule.resource.Properties?.Tags ?? []).find((tag: { Key: string }) => tag.Key === `${TAG_PREFIX}:org-id`)?.Value;

  it('delivers each sample event to exactly the partner webhooks subscribed to its type', () => {
    const sample = samplePartners();
    expect(sample.length).toBeGreaterThan(60);
    let checked = 0;
    for (const partner of sample) {
      const orgId = partner.config.orgId;
      for (const source of plan.sources) {
        for (const { name: detailType, source: ownSource } of config.catalog.types) {
          const event = { source, 'detail-type': detailType, account: '123456789012', detail: { partnerId: orgId } };
          const routes = matching(plan.platformBusName, event);
          if (partner.webhooks.length === 0) {
            expect(routes).toEqual([]);
            continue;
          }
          // One routing rule forwards the event, to the partner's shard bus only.
          expect(routes).toHaveLength(1);
          const buses = targetBuses(routes[0]);
          expect(buses).toHaveLength(1);
          const delivered = buses.flatMap((bus) => matching(bus, event));
          // A type arrives only from its own source, whatever the webhook subscribed to.
          const expected = partner.webhooks
            .filter((webhook) => webhook.config.events.includes('*') || webhook.config.events.includes(detailType))
            .filter(() => source === ownSource)
            .map((webhook) => webhook.resourceName)
            .sort();
          expect({ orgId, detailType, rules: delivered.map((rule) => rule.resource.Properties?.Name).sort() }).toEqual({
            orgId,
            detailType,
            rules: expected,
          });
          for (const rule of delivered) expect(tagOf(rule)).toBe(orgId);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('delivers nothing for an unknown partner, a foreign source, or a partnerId that extends or prefixes a real one', () => {
    const someone = allPartners().find((partner) => partner.webhooks.length > 0 && partner.config.orgId.length > 4);
    const orgId = someone!.config.orgId;
    const detailType = config.catalog.types[0].name;
    const events = [
      { source: plan.sources[0], 'detail-type': detailType, detail: { partnerId: 'no-such-partner' } },
      { source: 'someone.else', 'detail-type': detailType, detail: { partnerId: orgId } },
      // Exact match, not prefix: an id that extends a partner's, and one it extends.
      { source: plan.sources[0], 'detail-type': detailType, detail: { partnerId: `${orgId}-evil` } },
      { source: plan.sources[0], 'detail-type': detailType, detail: { partnerId: orgId.slice(0, -1) } },
      { source: plan.sources[0], 'detail-type': detailType, detail: {} },
    ];
    // Neither a routing rule on the platform bus nor any webhook rule on any shard bus takes them.
    for (const event of events) {
      for (const busName of [plan.platformBusName, ...plan.shards.map((shard) => shard.busName)]) {
        expect({ busName, event, rules: matching(busName, event) }).toEqual({ busName, event, rules: [] });
      }
    }
  });
});
