/**
 * The synth benchmark's inputs: the synthetic partners are deterministic and
 * varied, and the naive baseline chains stacks the way naive CDK must.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config/load-config';
import { ORG_ID_PATTERN } from '../../lambda/core/contracts';
import { buildNaiveApp, MAX_RESOURCES_PER_STACK, PARTNERS_PER_STACK } from '../../bench/naive-baseline';
import { syntheticPartners, syntheticPartnersDir } from '../../bench/synthetic-partners';
import { readCloudAssembly, resourcesOfType } from '../../local/cloud-assembly';
import { REPO_ROOT } from '../support/workspace';
import { templateApp } from '../support/template-app';

describe('synthetic partners', () => {
  it('are the same partners whatever the count, so sizes compare', () => {
    expect(syntheticPartners(1000).slice(0, 100)).toEqual(syntheticPartners(100));
  });

  it('mix orgId lengths from 2 to 63, all-event and listed subscriptions, and zero to three webhooks', () => {
    const partners = syntheticPartners(3000);
    const lengths = partners.map((p) => p.orgId.length);
    expect(Math.min(...lengths)).toBe(2);
    expect(Math.max(...lengths)).toBe(63);
    expect(partners.every((p) => ORG_ID_PATTERN.test(p.orgId))).toBe(true);
    expect(new Set(partners.map((p) => p.orgId)).size).toBe(3000);
    const counts = new Set(partners.map((p) => p.webhooks.length));
    expect([...counts].sort()).toEqual([0, 1, 2, 3]);
    const hooks = partners.flatMap((p) => p.webhooks);
    expect(hooks.some((h) => h.events.includes('*'))).toBe(true);
    expect(hooks.some((h) => !h.events.includes('*'))).toBe(true);
    // Inside the default quota of 3,000 API destinations.
    expect(hooks.length).toBeLessThanOrEqual(3000);
  });
});

describe('naive L2 baseline', () => {
  it('starts a new stack every 100 partners or before 450 resources, all rules on one bus', () => {
    const partnersDir = syntheticPartnersDir(250);
    const outdir = mkdtempSync(path.join(tmpdir(), 'pp-naive-'));
    try {
      const config = loadConfig({ rootDir: REPO_ROOT, environment: 'prod', partnersDir });
      const app = templateApp({ outdir });
      const { partnerStacks } = buildNaiveApp(app, config);
      app.synth();
      const assembly = readCloudAssembly(outdir);
      expect(partnerStacks.length).toBeGreaterThanOrEqual(Math.ceil(250 / PARTNERS_PER_STACK));
      for (const stack of assembly.stacks) {
        expect(Object.keys(stack.template.Resources ?? {}).length).toBeLessThanOrEqual(MAX_RESOURCES_PER_STACK);
      }
      const rules = assembly.stacks.flatMap((s) => resourcesOfType(s.template, 'AWS::Events::Rule'));
      const webhooks = config.partners.reduce((n, p) => n + p.webhooks.length, 0);
      expect(rules).toHaveLength(webhooks);
      expect(new Set(rules.map(([, rule]) => JSON.stringify(rule.Properties?.EventBusName))).size).toBe(1);
    } finally {
      rmSync(partnersDir, { recursive: true, force: true });
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
