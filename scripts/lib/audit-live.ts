/**
 * `npm run audit -- --live`: what the templates cannot show. Reads the
 * EventBridge resources that exist now under the platform's name prefixes
 * (with AWS credentials, or the local runtime's endpoint) and the webhook
 * records, then lists
 * - the runtime-owned webhooks (who, what, where, which secret: a
 *   reference, never a value) with their live rule, destination and connection;
 * - EventBridge resources under the prefixes that neither a template nor a
 *   webhook record explains;
 * - records whose live resources differ from what the record asks for;
 * - webhook rules endpoint health switched off (`disabled-by-health`): a
 *   config webhook's template rule then differs from its template in State
 *   only, and this names why, so it is never a silent drift. A template
 *   rule DISABLED without that reason is drift.
 * Read-only: only Describe and List calls.
 */
import {
  type EventBridgeClient,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { allRules, type CloudAssemblyView, renderValue, resourcesOfType } from '../../local/cloud-assembly';

export interface LiveRule {
  readonly bus: string;
  readonly name: string;
  readonly state: string;
  readonly eventPattern?: string;
  readonly targetArns: readonly string[];
}

export interface LiveEventBridge {
  readonly rules: readonly LiveRule[];
  readonly destinations: ReadonlyArray<{ readonly name: string; readonly endpoint: string; readonly arn: string }>;
  readonly connections: ReadonlyArray<{
    readonly name: string;
    readonly arn: string;
    readonly authorizationType: string;
  }>;
}

/** A webhook record as the audit needs it (the webhooks table's fields). */
export interface LiveWebhookRecord {
  readonly orgId: string;
  readonly webhookId: string;
  readonly source: string;
  readonly url: string;
  readonly verifiedUrl?: string;
  readonly events: readonly string[];
  readonly status: string;
  readonly secretArn?: string;
  readonly delivery?: { readonly state: string; readonly lastError?: string };
  readonly health?: { readonly state: string; readonly disabledAt?: string; readonly disabledAfterHours?: number };
}

/** A webhook rule endpoint health switched off. */
export interface DisabledByHealth {
  readonly orgId: string;
  readonly webhookId: string;
  readonly owner: 'config' | 'runtime';
  /** `bus/name` of its rule. */
  readonly rule: string;
  readonly state: string;
  readonly disabledAt?: string;
  readonly disabledAfterHours?: number;
}

/** Where a runtime webhook's resources are named (the provisioner's naming). */
export type RuntimePlacement = (
  orgId: string,
  webhookId: string,
) => { readonly name: string; readonly busName: string };

export interface RuntimeWebhookAudit {
  readonly orgId: string;
  readonly webhookId: string;
  readonly source: string;
  readonly events: readonly string[];
  readonly url: string;
  readonly verifiedUrl?: string;
  readonly deliveryState: string;
  /** The secret's ARN (a reference); the value is never read. */
  readonly secretReference?: string;
  readonly rule?: { readonly bus: string; readonly name: string; readonly state: string };
  readonly destination?: { readonly name: string; readonly endpoint: string };
  readonly connection?: { readonly name: string; readonly authorizationType: string };
}

export interface LiveAudit {
  readonly runtimeWebhooks: readonly RuntimeWebhookAudit[];
  readonly unexplained: ReadonlyArray<{
    readonly kind: 'rule' | 'api-destination' | 'connection';
    readonly name: string;
    readonly bus?: string;
  }>;
  readonly drift: ReadonlyArray<{ readonly orgId: string; readonly webhookId: string; readonly problem: string }>;
  readonly disabledByHealth: readonly DisabledByHealth[];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every page of a List call. */
async function allPages<T>(page: (token: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const result = await page(token);
    items.push(...result.items);
    token = result.next;
  } while (token !== undefined);
  return items;
}

/** Rules on the given buses, destinations and connections whose names start with one of the prefixes. */
export async function readLiveEventBridge(
  client: EventBridgeClient,
  buses: readonly string[],
  prefixes: readonly string[],
): Promise<LiveEventBridge> {
  const rules: LiveRule[] = [];
  const destinations: Array<LiveEventBridge['destinations'][number]> = [];
  const connections: Array<LiveEventBridge['connections'][number]> = [];
  for (const prefix of prefixes) {
    for (const bus of buses) {
      const listed = await allPages(async (NextToken) => {
        const page = await client.send(new ListRulesCommand({ EventBusName: bus, NamePrefix: prefix, NextToken }));
        return { items: page.Rules ?? [], next: page.NextToken };
      });
      for (const rule of listed) {
        const targets = await client.send(new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: bus }));
        rules.push({
          bus,
          name: rule.Name ?? '',
          state: rule.State ?? '',
          ...(rule.EventPattern === undefined ? {} : { eventPattern: rule.EventPattern }),
          targetArns: (targets.Targets ?? []).map((target) => target.Arn ?? ''),
        });
      }
    }
    const listedDestinations = await allPages(async (NextToken) => {
      const page = await client.send(new ListApiDestinationsCommand({ NamePrefix: prefix, NextToken }));
      return { items: page.ApiDestinations ?? [], next: page.NextToken };
    });
    destinations.push(
      ...listedDestinations.map((d) => ({
        name: d.Name ?? '',
        endpoint: d.InvocationEndpoint ?? '',
        arn: d.ApiDestinationArn ?? '',
      })),
    );
    const listedConnections = await allPages(async (NextToken) => {
      const page = await client.send(new ListConnectionsCommand({ NamePrefix: prefix, NextToken }));
      return { items: page.Connections ?? [], next: page.NextToken };
    });
    connections.push(
      ...listedConnections.map((c) => ({
        name: c.Name ?? '',
        arn: c.ConnectionArn ?? '',
        authorizationType: c.AuthorizationType ?? '',
      })),
    );
  }
  return { rules, destinations, connections };
}

