/**
 * The audit report: who receives what, where, with which credential, built
 * from a cloud assembly only (manifest, templates, validation report) plus
 * the environment's quotas from config/<env>.yaml, read through loadConfig. Deterministic: the same
 * cdk.out gives byte-identical output (no timestamps, no absolute paths, no
 * stack traces), and no secret value is ever read or printed.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ONBOARDING_RESOURCE_TYPE } from '../../lambda/core/contracts';
import { ALL_EVENTS } from '../../lambda/core/event-catalog';
import {
  API_DESTINATION_MAX_INVOCATIONS_PER_SECOND,
  CLOUDFORMATION_MAX_RESOURCES,
  CLOUDFORMATION_MAX_TEMPLATE_BYTES,
  EVENTBRIDGE_TARGETS_PER_RULE,
} from '../../lib/config/aws-limits';
import { ConfigError } from '../../lib/config/config-error';
import { loadConfig } from '../../lib/config/load-config';
import { TAG_PREFIX } from '../../lib/config/naming';
import { PLATFORM_BUS_RESERVED_RULES } from '../../lib/config/quota-check';
import { matchesEventPattern, patternBranches } from '../../lib/event-pattern/match';
import {
  allRules,
  CfnResourceJson,
  CloudAssemblyView,
  eventPatternText,
  referencedResource,
  renderValue,
  resourcesOfType,
  RuleRef,
  rulesPerBus,
  StackArtifact,
  targetResource,
} from '../../local/cloud-assembly';
import { type AlarmAudit, alarmProblems, auditAlarms } from './audit-alarms';

export type { AlarmAudit } from './audit-alarms';

export const ENVIRONMENT_TAG = `${TAG_PREFIX}:environment`;
export const ORG_ID_TAG = `${TAG_PREFIX}:org-id`;
/** CloudFormation's own ceilings, next to the stricter ones the config sets. */
/** EventBridge: targets per rule, and the maximum invocation rate of an API destination. */

export interface ResourceRefJson {
  readonly stack: string;
  readonly logicalId: string;
  readonly name?: string;
}

export interface WebhookAudit {
  readonly webhookId: string;
  /** Event bus -> routing rule -> shard bus -> webhook rule -> API destination. */
  readonly busPath: readonly string[];
  readonly route?: ResourceRefJson;
  readonly rule: ResourceRefJson;
  /** The rule's event pattern, exactly as the template holds it (JSON text). */
  readonly eventPattern: string;
  /** The detail-types the pattern accepts; `*` when it has no detail-type filter. */
  readonly eventTypes: readonly string[];
  readonly destination?: ResourceRefJson & {
    readonly url: string;
    readonly httpMethod: string;
    readonly rateLimitPerSecond?: number;
  };
  readonly connection?: ResourceRefJson & {
    readonly authorizationType: string;
    /** The header, user name or client id that carries the credential. */
    readonly credentialName?: string;
    /** The dynamic reference text, never a value; "(literal value redacted)" for a literal. */
    readonly secretReference: string;
    readonly secret?: ResourceRefJson;
  };
  readonly retryPolicy?: { readonly maximumEventAgeInSeconds?: number; readonly maximumRetryAttempts?: number };
  readonly deadLetterQueue?: ResourceRefJson;
  readonly invocationRole?: ResourceRefJson;
}

export interface PartnerAudit {
  readonly orgId: string;
  readonly stack: string;
  readonly onboarding?: ResourceRefJson;
  readonly webhooks: readonly WebhookAudit[];
}

export interface RoleAudit extends ResourceRefJson {
  readonly path?: string;
  readonly trust: readonly unknown[];
  readonly policies: ReadonlyArray<{ readonly name: string; readonly statements: readonly unknown[] }>;
  readonly managedPolicies: readonly string[];
}

export interface AcknowledgedFinding extends ResourceRefJson {
  readonly path?: string;
  readonly rule: string;
  readonly reason: string;
}

export interface UnsuppressedFinding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly resources: readonly string[];
}

export interface QuotaRow {
  readonly quota: string;
  readonly where: string;
  readonly actual: number;
  readonly limit: number;
  readonly ok: boolean;
}

