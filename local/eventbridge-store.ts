/**
 * What the local EventBridge holds: buses, connections, API destinations,
 * rules and their targets, in EventBridge's own JSON shapes. The templates'
 * resources are seeded at start (origin `template`); the control-plane
 * calls add, change and remove resources at run time (origin `runtime`).
 * Every mutating call is logged. A call that would change or delete a
 * template's resource is refused (AWS allows it; the platform must never
 * do it, or the templates the auditors read would lie) and logged as
 * refused, so a bug fails loudly instead of drifting. Two changes are
 * allowed: a connection's secret material (API key value, secret header
 * values), since templates only reference the webhook secret, so its
 * rotation keeps them true; and a rule's State alone (EnableRule,
 * DisableRule), which endpoint health uses on a config webhook's rule and
 * the audit shows as disabled-by-health.
 *
 * With a file, run-time resources are kept across restarts (mode 0600: a
 * connection holds its API key value, as EventBridge's own secret does),
 * and so are the States set on template rules. Template resources are
 * otherwise read afresh from the templates.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EventBridgeApiError } from './eventbridge-errors';

export type ResourceOrigin = 'template' | 'runtime';
export type ResourceKind = 'connection' | 'api-destination' | 'rule';

export interface HeaderParameter {
  readonly Key: string;
  readonly Value?: string;
  readonly IsValueSecret?: boolean;
}

export interface ConnectionAuthParameters {
  readonly ApiKeyAuthParameters?: { readonly ApiKeyName: string; readonly ApiKeyValue?: string };
  readonly InvocationHttpParameters?: { readonly HeaderParameters?: readonly HeaderParameter[] };
  readonly [other: string]: unknown;
}

interface Provenance {
  readonly origin: ResourceOrigin;
  /** `stack/logicalId` of a template's resource. */
  readonly templateId?: string;
}

export interface ConnectionRecord extends Provenance {
  readonly Name: string;
  readonly ConnectionArn: string;
  readonly Description?: string;
  readonly AuthorizationType: string;
  /** As given, values included: the local stand-in for the secret EventBridge keeps. */
  readonly AuthParameters: ConnectionAuthParameters;
  readonly ConnectionState: 'AUTHORIZED';
  readonly SecretArn: string;
  readonly CreationTime: number;
  readonly LastModifiedTime: number;
  readonly LastAuthorizedTime: number;
}

export interface ApiDestinationRecord extends Provenance {
  readonly Name: string;
  readonly ApiDestinationArn: string;
  readonly Description?: string;
  readonly ConnectionArn: string;
  readonly InvocationEndpoint: string;
  readonly HttpMethod: string;
  readonly InvocationRateLimitPerSecond?: number;
  readonly ApiDestinationState: 'ACTIVE';
  readonly CreationTime: number;
  readonly LastModifiedTime: number;
}

export interface TargetRecord {
  readonly Id: string;
  readonly Arn: string;
  readonly RoleArn?: string;
  readonly RetryPolicy?: { readonly MaximumRetryAttempts?: number; readonly MaximumEventAgeInSeconds?: number };
  readonly DeadLetterConfig?: { readonly Arn?: string };
  readonly [other: string]: unknown;
}

export interface RuleRecord extends Provenance {
  readonly Name: string;
  readonly Arn: string;
  readonly EventBusName: string;
  readonly EventPattern?: string;
  readonly ScheduleExpression?: string;
  readonly State: string;
  readonly Description?: string;
  readonly RoleArn?: string;
  readonly CreatedBy: string;
  readonly Targets: readonly TargetRecord[];
}

/** One mutating control-plane call, as the log keeps it. */
export interface MutationRecord {
  readonly operation: string;
  readonly kind: ResourceKind;
  readonly name: string;
  /** The origin of the resource the call changed (before the call). */
  readonly origin: ResourceOrigin;
  readonly templateId?: string;
  /** The call was refused: it would have changed a template's resource. */
  readonly refused?: true;
  readonly at: string;
}

/** EventBridge's default quotas; tests lower them. */
export interface EventBridgeLimits {
  readonly rulesPerEventBus: number;
  readonly targetsPerRule: number;
  readonly connectionsPerAccount: number;
  readonly apiDestinationsPerAccount: number;
}

export const DEFAULT_LIMITS: EventBridgeLimits = {
  rulesPerEventBus: 300,
  targetsPerRule: 5,
  connectionsPerAccount: 3000,
  apiDestinationsPerAccount: 3000,
};