/** The names the templates declare: a live resource with one of these is the templates'. */
export function templateNames(assembly: CloudAssemblyView): {
  readonly rules: ReadonlySet<string>;
  readonly destinations: ReadonlySet<string>;
  readonly connections: ReadonlySet<string>;
  readonly buses: readonly string[];
} {
  const named = (type: string) =>
    new Set(
      assembly.stacks.flatMap((stack) =>
        resourcesOfType(stack.template, type).map(([logicalId, r]) =>
          renderValue(r.Properties?.Name ?? `${stack.stackName}-${logicalId}`),
        ),
      ),
    );
  return {
    rules: new Set(
      allRules(assembly).map(
        (rule) => `${rule.busName}/${renderValue(rule.resource.Properties?.Name ?? rule.logicalId)}`,
      ),
    ),
    destinations: named('AWS::Events::ApiDestination'),
    connections: named('AWS::Events::Connection'),
    buses: [...named('AWS::Events::EventBus')].sort(),
  };
}

export interface LiveAuditInput {
  readonly assembly: CloudAssemblyView;
  readonly live: LiveEventBridge;
  readonly records: readonly LiveWebhookRecord[];
  readonly placement: RuntimePlacement;
  /** Names of provisioner-owned routing rules on the platform bus (explained while any runtime webhook exists). */
  readonly isRuntimeRoute: (ruleName: string) => boolean;
  /** Where a config webhook's template rule is named. @default config rules are not checked for health */
  readonly configPlacement?: RuntimePlacement;
}