export interface AuditReport {
  readonly environment: {
    readonly name: string;
    /** Where the environment name was read. */
    readonly source: string;
    /** Where the quotas were read, or why they could not be. */
    readonly quotasFrom: string;
  };
  readonly totals: {
    readonly stacks: number;
    readonly partners: number;
    readonly webhooks: number;
    readonly roles: number;
    readonly acknowledgedFindings: number;
    readonly unsuppressedFindings: number;
    readonly alarms: number;
  };
  readonly stacks: ReadonlyArray<{
    readonly name: string;
    readonly templateFile: string;
    readonly resources: number;
    readonly templateBytes: number;
    readonly tags: Readonly<Record<string, string>>;
  }>;
  readonly partners: readonly PartnerAudit[];
  readonly roles: readonly RoleAudit[];
  /** Every CloudWatch alarm per stack: what it watches, when it fires, whom it tells. */
  readonly alarms: readonly AlarmAudit[];
  readonly nag: {
    readonly acknowledged: readonly AcknowledgedFinding[];
    readonly unsuppressed: readonly UnsuppressedFinding[];
  };
  readonly quotas: readonly QuotaRow[];
  /**
   * Problems the auditor must act on: a literal credential, a crossed quota,
   * an unacknowledged error finding, an alarm that tells nobody.
   */
  readonly problems: readonly string[];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function tagValue(resource: CfnResourceJson, key: string): string | undefined {
  const tags = resource.Properties?.Tags;
  if (!Array.isArray(tags)) return undefined;
  const tag = tags.find((t: { Key?: unknown }) => t.Key === key);
  return tag ? String(tag.Value) : undefined;
}

function ref(stack: StackArtifact, logicalId: string, resource?: CfnResourceJson): ResourceRefJson {
  const name = resource?.Properties?.Name;
  return { stack: stack.stackName, logicalId, ...(typeof name === 'string' ? { name } : {}) };
}

/** Intrinsics rendered as text all the way down, so statements read like policies. */
function renderDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(renderDeep);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return renderValue(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v)]));
  }
  return value;
}

const statementsOf = (document: unknown): unknown[] => {
  const statements = (document as { Statement?: unknown })?.Statement;
  return (Array.isArray(statements) ? statements : statements ? [statements] : []).map(renderDeep);
};

