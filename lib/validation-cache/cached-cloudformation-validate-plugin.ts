import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CloudFormationValidatePlugin,
  ISynthesisSession,
  Stack,
  Token,
  IPolicyValidationContext,
  PolicyValidationPluginReport,
  PolicyViolation,
  PolicyValidationStack,
} from 'aws-cdk-lib';
import { contentKey, packageVersion, ValidationCache } from './validation-cache';
import { Template, ValidationWorkers } from './validation-workers';

const KIND = 'cloudformation-validate';

/** Where a cached violation's template path goes: each entry is one template's. */
const TEMPLATE = '<template>';

/**
 * CDK's built-in CloudFormation template validation (the same plugin class,
 * so it takes the built-in one's place and the same engine and rules run),
 * template by template, with each template's findings served from the
 * cache when its text, stack path, account, region and the engine, rule and aws-cdk-lib
 * versions are unchanged. The engine validates each template on its own
 * (the built-in loop does too); it is started once, for the resource types
 * of all templates, as the built-in plugin starts it. The report is the one
 * the built-in plugin gives: findings grouped by rule, severity and message
 * in template order.
 */
export class CachedCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  /**
   * Makes this the instance aws-cdk-lib runs as its built-in validation, for
   * every app this process synthesizes: it runs exactly when the built-in
   * one would (not with `cdk synth --no-validation` or
   * `builtinCloudFormationValidation: false`), reports under the same name,
   * and leaves the templates' CDK metadata as the built-in one does (a
   * registered plugin would be named in it).
   */
  public static install(
    cache: ValidationCache,
    options: { threads?: number } = {},
  ): CachedCloudFormationValidatePlugin {
    const singleton = CloudFormationValidatePlugin as unknown as {
      _instance?: CloudFormationValidatePlugin;
      _disposeSingleton(): void;
    };
    const current = singleton._instance;
    if (current instanceof CachedCloudFormationValidatePlugin && current.cache === cache) return current;
    singleton._disposeSingleton();
    const workers = options.threads ? new ValidationWorkers(options.threads) : undefined;
    const plugin = new CachedCloudFormationValidatePlugin(cache, workers);
    singleton._instance = plugin;
    return plugin;
  }

  private readonly versions: string;
  /** The app's resource types, which the threads' engines are started for. */
  private types: readonly string[] = [];

  constructor(
    private readonly cache: ValidationCache,
    /** Threads to validate on beside the app. @default in this thread */
    private readonly workers?: ValidationWorkers,
  ) {
    super();
    this.versions = JSON.stringify(['cached-cloudformation-validate/1', packageVersion('aws-cdk-lib'), this.version]);
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const templates = context.stackTemplates.map((stack) => {
      const text = readFileSync(stack.templatePath, 'utf8');
      const key = this.keyOf(stack, text);
      return { stack, text, key, violations: this.cache.get<PolicyViolation[]>(KIND, key) };
    });
    const misses = templates.filter((template) => template.violations === undefined);
    const reports = this.validateEach(context, misses, () => resourceTypes(templates.map((template) => template.text)));
    misses.forEach((miss, i) => {
      miss.violations = reports[i].violations.map((violation) =>
        relocate(violation, miss.stack.templatePath, TEMPLATE),
      );
      this.cache.put(KIND, miss.key, miss.violations);
    });
    const merged: PolicyViolation[] = [];
    for (const { stack, violations } of templates) {
      for (const violation of violations ?? []) merge(merged, relocate(violation, TEMPLATE, stack.templatePath));
    }
    return { success: merged.every((v) => v.severity !== 'error' && v.severity !== 'fatal'), violations: merged };
  }

  /** The cache key of a template's findings: its text, stack path, account and region, and the versions. */
  public keyOf(
    stack: Pick<PolicyValidationStack, 'stackConstructPath' | 'accountId' | 'region'>,
    text: string,
  ): string {
    return contentKey([this.versions, JSON.stringify([stack.stackConstructPath, stack.accountId, stack.region]), text]);
  }

  /** The findings stored under `key`, without counting a lookup. */
  public peek(key: string): PolicyViolation[] | undefined {
    return this.cache.peek<PolicyViolation[]>(KIND, key);
  }

  /** Starts the validation threads' engines early, for the app's resource types. */
  public prepare(types: Iterable<string>): void {
    this.types = [...types];
    this.workers?.prepare(this.types);
  }

  /**
   * Sends a stack's template to a validation thread as soon as synthesis has
   * written it, when its findings are not cached, so the threads validate
   * while the app synthesizes the next stacks and runs cdk-nag; the report
   * is collected when aws-cdk-lib runs this plugin. With no threads (no
   * validation, or none asked for) nothing happens early.
   */
  public validateWhenWritten(stack: Stack): void {
    const workers = this.workers;
    if (!workers) return;
    const synthesizer = stack.synthesizer as { synthesize(session: ISynthesisSession): void };
    const synthesize = synthesizer.synthesize.bind(synthesizer);
    synthesizer.synthesize = (session) => {
      synthesize(session);
      const validated = policyValidationStack(stack, session.assembly.outdir);
      const key = this.keyOf(validated, readFileSync(validated.templatePath, 'utf8'));
      if (this.cache.peek(KIND, key) === undefined) workers.submit({ stack: validated, key }, this.types);
    };
  }

  /** The built-in validation of each template alone; the engine is started for `types` (every template's). */
  private validateEach(
    context: IPolicyValidationContext,
    templates: readonly Template[],
    types: () => Set<string>,
  ): PolicyValidationPluginReport[] {
    if (templates.length === 0) return [];
    if (this.workers) return this.workers.validate(templates, types());
    (this as unknown as { initializeEngine(types: Set<string>): unknown }).initializeEngine(types());
    return templates.map(({ stack }) => super.validate(single(context, stack)));
  }
}

