/**
 * A read-only view of a synthesized cloud assembly (`cdk.out`): the manifest,
 * every stack template and the validation report. The local runtime, the audit
 * report, the synth benchmark and the scale tests read templates only through this
 * module, so they all resolve buses, targets and references the same way.
 * It imports nothing from the CDK app: what it reports is what was written.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A CloudFormation template as JSON. */
export interface CfnTemplate {
  readonly Description?: string;
  readonly Resources?: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>;
  readonly [key: string]: unknown;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly Metadata?: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string | string[];
}

export interface StackArtifact {
  /** Artifact id in the manifest (the construct id of the stack). */
  readonly artifactId: string;
  readonly stackName: string;
  /** Template file name, relative to the assembly directory. */
  readonly templateFile: string;
  readonly templateText: string;
  readonly template: CfnTemplate;
  /** Stack-level tags (CloudFormation propagates them to the stack's resources). */
  readonly tags: Readonly<Record<string, string>>;
  /** Other stack names this stack depends on. */
  readonly dependsOn: readonly string[];
}

export interface ValidationViolationJson {
  readonly ruleName: string;
  readonly description: string;
  readonly severity?: string;
  readonly fix?: string;
  readonly violatingConstructs?: ReadonlyArray<{
    readonly constructPath?: string;
    readonly cloudFormationResource?: {
      readonly templatePath?: string;
      readonly logicalId?: string;
      readonly propertyPaths?: string[];
    };
  }>;
}

export interface ValidationReportJson {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly pluginVersion?: string;
    readonly conclusion?: string;
    readonly violations: readonly ValidationViolationJson[];
  }>;
}

export interface CloudAssemblyView {
  readonly dir: string;
  /** In manifest order (CDK writes dependencies first). */
  readonly stacks: readonly StackArtifact[];
  /** `validation-report.json`, when synth wrote one. */
  readonly validationReport?: ValidationReportJson;
}

/** Reads `manifest.json`, each stack's template and the validation report. */
export function readCloudAssembly(dir: string): CloudAssemblyView {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new Error(`${manifestPath} not found; run \`npx cdk synth\` first`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: any; dependencies?: string[]; displayName?: string }>;
  };
  const artifacts = manifest.artifacts ?? {};
  const stackNameOf = (artifactId: string) => String(artifacts[artifactId]?.properties?.stackName ?? artifactId);
  const stacks = Object.entries(artifacts)
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([artifactId, artifact]): StackArtifact => {
      const templateFile = String(artifact.properties?.templateFile);
      const templateText = readFileSync(path.join(dir, templateFile), 'utf8');
      return {
        artifactId,
        stackName: stackNameOf(artifactId),
        templateFile,
        templateText,
        template: JSON.parse(templateText) as CfnTemplate,
        tags: { ...(artifact.properties?.tags ?? {}) },
        dependsOn: (artifact.dependencies ?? [])
          .filter((id) => artifacts[id]?.type === 'aws:cloudformation:stack')
          .map(stackNameOf),
      };
    });
  const reportPath = path.join(dir, 'validation-report.json');
  const validationReport = existsSync(reportPath)
    ? (JSON.parse(readFileSync(reportPath, 'utf8')) as ValidationReportJson)
    : undefined;
  return { dir, stacks, validationReport };
}

/** `[logicalId, resource]` pairs of one type, in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResourceJson]> {
  return Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);
}

/**
 * An intrinsic rendered as readable text: pseudo parameters as
 * `${AWS::Region}`, references as `${LogicalId}` or `${LogicalId.Attr}`, and
 * anything else as compact JSON. Deterministic, and never resolves a secret.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      if (fn === 'Ref' && typeof arg === 'string') return `\${${arg}}`;
      if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return `\${${arg.join('.')}}`;
      if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) {
        return (arg[1] as unknown[]).map(renderValue).join(String(arg[0]));
      }
      if (fn === 'Fn::ImportValue') return `\${Import:${renderValue(arg)}}`;
    }
  }
  return JSON.stringify(value);
}

/** A pointer to one resource of one stack. */
export interface ResourceRef {
  readonly stack: StackArtifact;
  readonly logicalId: string;
  readonly resource: CfnResourceJson;
}

function exportedValue(
  assembly: CloudAssemblyView,
  exportName: string,
): { stack: StackArtifact; value: unknown } | undefined {
  for (const stack of assembly.stacks) {
    for (const output of Object.values(stack.template.Outputs ?? {})) {
      if (output.Export && renderValue(output.Export.Name) === exportName) return { stack, value: output.Value };
    }
  }
  return undefined;
}

/**
 * The resource an ARN/name-valued property points at when it is a `Ref`,
 * `Fn::GetAtt` or a cross-stack `Fn::ImportValue` of one; undefined for a
 * literal or an ARN built with `Fn::Join`.
 */