const isDynamicReference = (text: string) => /\{\{resolve:(secretsmanager|ssm-secure):/.test(text);

/** The environment all stacks are tagged with (the app tags every stack). */
function environmentOf(assembly: CloudAssemblyView): string {
  const names = [...new Set(assembly.stacks.map((stack) => stack.tags[ENVIRONMENT_TAG]).filter(Boolean))];
  if (names.length !== 1) {
    throw new Error(
      `cannot tell the environment: stacks carry ${names.length ? names.join(', ') : 'no'} ${ENVIRONMENT_TAG} tag(s) in manifest.json`,
    );
  }
  return names[0];
}

function webhookIdOf(rule: CfnResourceJson, orgId: string): string {
  const cdkPath = String(rule.Metadata?.['aws:cdk:path'] ?? '');
  const fromPath = /\/Webhook-([^/]+)\/Rule$/.exec(cdkPath);
  if (fromPath) return fromPath[1];
  const fromDescription = new RegExp(`${orgId}/([a-z0-9-]+)$`).exec(String(rule.Properties?.Description ?? ''));
  return fromDescription ? fromDescription[1] : String(rule.Properties?.Name ?? '');
}

/** A representative event the webhook rule accepts (from its first branch), used to find the route that feeds it. */
function sampleEvent(pattern: Record<string, any>, orgId: string): Record<string, unknown> {
  const [branch] = patternBranches(pattern);
  const first = (values: unknown) => (Array.isArray(values) && typeof values[0] === 'string' ? values[0] : undefined);
  return {
    source: first(branch.get('source')) ?? 'unknown',
    'detail-type': first(branch.get('detail-type')) ?? 'AnyEventType',
    detail: { partnerId: orgId },
  };
}

/** The detail-types a rule delivers, over all its `$or` branches; `*` when some branch takes any. */
function deliveredTypes(pattern: Record<string, any>): string[] {
  const lists = patternBranches(pattern).map((branch) => branch.get('detail-type'));
  if (lists.some((list) => list === undefined)) return [ALL_EVENTS];
  return [...new Set(lists.flatMap((list) => (list ?? []).map(String)))];
}

function auditWebhook(
  assembly: CloudAssemblyView,
  rule: RuleRef,
  orgId: string,
  platformRules: RuleRef[],
): WebhookAudit {
  const props = rule.resource.Properties ?? {};
  const pattern = typeof props.EventPattern === 'string' ? JSON.parse(props.EventPattern) : (props.EventPattern ?? {});
  const target = (props.Targets ?? [])[0] ?? {};
  const route = platformRules.find(
    (candidate) =>
      matchesEventPattern(candidate.resource.Properties?.EventPattern ?? {}, sampleEvent(pattern, orgId)) &&
      (candidate.resource.Properties?.Targets ?? []).some(
        (t: { Arn: unknown }) =>
          targetResource(assembly, candidate.stack, t.Arn)?.resource.Properties?.Name === rule.busName,
      ),
  );

  const destinationRef = targetResource(assembly, rule.stack, target.Arn);
  const destination =
    destinationRef?.resource.Type === 'AWS::Events::ApiDestination'
      ? {
          ...ref(destinationRef.stack, destinationRef.logicalId, destinationRef.resource),
          url: renderValue(destinationRef.resource.Properties?.InvocationEndpoint),
          httpMethod: String(destinationRef.resource.Properties?.HttpMethod ?? ''),
          rateLimitPerSecond: destinationRef.resource.Properties?.InvocationRateLimitPerSecond,
        }
      : undefined;

  const connectionRef = destinationRef
    ? referencedResource(assembly, destinationRef.stack, destinationRef.resource.Properties?.ConnectionArn)
    : undefined;
  let connection: WebhookAudit['connection'];
  if (connectionRef) {
    const auth = connectionRef.resource.Properties?.AuthParameters ?? {};
    const [credentialName, credential] = auth.ApiKeyAuthParameters
      ? [auth.ApiKeyAuthParameters.ApiKeyName, auth.ApiKeyAuthParameters.ApiKeyValue]
      : auth.BasicAuthParameters
        ? [auth.BasicAuthParameters.Username, auth.BasicAuthParameters.Password]
        : [auth.OAuthParameters?.ClientParameters?.ClientID, auth.OAuthParameters?.ClientParameters?.ClientSecret];
    const text = credential === undefined ? '' : renderValue(credential);
    const secretId = /\$\{([A-Za-z0-9]+)\}/.exec(text)?.[1];
    const secret = secretId ? connectionRef.stack.template.Resources?.[secretId] : undefined;
    connection = {
      ...ref(connectionRef.stack, connectionRef.logicalId, connectionRef.resource),
      authorizationType: String(connectionRef.resource.Properties?.AuthorizationType ?? ''),
      ...(credentialName === undefined ? {} : { credentialName: renderValue(credentialName) }),
      secretReference:
        credential === undefined ? '(none)' : isDynamicReference(text) ? text : '(literal value redacted)',
      ...(secretId && secret ? { secret: ref(connectionRef.stack, secretId, secret) } : {}),
    };
  }

  const dlq = target.DeadLetterConfig
    ? referencedResource(assembly, rule.stack, target.DeadLetterConfig.Arn)
    : undefined;
  const role = target.RoleArn ? referencedResource(assembly, rule.stack, target.RoleArn) : undefined;
  const webhookId = webhookIdOf(rule.resource, orgId);
  return {
    webhookId,
    busPath: [
      ...(route
        ? [`${route.busName} (event bus)`, `${route.resource.Properties?.Name ?? route.logicalId} (routing rule)`]
        : []),
      `${rule.busName} (event bus)`,
      `${props.Name ?? rule.logicalId} (webhook rule)`,
      ...(destination ? [`${destination.name ?? destination.logicalId} (API destination) -> ${destination.url}`] : []),
    ],
    ...(route ? { route: ref(route.stack, route.logicalId, route.resource) } : {}),
    rule: ref(rule.stack, rule.logicalId, rule.resource),
    eventPattern: eventPatternText(rule.resource),
    eventTypes: deliveredTypes(pattern),
    ...(destination ? { destination } : {}),
    ...(connection ? { connection } : {}),
    ...(target.RetryPolicy
      ? {
          retryPolicy: {
            maximumEventAgeInSeconds: target.RetryPolicy.MaximumEventAgeInSeconds,
            maximumRetryAttempts: target.RetryPolicy.MaximumRetryAttempts,
          },
        }
      : {}),
    ...(dlq ? { deadLetterQueue: ref(dlq.stack, dlq.logicalId) } : {}),
    ...(role ? { invocationRole: ref(role.stack, role.logicalId) } : {}),
  };
}

function auditPartners(assembly: CloudAssemblyView): PartnerAudit[] {
  const rules = allRules(assembly);
  // Routing rules are the ones whose targets are buses of this assembly.
  const platformRules = rules.filter((rule) =>
    (rule.resource.Properties?.Targets ?? []).some(
      (t: { Arn: unknown }) => targetResource(assembly, rule.stack, t.Arn)?.resource.Type === 'AWS::Events::EventBus',
    ),
  );
  const partners = new Map<string, { stack: string; onboarding?: ResourceRefJson; webhooks: WebhookAudit[] }>();
  const entry = (orgId: string, stack: string) => {
    const existing = partners.get(orgId) ?? { stack, webhooks: [] };
    partners.set(orgId, existing);
    return existing;
  };
  for (const rule of rules) {
    const orgId = tagValue(rule.resource, ORG_ID_TAG);
    if (!orgId) continue;
    entry(orgId, rule.stack.stackName).webhooks.push(auditWebhook(assembly, rule, orgId, platformRules));
  }
  for (const stack of assembly.stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type !== ONBOARDING_RESOURCE_TYPE) continue;
      const orgId = String(resource.Properties?.orgId ?? '');
      if (orgId) entry(orgId, stack.stackName).onboarding = ref(stack, logicalId);
    }
  }
  return [...partners.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([orgId, partner]) => ({
      orgId,
      stack: partner.stack,
      ...(partner.onboarding ? { onboarding: partner.onboarding } : {}),
      webhooks: partner.webhooks.sort((a, b) => compare(a.webhookId, b.webhookId)),
    }));
}