export interface EventBridgeStoreOptions {
  readonly account?: string;
  readonly region?: string;
  readonly limits?: Partial<EventBridgeLimits>;
  /** Keep run-time resources in this file. @default in memory */
  readonly file?: string;
}

interface PersistedState {
  readonly connections: ConnectionRecord[];
  readonly apiDestinations: ApiDestinationRecord[];
  readonly rules: RuleRecord[];
  /** States set on template rules by EnableRule/DisableRule. */
  readonly templateRuleStates?: Array<Pick<RuleRecord, 'EventBusName' | 'Name' | 'State'>>;
}

/** The operations that change a rule's State and nothing else. */
const STATE_OPERATIONS = new Set(['EnableRule', 'DisableRule']);

/** Only State differs: the one change a template's rule allows. */
function onlyStateDiffers(before: RuleRecord, after: RuleRecord): boolean {
  return JSON.stringify({ ...before, State: '' }) === JSON.stringify({ ...after, State: '' });
}

/** A connection with its secret material (key value, secret-valued headers) and times taken out. */
function withoutSecrets(connection: ConnectionRecord): unknown {
  const { ApiKeyAuthParameters: apiKey, InvocationHttpParameters: http, ...auth } = connection.AuthParameters;
  const { LastModifiedTime: _modified, LastAuthorizedTime: _authorized, ...rest } = connection;
  return {
    ...rest,
    AuthParameters: {
      ...auth,
      apiKeyName: apiKey?.ApiKeyName,
      http: { ...http, HeaderParameters: (http?.HeaderParameters ?? []).filter((h) => h.IsValueSecret !== true) },
    },
  };
}

/** Only secret material differs: a webhook secret rotation, which a template that only references the secret allows. */
function sameButSecrets(before: ConnectionRecord, after: ConnectionRecord): boolean {
  return JSON.stringify(withoutSecrets(before)) === JSON.stringify(withoutSecrets(after));
}

const ruleKey = (busName: string, name: string) => `${busName}\u0000${name}`;

export class EventBridgeStore {
  readonly account: string;
  readonly region: string;
  readonly limits: EventBridgeLimits;
  readonly buses = new Set<string>(['default']);
  readonly connections = new Map<string, ConnectionRecord>();
  readonly apiDestinations = new Map<string, ApiDestinationRecord>();
  /** Queue ARN -> the id dead letters are listed under (`stack/logicalId` for a template's queue). */
  readonly queues = new Map<string, string>();
  private readonly rules = new Map<string, RuleRecord>();
  private readonly log: MutationRecord[] = [];
  private revision = 0;