export function referencedResource(
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  value: unknown,
): ResourceRef | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, any>;
  let logicalId: string | undefined;
  if (typeof record.Ref === 'string') logicalId = record.Ref;
  else if (Array.isArray(record['Fn::GetAtt'])) logicalId = String(record['Fn::GetAtt'][0]);
  else if (record['Fn::ImportValue'] !== undefined) {
    const exported = exportedValue(assembly, renderValue(record['Fn::ImportValue']));
    return exported ? referencedResource(assembly, exported.stack, exported.value) : undefined;
  }
  const resource = logicalId === undefined ? undefined : stack.template.Resources?.[logicalId];
  return resource && logicalId !== undefined ? { stack, logicalId, resource } : undefined;
}

/** The resource type and name an ARN (as rendered text) designates, e.g. `event-bus/NAME`. */
function arnResource(text: string, kind: string): string | undefined {
  const match = new RegExp(`:${kind}/(.+)$`).exec(text);
  return match ? match[1] : undefined;
}

/**
 * The name of the event bus a rule sits on: a bus resource referenced in any
 * stack, a literal name, or the name at the end of a bus ARN; `default` when
 * the rule names no bus.
 */
export function ruleBusName(assembly: CloudAssemblyView, stack: StackArtifact, rule: CfnResourceJson): string {
  const value = rule.Properties?.EventBusName;
  if (value === undefined) return 'default';
  const referenced = referencedResource(assembly, stack, value);
  if (referenced?.resource.Type === 'AWS::Events::EventBus') {
    return renderValue(referenced.resource.Properties?.Name ?? referenced.logicalId);
  }
  const text = renderValue(value);
  return arnResource(text, 'event-bus') ?? text;
}

/** What a rule target's `Arn` points at, when it is a resource of this assembly or a bus by ARN. */
export function targetResource(
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  arn: unknown,
): ResourceRef | undefined {
  const referenced = referencedResource(assembly, stack, arn);
  if (referenced) return referenced;
  const busName = arnResource(renderValue(arn), 'event-bus');
  return busName === undefined ? undefined : findEventBus(assembly, busName);
}

/** The `AWS::Events::EventBus` resource with this name, in any stack. */
export function findEventBus(assembly: CloudAssemblyView, name: string): ResourceRef | undefined {
  for (const stack of assembly.stacks) {
    for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::Events::EventBus')) {
      if (resource.Properties?.Name === name) return { stack, logicalId, resource };
    }
  }
  return undefined;
}

export interface RuleRef extends ResourceRef {
  readonly busName: string;
}

/** Every `AWS::Events::Rule` in the assembly with the bus it sits on. */
export function allRules(assembly: CloudAssemblyView): RuleRef[] {
  return assembly.stacks.flatMap((stack) =>
    resourcesOfType(stack.template, 'AWS::Events::Rule').map(([logicalId, resource]) => ({
      stack,
      logicalId,
      resource,
      busName: ruleBusName(assembly, stack, resource),
    })),
  );
}

/** Rule counts per bus name, sorted by name. */
export function rulesPerBus(assembly: CloudAssemblyView): Array<{ busName: string; rules: number }> {
  const counts = new Map<string, number>();
  for (const rule of allRules(assembly)) counts.set(rule.busName, (counts.get(rule.busName) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([busName, rules]) => ({ busName, rules }));
}

export interface AssemblyStats {
  readonly stacks: number;
  readonly maxResourcesPerStack: number;
  readonly maxTemplateBytes: number;
  readonly maxRulesPerBus: number;
  readonly busWithMostRules: string;
  readonly apiDestinations: number;
  readonly connections: number;
  /** Longest event pattern of any rule, in characters of its JSON text. */
  readonly maxEventPatternChars: number;
}

/** The numbers the CloudFormation and EventBridge limits are about. */
export function assemblyStats(assembly: CloudAssemblyView): AssemblyStats {
  const count = (type: string) =>
    assembly.stacks.reduce((sum, stack) => sum + resourcesOfType(stack.template, type).length, 0);
  const buses = rulesPerBus(assembly);
  const busiest = buses.reduce((best, bus) => (bus.rules > best.rules ? bus : best), { busName: '-', rules: 0 });
  return {
    stacks: assembly.stacks.length,
    maxResourcesPerStack: Math.max(0, ...assembly.stacks.map((s) => Object.keys(s.template.Resources ?? {}).length)),
    maxTemplateBytes: Math.max(0, ...assembly.stacks.map((s) => Buffer.byteLength(s.templateText))),
    maxRulesPerBus: busiest.rules,
    busWithMostRules: busiest.busName,
    apiDestinations: count('AWS::Events::ApiDestination'),
    connections: count('AWS::Events::Connection'),
    maxEventPatternChars: Math.max(0, ...allRules(assembly).map((rule) => eventPatternText(rule.resource).length)),
  };
}

/** A rule's event pattern as EventBridge receives it (JSON text). */
export function eventPatternText(rule: CfnResourceJson): string {
  const pattern = rule.Properties?.EventPattern;
  if (pattern === undefined) return '';
  return typeof pattern === 'string' ? pattern : JSON.stringify(pattern);
}