function auditRoles(assembly: CloudAssemblyView): RoleAudit[] {
  const roles: RoleAudit[] = [];
  for (const stack of assembly.stacks) {
    const attached = resourcesOfType(stack.template, 'AWS::IAM::Policy');
    for (const [logicalId, role] of resourcesOfType(stack.template, 'AWS::IAM::Role')) {
      const props = role.Properties ?? {};
      const inline = (props.Policies ?? []).map((policy: any) => ({
        name: renderValue(policy.PolicyName),
        statements: statementsOf(policy.PolicyDocument),
      }));
      const separate = attached
        .filter(([, policy]) => (policy.Properties?.Roles ?? []).some((r: any) => r?.Ref === logicalId))
        .map(([policyId, policy]) => ({
          name: `${renderValue(policy.Properties?.PolicyName ?? policyId)} (${policyId})`,
          statements: statementsOf(policy.Properties?.PolicyDocument),
        }));
      roles.push({
        stack: stack.stackName,
        logicalId,
        ...(role.Metadata?.['aws:cdk:path'] ? { path: String(role.Metadata['aws:cdk:path']) } : {}),
        trust: statementsOf(props.AssumeRolePolicyDocument),
        policies: [...inline, ...separate],
        managedPolicies: (props.ManagedPolicyArns ?? []).map(renderValue),
      });
    }
  }
  return roles.sort((a, b) => compare(a.stack, b.stack) || compare(a.logicalId, b.logicalId));
}