export function buildLiveAudit(input: LiveAuditInput): LiveAudit {
  const declared = templateNames(input.assembly);
  const runtime = input.records.filter((record) => record.source !== 'config');
  const explainedRules = new Set<string>();
  const explainedNames = new Set<string>();
  const runtimeWebhooks: RuntimeWebhookAudit[] = [];
  const drift: Array<LiveAudit['drift'][number]> = [];
  for (const record of runtime) {
    const { name, busName } = input.placement(record.orgId, record.webhookId);
    explainedRules.add(`${busName}/${name}`);
    explainedNames.add(name);
    const audit = auditRecord(record, name, busName, input.live);
    runtimeWebhooks.push(audit);
    drift.push(...driftOf(record, audit));
  }
  const unexplained: Array<LiveAudit['unexplained'][number]> = [];
  for (const rule of input.live.rules) {
    const key = `${rule.bus}/${rule.name}`;
    const routeExplained = runtime.length > 0 && input.isRuntimeRoute(rule.name);
    if (!declared.rules.has(key) && !explainedRules.has(key) && !routeExplained) {
      unexplained.push({ kind: 'rule', name: rule.name, bus: rule.bus });
    }
  }
  for (const d of input.live.destinations) {
    if (!declared.destinations.has(d.name) && !explainedNames.has(d.name))
      unexplained.push({ kind: 'api-destination', name: d.name });
  }
  for (const c of input.live.connections) {
    if (!declared.connections.has(c.name) && !explainedNames.has(c.name))
      unexplained.push({ kind: 'connection', name: c.name });
  }
  const health = healthOf(input);
  drift.push(...health.drift);
  const byKey = <T extends { orgId: string; webhookId: string }>(a: T, b: T) =>
    compare(a.orgId, b.orgId) || compare(a.webhookId, b.webhookId);
  return {
    runtimeWebhooks: runtimeWebhooks.sort(byKey),
    unexplained: unexplained.sort((a, b) => compare(a.kind, b.kind) || compare(a.name, b.name)),
    drift: drift.sort(byKey),
    disabledByHealth: health.disabled.sort(byKey),
  };
}

/** Each webhook's live rule State against its endpoint health. */
function healthOf(input: LiveAuditInput): {
  disabled: DisabledByHealth[];
  drift: Array<LiveAudit['drift'][number]>;
} {
  const disabled: DisabledByHealth[] = [];
  const drift: Array<LiveAudit['drift'][number]> = [];
  for (const record of input.records) {
    const owner = record.source === 'config' ? 'config' : 'runtime';
    const placement = owner === 'config' ? input.configPlacement : input.placement;
    if (placement === undefined) continue;
    const { name, busName } = placement(record.orgId, record.webhookId);
    const rule = input.live.rules.find((r) => r.bus === busName && r.name === name);
    if (rule === undefined) continue;
    const key = { orgId: record.orgId, webhookId: record.webhookId };
    const byHealth = record.health?.state === 'disabled';
    if (byHealth) {
      disabled.push({
        ...key,
        owner,
        rule: `${busName}/${name}`,
        state: rule.state,
        ...(record.health?.disabledAt === undefined ? {} : { disabledAt: record.health.disabledAt }),
        ...(record.health?.disabledAfterHours === undefined
          ? {}
          : { disabledAfterHours: record.health.disabledAfterHours }),
      });
      if (rule.state !== 'DISABLED') {
        drift.push({ ...key, problem: 'disabled by endpoint health, but its rule is still ENABLED' });
      }
    } else if (owner === 'config' && rule.state === 'DISABLED') {
      drift.push({
        ...key,
        problem: `template rule ${busName}/${name} is DISABLED, but endpoint health did not disable it (the template says ENABLED)`,
      });
    }
  }
  return { disabled, drift };
}

function auditRecord(
  record: LiveWebhookRecord,
  name: string,
  busName: string,
  live: LiveEventBridge,
): RuntimeWebhookAudit {
  const rule = live.rules.find((r) => r.bus === busName && r.name === name);
  const destination = live.destinations.find((d) => d.name === name);
  const connection = live.connections.find((c) => c.name === name);
  return {
    orgId: record.orgId,
    webhookId: record.webhookId,
    source: record.source,
    events: record.events,
    url: record.url,
    ...(record.verifiedUrl === undefined ? {} : { verifiedUrl: record.verifiedUrl }),
    deliveryState: record.delivery?.state ?? 'provisioning',
    ...(record.secretArn === undefined ? {} : { secretReference: record.secretArn }),
    ...(rule === undefined ? {} : { rule: { bus: rule.bus, name: rule.name, state: rule.state } }),
    ...(destination === undefined ? {} : { destination: { name: destination.name, endpoint: destination.endpoint } }),
    ...(connection === undefined
      ? {}
      : { connection: { name: connection.name, authorizationType: connection.authorizationType } }),
  };
}