  constructor(private readonly options: EventBridgeStoreOptions = {}) {
    this.account = options.account ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** Changes on every mutation, so readers can cache what they compile from the store. */
  get version(): number {
    return this.revision;
  }

  /** Every mutating call so far, template resources' included. */
  mutations(): readonly MutationRecord[] {
    return [...this.log];
  }

  busArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.account}:event-bus/${name}`;
  }

  ruleArn(busName: string, name: string): string {
    const path = busName === 'default' ? name : `${busName}/${name}`;
    return `arn:aws:events:${this.region}:${this.account}:rule/${path}`;
  }

  resourceArn(kind: 'connection' | 'api-destination', name: string, id: string): string {
    return `arn:aws:events:${this.region}:${this.account}:${kind}/${name}/${id}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.account}:${name}`;
  }

  /** The id dead letters sent to this queue ARN are listed under. */
  queueId(arn: string): string {
    return this.queues.get(arn) ?? arn.slice(arn.lastIndexOf(':') + 1);
  }

  roleArn(name: string): string {
    return `arn:aws:iam::${this.account}:role/${name}`;
  }

  rule(busName: string, name: string): RuleRecord | undefined {
    return this.rules.get(ruleKey(busName, name));
  }

  /** Rules in name order, of one bus or of all. */
  listRules(busName?: string): RuleRecord[] {
    return [...this.rules.values()]
      .filter((rule) => busName === undefined || rule.EventBusName === busName)
      .sort((a, b) => a.Name.localeCompare(b.Name));
  }

  /** Seeds or replaces a template's resource (no log entry: the template is not a call). */
  seed(resource: ConnectionRecord | ApiDestinationRecord | RuleRecord): void {
    if ('ConnectionState' in resource) this.connections.set(resource.Name, resource);
    else if ('ApiDestinationState' in resource) this.apiDestinations.set(resource.Name, resource);
    else this.rules.set(ruleKey(resource.EventBusName, resource.Name), resource);
    this.revision += 1;
  }

  putConnection(operation: string, record: ConnectionRecord, before?: ConnectionRecord): void {
    if (before !== undefined && !sameButSecrets(before, record)) this.refuseTemplate(operation, 'connection', before);
    this.connections.set(record.Name, record);
    this.changed(operation, 'connection', before ?? record);
  }

  deleteConnection(operation: string, record: ConnectionRecord): void {
    this.refuseTemplate(operation, 'connection', record);
    this.connections.delete(record.Name);
    this.changed(operation, 'connection', record);
  }

  putApiDestination(operation: string, record: ApiDestinationRecord, before?: ApiDestinationRecord): void {
    if (before !== undefined) this.refuseTemplate(operation, 'api-destination', before);
    this.apiDestinations.set(record.Name, record);
    this.changed(operation, 'api-destination', before ?? record);
  }

  deleteApiDestination(operation: string, record: ApiDestinationRecord): void {
    this.refuseTemplate(operation, 'api-destination', record);
    this.apiDestinations.delete(record.Name);
    this.changed(operation, 'api-destination', record);
  }

  putRule(operation: string, record: RuleRecord, before?: RuleRecord): void {
    const stateOnly = before !== undefined && STATE_OPERATIONS.has(operation) && onlyStateDiffers(before, record);
    if (before !== undefined && !stateOnly) this.refuseTemplate(operation, 'rule', before);
    this.rules.set(ruleKey(record.EventBusName, record.Name), record);
    this.changed(operation, 'rule', before ?? record);
  }

  deleteRule(operation: string, record: RuleRecord): void {
    this.refuseTemplate(operation, 'rule', record);
    this.rules.delete(ruleKey(record.EventBusName, record.Name));
    this.changed(operation, 'rule', record);
  }

  /** Loads the run-time resources a previous run kept; call after seeding the templates. */
  load(): void {
    const file = this.options.file;
    if (file === undefined || !existsSync(file)) return;
    const state = JSON.parse(readFileSync(file, 'utf8')) as PersistedState;
    for (const record of [...state.connections, ...state.apiDestinations, ...state.rules]) this.seed(record);
    for (const { EventBusName, Name, State } of state.templateRuleStates ?? []) {
      const rule = this.rule(EventBusName, Name);
      if (rule?.origin === 'template') this.seed({ ...rule, State });
    }
  }

  /** Logs and refuses a call on a template's resource; run-time resources pass. */
  private refuseTemplate(
    operation: string,
    kind: ResourceKind,
    resource: Provenance & { readonly Name: string },
  ): void {
    if (resource.origin !== 'template') return;
    this.log.push({ ...this.entry(operation, kind, resource), refused: true });
    throw new EventBridgeApiError(
      'AccessDeniedException',
      `${operation} would change ${kind} ${resource.Name}, which template ${resource.templateId ?? ''} declares; ` +
        'nothing at run time may change a resource a template declares (change the partner file instead)',
    );
  }

  private changed(operation: string, kind: ResourceKind, resource: Provenance & { readonly Name: string }): void {
    this.log.push(this.entry(operation, kind, resource));
    this.revision += 1;
    this.save();
  }

  private entry(operation: string, kind: ResourceKind, resource: Provenance & { readonly Name: string }) {
    return {
      operation,
      kind,
      name: resource.Name,
      origin: resource.origin,
      ...(resource.templateId === undefined ? {} : { templateId: resource.templateId }),
      at: new Date().toISOString(),
    };
  }

  private save(): void {
    const file = this.options.file;
    if (file === undefined) return;
    const runtime = <T extends Provenance>(records: Iterable<T>) => [...records].filter((r) => r.origin === 'runtime');
    const state: PersistedState = {
      connections: runtime(this.connections.values()),
      apiDestinations: runtime(this.apiDestinations.values()),
      rules: runtime(this.rules.values()),
      templateRuleStates: [...this.rules.values()]
        .filter((rule) => rule.origin === 'template' && rule.State !== 'ENABLED')
        .map(({ EventBusName, Name, State }) => ({ EventBusName, Name, State })),
    };
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
}
