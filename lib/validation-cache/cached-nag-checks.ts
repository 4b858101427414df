import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CfnResource,
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
  Stack,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { CachedShardStack } from '../stack-cache/cached-shard-stack';
import { contentKey, packageVersion, ValidationCache } from './validation-cache';

const KIND = 'cdk-nag';

/**
 * Runs a cdk-nag pack stack by stack and serves a stack's findings from the
 * cache when everything the pack reads of it is unchanged: the stack's
 * template text (every resource's properties, options and metadata, the
 * written acknowledgements included), each resource's construct path, type,
 * raw overrides and the acknowledgements on it and its ancestors, the
 * stack's environment, and the cdk-nag, pack and aws-cdk-lib versions.
 * AwsSolutions rules only look inside the resource's own stack (they resolve
 * with `Stack.of(node)` and search `Stack.of(node).node`), so a stack is the
 * unit. The report is the one the pack would give for the whole app: the
 * same violations, grouped by rule in the order of a walk over the tree.
 */
export class CachedNagChecks implements IPolicyValidationPlugin {
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];
  private readonly versions: string;

  constructor(
    private readonly pack: NagPack,
    private readonly cache: ValidationCache,
  ) {
    this.name = pack.name;
    this.version = pack.version;
    this.ruleIds = pack.ruleIds;
    const verbose = (pack as unknown as { verbose?: boolean }).verbose;
    this.versions = JSON.stringify([
      'cached-nag-checks/1',
      packageVersion('cdk-nag'),
      packageVersion('aws-cdk-lib'),
      pack.constructor.name,
      pack.readPackName,
      verbose,
    ]);
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const templates = new Set(context.templatePaths.map((file) => path.resolve(file)));
    const merged: PolicyViolation[] = [];
    const visit = (node: IConstruct): void => {
      if (Stack.isStack(node) && !node.nested) {
        mergeViolations(merged, this.stackViolations(node, templates));
        return;
      }
      if (!node.node.children.some(containsStack)) {
        mergeViolations(merged, this.pack.validateScope(node).violations);
        return;
      }
      // The pack checks a CfnResource before its children, as here.
      if (CfnResource.isCfnResource(node)) mergeViolations(merged, this.shallowViolations(node));
      for (const child of node.node.children) visit(child);
    };
    visit(context.appConstruct);
    return { success: merged.length === 0, violations: merged };
  }

  private stackViolations(stack: Stack, templates: ReadonlySet<string>): PolicyViolation[] {
    const templateFile = path.resolve(Stage.of(stack)?.outdir ?? '', stack.templateFile);
    if (!templates.has(templateFile) || stack.node.findAll().some((c) => c !== stack && Stack.isStack(c))) {
      return this.pack.validateScope(stack).violations;
    }
    if (stack instanceof CachedShardStack) return this.servedViolations(stack);
    const key = this.keyOf(stack, readFileSync(templateFile, 'utf8'));
    const cached = this.cache.get<PolicyViolation[]>(KIND, key);
    if (cached) return cached;
    const { violations } = this.pack.validateScope(stack);
    this.cache.put(KIND, key, violations);
    return violations;
  }

  /**
   * The cache key of a stack's findings: everything the pack reads of it
   * (its template text, as written into the assembly, and its resources).
   */
  public keyOf(stack: Stack, templateText: string): string {
    return contentKey([
      this.versions,
      stack.node.path,
      JSON.stringify(stack.resolve([stack.account, stack.region])),
      templateText,
      resourceDigest(stack),
    ]);
  }

  /** The findings stored under `key`, without counting a lookup. */
  public peek(key: string): PolicyViolation[] | undefined {
    return this.cache.peek<PolicyViolation[]>(KIND, key);
  }

  /**
   * A shard served from the stack cache has no resources to walk: its
   * findings are the ones stored when the same stack was built and checked
   * (served only when there were none, see lib/stack-cache).
   */
  private servedViolations(stack: CachedShardStack): PolicyViolation[] {
    const violations = this.cache.get<PolicyViolation[]>(KIND, stack.served.nagKey);
    if (violations === undefined) {
      throw new Error(
        `cdk-nag findings of ${stack.node.path} left the cache during synth; run again (or with -c stackCache=off)`,
      );
    }
    return violations;
  }

  /** A resource with children that hold stacks (never in this app): check it alone, as the pack's walk would. */
  private shallowViolations(node: CfnResource): PolicyViolation[] {
    const pack = this.pack as unknown as { violations: PolicyViolation[]; checkResource(n: CfnResource): void };
    pack.violations = [];
    pack.checkResource(node);
    return pack.violations;
  }
}

function containsStack(node: IConstruct): boolean {
  return Stack.isStack(node) || node.node.children.some(containsStack);
}

/**
 * What the pack reads of each resource beyond its template: the construct
 * path it reports, the type it dispatches on, overrides (the rules see the
 * L1 properties, the template shows them merged with the overrides) and
 * the acknowledged rule ids on the resource and its ancestors.
 */
function resourceDigest(stack: Stack): string {
  const lines: string[] = [];
  const acknowledgedAbove = ancestors(stack).map(acknowledgements).join('');
  const walk = (node: IConstruct, acknowledged: string): void => {
    const here = acknowledged + acknowledgements(node);
    if (CfnResource.isCfnResource(node)) {
      const overrides = (node as unknown as { rawOverrides?: unknown }).rawOverrides;
      lines.push(`${node.node.path}\t${node.cfnResourceType}\t${JSON.stringify(overrides ?? {})}\t${here}`);
    }
    for (const child of node.node.children) walk(child, here);
  };
  walk(stack, acknowledgedAbove);
  return lines.join('\n');
}

function ancestors(node: IConstruct): IConstruct[] {
  const scopes = node.node.scopes;
  return scopes.slice(0, scopes.length - 1);
}

function acknowledgements(node: IConstruct): string {
  return node.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data)
    .map((entry) => JSON.stringify(entry.data))
    .join('');
}

/**
 * Adds `violations` (one scope's, grouped by rule) to `merged` the way the
 * pack groups one walk's findings: one entry per rule, in the order the
 * rules first fire, its resources in the order they were found.
 */
export function mergeViolations(merged: PolicyViolation[], violations: readonly PolicyViolation[]): void {
  for (const violation of violations) {
    const existing = merged.find((v) => v.ruleName === violation.ruleName);
    if (existing) existing.violatingResources.push(...violation.violatingResources);
    else merged.push({ ...violation, violatingResources: [...violation.violatingResources] });
  }
}