function auditNag(assembly: CloudAssemblyView): AuditReport['nag'] {
  const acknowledged: AcknowledgedFinding[] = [];
  for (const stack of assembly.stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      for (const rule of resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
        acknowledged.push({
          ...ref(stack, logicalId),
          ...(resource.Metadata?.['aws:cdk:path'] ? { path: String(resource.Metadata['aws:cdk:path']) } : {}),
          rule: String(rule.id),
          reason: String(rule.reason ?? ''),
        });
      }
    }
  }
  const unsuppressed = (assembly.validationReport?.pluginReports ?? []).flatMap((report) =>
    report.violations.map((violation): UnsuppressedFinding => ({
      plugin: report.pluginName,
      rule: violation.ruleName,
      severity: violation.severity ?? 'error',
      description: violation.description,
      resources: (violation.violatingConstructs ?? [])
        .map((c) => {
          const cfn = c.cloudFormationResource;
          return [c.constructPath, cfn?.logicalId ? `${cfn.templatePath ?? ''}#${cfn.logicalId}` : undefined]
            .filter(Boolean)
            .join(' ');
        })
        .sort(),
    })),
  );
  return {
    acknowledged: acknowledged.sort(
      (a, b) => compare(a.stack, b.stack) || compare(a.logicalId, b.logicalId) || compare(a.rule, b.rule),
    ),
    unsuppressed: unsuppressed.sort(
      (a, b) => compare(a.plugin, b.plugin) || compare(a.rule, b.rule) || compare(a.description, b.description),
    ),
  };
}

function loadQuotas(rootDir: string, env: string) {
  const file = `config/${env}.yaml`;
  const absolute = path.join(rootDir, file);
  if (!existsSync(absolute)) return { file, error: `${file} not found` } as const;
  try {
    return { file, environment: loadConfig({ rootDir, environment: env }).environment } as const;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      file,
      error: `the config is invalid (${file} or a partner file); run npm run partner -- validate`,
    } as const;
  }
}

function quotaRows(assembly: CloudAssemblyView, partners: readonly PartnerAudit[], rootDir: string, env: string) {
  const loaded = loadQuotas(rootDir, env);
  if (!('environment' in loaded) || !loaded.environment) return { from: loaded.error, rows: [] as QuotaRow[] };
  const { sharding, quotas } = loaded.environment;
  const rows: QuotaRow[] = [];
  const row = (quota: string, where: string, actual: number, limit: number) =>
    rows.push({ quota, where, actual, limit, ok: actual <= limit });
  const maxBy = <T>(items: readonly T[], value: (item: T) => number) =>
    items.reduce<{ item?: T; value: number }>(
      (best, item) => (value(item) > best.value ? { item, value: value(item) } : best),
      { value: 0 },
    );

  const resources = maxBy(assembly.stacks, (s) => Object.keys(s.template.Resources ?? {}).length);
  row('Resources per stack (config)', resources.item?.stackName ?? '-', resources.value, sharding.maxResourcesPerStack);
  row(
    'Resources per stack (CloudFormation)',
    resources.item?.stackName ?? '-',
    resources.value,
    CLOUDFORMATION_MAX_RESOURCES,
  );
  const bytes = maxBy(assembly.stacks, (s) => Buffer.byteLength(s.templateText));
  row('Template bytes (config)', bytes.item?.stackName ?? '-', bytes.value, sharding.maxTemplateBytes);
  row('Template bytes (CloudFormation)', bytes.item?.stackName ?? '-', bytes.value, CLOUDFORMATION_MAX_TEMPLATE_BYTES);

  const routeBuses = new Set(
    partners.flatMap((p) => p.webhooks.flatMap((w) => (w.route ? [w.busPath[0].replace(/ \(event bus\)$/, '')] : []))),
  );
  const buses = rulesPerBus(assembly);
  for (const bus of buses.filter((b) => routeBuses.has(b.busName))) {
    row(
      'EventBridge rules per event bus',
      `${bus.busName} (routing rules + ${PLATFORM_BUS_RESERVED_RULES} reserved)`,
      bus.rules + PLATFORM_BUS_RESERVED_RULES,
      quotas.rulesPerEventBus,
    );
  }
  const others = buses.filter((b) => !routeBuses.has(b.busName));
  const busiest = maxBy(others, (b) => b.rules);
  if (busiest.item) {
    row(
      'EventBridge rules per event bus',
      `${busiest.item.busName} (busiest of the other ${others.length})`,
      busiest.value,
      quotas.rulesPerEventBus,
    );
  }
  const rules = allRules(assembly);
  const longest = maxBy(rules, (rule) => eventPatternText(rule.resource).length);
  row(
    'EventBridge event pattern characters',
    longest.item
      ? `${longest.item.stack.stackName}/${longest.item.resource.Properties?.Name ?? longest.item.logicalId}`
      : '-',
    longest.value,
    quotas.eventPatternMaxChars,
  );
  const count = (type: string) => assembly.stacks.reduce((n, s) => n + resourcesOfType(s.template, type).length, 0);
  row(
    'EventBridge API destinations per account',
    'all stacks',
    count('AWS::Events::ApiDestination'),
    quotas.apiDestinationsPerAccount,
  );
  row(
    'EventBridge connections per account',
    'all stacks',
    count('AWS::Events::Connection'),
    quotas.connectionsPerAccount,
  );
  const targets = maxBy(rules, (rule) => (rule.resource.Properties?.Targets ?? []).length);
  row(
    'EventBridge targets per rule',
    targets.item ? `${targets.item.stack.stackName}/${targets.item.logicalId}` : '-',
    targets.value,
    EVENTBRIDGE_TARGETS_PER_RULE,
  );
  const rates = partners.flatMap((p) =>
    p.webhooks.map((w) => ({ w, rate: Number(w.destination?.rateLimitPerSecond ?? 0) })),
  );
  const fastest = maxBy(rates, (r) => r.rate);
  row(
    'API destination invocations per second',
    fastest.item?.w.destination?.name ?? '-',
    fastest.value,
    API_DESTINATION_MAX_INVOCATIONS_PER_SECOND,
  );
  return { from: loaded.file, rows };
}

