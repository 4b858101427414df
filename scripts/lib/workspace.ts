/**
 * Temporary copies of the repository's config with partner files of the
 * test's or benchmark's choosing, and a synth helper that reads templates from a real cloud
 * assembly (written to a temp dir, never to the repo's cdk.out).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { ALL_EVENTS } from '../../lambda/core/event-catalog';
import { loadConfig, PlatformConfig } from '../../lib/config/load-config';
import { buildPlatformApp, PlatformApp, PlatformAppOptions } from '../../lib/platform-app';
import { templateApp } from './template-app';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface PartnerFileInput {
  readonly orgId: string;
  readonly orgName?: string;
  readonly ownerEmail?: string;
  readonly webhooks?: ReadonlyArray<{
    readonly id: string;
    readonly url?: string;
    readonly events?: readonly string[];
    readonly rateLimitPerSecond?: number;
  }>;
}

/** A valid partner document (as an object) with sensible defaults. */
export function partnerDocument(input: PartnerFileInput): Record<string, unknown> {
  return {
    orgId: input.orgId,
    orgName: input.orgName ?? `Org ${input.orgId}`,
    ownerEmail: input.ownerEmail ?? `owner@${input.orgId}.example`,
    webhooks: (input.webhooks ?? [{ id: 'primary' }]).map((hook) => ({
      id: hook.id,
      url: hook.url ?? `https://${input.orgId}.example/hooks/${hook.id}`,
      events: hook.events ?? [ALL_EVENTS],
      ...(hook.rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: hook.rateLimitPerSecond }),
    })),
  };
}

export interface WorkspaceOptions {
  /** File name -> YAML text or an object to serialise. */
  readonly partners?: Record<string, string | Record<string, unknown>>;
  /** Deep-merged into config/<env>.yaml. */
  readonly environmentOverrides?: Record<string, unknown>;
  readonly environment?: string;
}

function merge(base: any, overrides: any): any {
  if (typeof base !== 'object' || base === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    return overrides;
  }
  const out = { ...base };
  for (const [key, value] of Object.entries(overrides)) out[key] = merge(base[key], value);
  return out;
}

/** A temp root with `config/` copied from the repo and the given partner files. */
export function makeWorkspace(options: WorkspaceOptions = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'pp-ws-'));
  cpSync(path.join(REPO_ROOT, 'config'), path.join(root, 'config'), { recursive: true });
  mkdirSync(path.join(root, 'partners'));
  const env = options.environment ?? 'dev';
  if (options.environmentOverrides) {
    const file = path.join(root, 'config', `${env}.yaml`);
    writeFileSync(file, stringify(merge(parse(readFileSync(file, 'utf8')), options.environmentOverrides)));
  }
  for (const [name, content] of Object.entries(options.partners ?? {})) {
    writeFileSync(path.join(root, 'partners', name), typeof content === 'string' ? content : stringify(content));
  }
  return root;
}

/** Workspace holding exactly these partners, each in `<orgId>.yaml`. */
export function workspaceWithPartners(
  partners: readonly PartnerFileInput[],
  options: Omit<WorkspaceOptions, 'partners'> = {},
): string {
  return makeWorkspace({
    ...options,
    partners: Object.fromEntries(partners.map((p) => [`${p.orgId}.yaml`, partnerDocument(p)])),
  });
}

export interface Synthesized {
  readonly platformApp: PlatformApp;
  readonly outdir: string;
  /** Stack name -> template. */
  readonly templates: Record<string, any>;
  /** Stack name -> template file text, for byte comparisons. */
  readonly templateText: Record<string, string>;
}

/**
 * Builds and synthesizes the app for a config, with cdk-nag off unless
 * asked, without bundling or the built-in validation (see template-app.ts).
 */
export function synthesize(config: PlatformConfig, options: PlatformAppOptions = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pp-out-'));
  const app = templateApp({ outdir });
  const platformApp = buildPlatformApp(app, config, { nag: false, ...options });
  const assembly = app.synth();
  const templates: Record<string, any> = {};
  const templateText: Record<string, string> = {};
  for (const stack of assembly.stacks) {
    templateText[stack.stackName] = readFileSync(stack.templateFullPath, 'utf8');
    templates[stack.stackName] = JSON.parse(templateText[stack.stackName]);
  }
  return { platformApp, outdir, templates, templateText };
}

export function loadWorkspace(root: string, environment = 'dev'): PlatformConfig {
  return loadConfig({ rootDir: root, environment });
}

/** Resources of one type in a template, as [logicalId, resource] pairs. */
export function resourcesOfType(template: any, type: string): Array<[string, any]> {
  return Object.entries(template.Resources ?? {}).filter(([, r]: [string, any]) => r.Type === type) as Array<
    [string, any]
  >;
}
