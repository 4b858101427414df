/**
 * With 1,000 partners, adding, editing or removing one partner changes
 * exactly one template: the partner's own shard stack. The platform stack
 * and every other shard stay byte-identical, routing rules change only in
 * that stack, and inside it no other partner's resource changes.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { PartnerPlan } from '../../lib/config/delivery-plan';
import { loadConfig } from '../../lib/config/load-config';
import { platformStackName, shardStackName } from '../../lib/config/naming';
import { shardOf } from '../../lib/config/sharding';
import { allRules, CloudAssemblyView } from '../../local/cloud-assembly';
import { repositoryEventTypes, syntheticPartner, syntheticPartnersDir } from '../../bench/synthetic-partners';
import { REPO_ROOT } from '../support/workspace';
import { synthesizeAssembly, SynthesizedAssembly } from './synth-assembly';

const PARTNERS = 1000;
const ENV = 'prod';

let baselineDir: string;
let baseline: SynthesizedAssembly;
const temporary: string[] = [];

function synthDir(partnersDir: string): SynthesizedAssembly {
  const synthesized = synthesizeAssembly(loadConfig({ rootDir: REPO_ROOT, environment: ENV, partnersDir }));
  temporary.push(partnersDir, synthesized.outdir);
  return synthesized;
}

/** A copy of the baseline partner files, changed by `edit`. */
function variant(edit: (dir: string) => void): SynthesizedAssembly {
  const dir = mkdtempSync(path.join(tmpdir(), 'pp-locality-'));
  cpSync(baselineDir, dir, { recursive: true });
  edit(dir);
  return synthDir(dir);
}

const texts = (assembly: CloudAssemblyView) =>
  new Map(assembly.stacks.map((stack) => [stack.stackName, stack.templateText]));

function changedStacks(before: CloudAssemblyView, after: CloudAssemblyView): string[] {
  const a = texts(before);
  const b = texts(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((name) => a.get(name) !== b.get(name)).sort();
}

/** Rules on the platform bus, keyed by stack and logical id, with their pattern text. */
function routingRules(assembly: CloudAssemblyView, platformBus: string): Map<string, string> {
  return new Map(
    allRules(assembly)
      .filter((rule) => rule.busName === platformBus)
      .map((rule) => [`${rule.stack.stackName}/${rule.logicalId}`, JSON.stringify(rule.resource)]),
  );
}

/** Resources of one stack whose JSON differs (or exists on one side only). */
function changedResources(before: CloudAssemblyView, after: CloudAssemblyView, stackName: string) {
  const resources = (assembly: CloudAssemblyView) =>
    assembly.stacks.find((stack) => stack.stackName === stackName)?.template.Resources ?? {};
  const a = resources(before);
  const b = resources(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((id) => JSON.stringify(a[id]) !== JSON.stringify(b[id]))
    .map((id) => ({ id, before: a[id], after: b[id] }));
}

function expectOnlyPartnerChanged(after: SynthesizedAssembly, orgId: string) {
  const env = baseline.platformApp.plan.env;
  const stack = shardStackName(env, shardOf(orgId, loadShardCount()));
  expect(changedStacks(baseline.assembly, after.assembly)).toEqual([stack]);
  expect(texts(after.assembly).get(platformStackName(env))).toBe(texts(baseline.assembly).get(platformStackName(env)));

  const platformBus = baseline.platformApp.plan.platformBusName;
  const before = routingRules(baseline.assembly, platformBus);
  const now = routingRules(after.assembly, platformBus);
  const changedRoutes = [...new Set([...before.keys(), ...now.keys()])].filter(
    (key) => before.get(key) !== now.get(key),
  );
  expect(changedRoutes.every((key) => key.startsWith(`${stack}/`))).toBe(true);

  // Inside the stack: the partner's own resources, and at most the one routing
  // rule whose partner list holds it. Nobody else's resource is touched.
  const changed = changedResources(baseline.assembly, after.assembly, stack);
  expect(changed.length).toBeGreaterThan(0);
  for (const { id, before: old, after: now } of changed) {
    const sides = [old, now].filter((resource) => resource !== undefined);
    const own = sides.some((r) => String(r.Metadata?.['aws:cdk:path'] ?? '').includes(`/Partner-${orgId}/`));
    const route = sides.some((r) => JSON.stringify(r.Properties?.EventPattern ?? {}).includes(`"${orgId}"`));
    expect({ id, ownOrItsRoute: own || route }).toEqual({ id, ownOrItsRoute: true });
  }
  return stack;
}

const loadShardCount = () => loadConfig({ rootDir: REPO_ROOT, environment: ENV }).environment.sharding.shardCount;

/** A partner with webhooks whose shard holds other partners too, from the baseline plan. */
function partnerInSharedShard(): PartnerPlan {
  const shard = baseline.platformApp.plan.shards.find(
    (s) => s.partners.filter((partner) => partner.webhooks.length > 0).length > 2,
  );
  return shard!.partners.find((partner) => partner.webhooks.length > 0)!;
}

beforeAll(() => {
  baselineDir = syntheticPartnersDir(PARTNERS);
  baseline = synthDir(baselineDir);
}, 60_000);

afterAll(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe(`diff locality with ${PARTNERS} partners`, () => {
  it('adding a partner changes only its own shard stack', () => {
    const added = syntheticPartner(PARTNERS + 7, repositoryEventTypes());
    const webhooks = added.webhooks.length > 0 ? added.webhooks : syntheticPartner(1, repositoryEventTypes()).webhooks;
    const partner = { ...added, orgId: 'newly-onboarded-partner', webhooks: webhooks.map((w) => ({ ...w })) };
    const after = variant((dir) => writeFileSync(path.join(dir, `${partner.orgId}.yaml`), stringify(partner)));
    const stack = expectOnlyPartnerChanged(after, partner.orgId);
    expect(after.assembly.stacks.find((s) => s.stackName === stack)?.templateText).toContain(
      `/Partner-${partner.orgId}/`,
    );
  });

  it('editing a partner (URL and event types) changes only its own shard stack', () => {
    const target = partnerInSharedShard();
    const after = variant((dir) => {
      const edited = {
        orgId: target.config.orgId,
        orgName: target.config.orgName,
        ownerEmail: target.config.ownerEmail,
        webhooks: target.webhooks.map((webhook, index) => ({
          id: webhook.config.id,
          url: `https://moved.${target.config.orgId}.example/hooks/${index}`,
          events: index === 0 ? ['TempKeyUsed'] : webhook.config.events,
          rateLimitPerSecond: webhook.config.rateLimitPerSecond,
        })),
      };
      writeFileSync(path.join(dir, `${target.config.orgId}.yaml`), stringify(edited));
    });
    const stack = expectOnlyPartnerChanged(after, target.config.orgId);
    expect(after.assembly.stacks.find((s) => s.stackName === stack)?.templateText).toContain(
      `https://moved.${target.config.orgId}.example/hooks/0`,
    );
  });

  it('removing a partner changes only its own shard stack', () => {
    const target = partnerInSharedShard();
    const after = variant((dir) => rmSync(path.join(dir, `${target.config.orgId}.yaml`)));
    const stack = expectOnlyPartnerChanged(after, target.config.orgId);
    expect(after.assembly.stacks.find((s) => s.stackName === stack)?.templateText).not.toContain(
      `/Partner-${target.config.orgId}/`,
    );
  });
});