/** The stack as aws-cdk-lib hands it to validation plugins (its artifact's path, account and region). */
function policyValidationStack(stack: Stack, outdir: string): PolicyValidationStack {
  return {
    stackConstructPath: stack.node.path,
    templatePath: path.join(outdir, stack.templateFile),
    accountId: Token.isUnresolved(stack.account) ? undefined : stack.account,
    region: Token.isUnresolved(stack.region) ? undefined : stack.region,
  };
}

function single(context: IPolicyValidationContext, stack: PolicyValidationStack): IPolicyValidationContext {
  return {
    templatePaths: [stack.templatePath],
    stackTemplates: [stack],
    accountId: stack.accountId,
    region: stack.region,
    appConstruct: context.appConstruct,
  };
}

function relocate(violation: PolicyViolation, from: string, to: string): PolicyViolation {
  return {
    ...violation,
    violatingResources: violation.violatingResources.map((resource) =>
      resource.templatePath === from ? { ...resource, templatePath: to } : resource,
    ),
  };
}

/** The built-in plugin's grouping: one entry per rule, severity and message; the first finding's fix and metadata. */
function merge(merged: PolicyViolation[], violation: PolicyViolation): void {
  const existing = merged.find(
    (v) =>
      v.ruleName === violation.ruleName && v.severity === violation.severity && v.description === violation.description,
  );
  if (existing) existing.violatingResources.push(...violation.violatingResources);
  else merged.push({ ...violation, violatingResources: [...violation.violatingResources] });
}

/** The resource types of the templates, read as the built-in plugin reads them. */
function resourceTypes(texts: readonly string[]): Set<string> {
  const types = new Set<string>();
  for (const text of texts) {
    try {
      const resources = (JSON.parse(text) as { Resources?: Record<string, { Type?: unknown }> }).Resources ?? {};
      for (const resource of Object.values(resources)) {
        if (resource && typeof resource.Type === 'string') types.add(resource.Type);
      }
    } catch {
      // the engine reports an unreadable template itself
    }
  }
  return types;
}