function driftOf(record: LiveWebhookRecord, audit: RuntimeWebhookAudit): Array<LiveAudit['drift'][number]> {
  const problems: string[] = [];
  const key = { orgId: record.orgId, webhookId: record.webhookId };
  if (record.delivery?.state === 'live') {
    if (audit.rule === undefined) problems.push('delivery is live but no rule exists');
    if (audit.destination === undefined) problems.push('delivery is live but no API destination exists');
    if (audit.connection === undefined) problems.push('delivery is live but no connection exists');
  }
  if (
    audit.destination !== undefined &&
    record.verifiedUrl !== undefined &&
    audit.destination.endpoint !== record.verifiedUrl
  ) {
    problems.push(
      `API destination delivers to ${audit.destination.endpoint}, the record's verified URL is ${record.verifiedUrl}`,
    );
  }
  if (audit.destination !== undefined && record.verifiedUrl === undefined) {
    problems.push('an API destination exists for a webhook with no verified URL');
  }
  return problems.map((problem) => ({ ...key, problem }));
}

/** The live section as Markdown, appended to the report by `npm run audit -- --live`. */
export function renderLiveMarkdown(audit: LiveAudit, where: string): string {
  const lines = [`# Live EventBridge (${where})`, '', '## Runtime-owned webhooks', ''];
  if (audit.runtimeWebhooks.length === 0) lines.push('None.');
  else {
    lines.push(
      '| org | webhook | source | events | delivers to | state | secret | rule |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const w of audit.runtimeWebhooks) {
      lines.push(
        `| ${w.orgId} | ${w.webhookId} | ${w.source} | ${w.events.join(', ')} | ${w.destination?.endpoint ?? '(none)'} | ${w.deliveryState} | ${w.secretReference ?? '(none)'} | ${w.rule ? `${w.rule.bus}/${w.rule.name} (${w.rule.state})` : '(none)'} |`,
      );
    }
  }
  lines.push('', '## Webhook rules disabled by endpoint health (disabled-by-health)', '');
  if (audit.disabledByHealth.length === 0) lines.push('None.');
  else {
    lines.push('| org | webhook | owner | rule | state | disabled at | after hours |', '|---|---|---|---|---|---|---|');
    for (const d of audit.disabledByHealth) {
      lines.push(
        `| ${d.orgId} | ${d.webhookId} | ${d.owner} | ${d.rule} | ${d.state} (disabled-by-health) | ${d.disabledAt ?? ''} | ${d.disabledAfterHours ?? ''} |`,
      );
    }
  }
  lines.push('', '## Resources no template or webhook record explains', '');
  if (audit.unexplained.length === 0) lines.push('None.');
  for (const u of audit.unexplained) lines.push(`- ${u.kind} ${u.bus === undefined ? '' : `${u.bus}/`}${u.name}`);
  lines.push('', '## Records whose live resources differ', '');
  if (audit.drift.length === 0) lines.push('None.');
  for (const d of audit.drift) lines.push(`- ${d.orgId}/${d.webhookId}: ${d.problem}`);
  return `${lines.join('\n')}\n`;
}

/** Problems the auditor must act on, one line each. */
export function liveProblems(audit: LiveAudit): string[] {
  return [
    ...audit.unexplained.map(
      (u) =>
        `live: ${u.kind} ${u.bus === undefined ? '' : `${u.bus}/`}${u.name} is explained by no template and no webhook record`,
    ),
    ...audit.drift.map((d) => `live: ${d.orgId}/${d.webhookId}: ${d.problem}`),
  ];
}