/** Builds the report model from a cloud assembly and the config root (for quotas). */
export function buildAuditReport(assembly: CloudAssemblyView, rootDir: string): AuditReport {
  const env = environmentOf(assembly);
  const partners = auditPartners(assembly);
  const roles = auditRoles(assembly);
  const nag = auditNag(assembly);
  const quotas = quotaRows(assembly, partners, rootDir, env);
  const alarms = auditAlarms(assembly);
  const problems = [
    ...partners.flatMap((p) =>
      p.webhooks
        .filter((w) => w.connection && !isDynamicReference(w.connection.secretReference))
        .map(
          (w) =>
            `${p.orgId}/${w.webhookId}: connection ${w.connection?.logicalId} carries its credential as a literal in the template; use a Secrets Manager dynamic reference`,
        ),
    ),
    ...quotas.rows.filter((r) => !r.ok).map((r) => `${r.quota} at ${r.where}: ${r.actual} is over ${r.limit}`),
    ...nag.unsuppressed
      .filter((finding) => finding.severity === 'error' || finding.severity === 'fatal')
      .map((f) => `${f.plugin} ${f.rule} is not acknowledged: ${f.description} (${f.resources.join(', ')})`),
    ...alarmProblems(alarms),
  ].sort(compare);
  return {
    environment: {
      name: env,
      source: `stack tag ${ENVIRONMENT_TAG} in manifest.json`,
      quotasFrom: quotas.from,
    },
    totals: {
      stacks: assembly.stacks.length,
      partners: partners.length,
      webhooks: partners.reduce((n, p) => n + p.webhooks.length, 0),
      roles: roles.length,
      acknowledgedFindings: nag.acknowledged.length,
      unsuppressedFindings: nag.unsuppressed.length,
      alarms: alarms.length,
    },
    stacks: assembly.stacks
      .map((stack) => ({
        name: stack.stackName,
        templateFile: stack.templateFile,
        resources: Object.keys(stack.template.Resources ?? {}).length,
        templateBytes: Buffer.byteLength(stack.templateText),
        tags: Object.fromEntries(Object.entries(stack.tags).sort(([a], [b]) => compare(a, b))),
      }))
      .sort((a, b) => compare(a.name, b.name)),
    partners,
    roles,
    alarms,
    nag,
    quotas: quotas.rows,
    problems,
  };
}
