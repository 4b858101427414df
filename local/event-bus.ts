/**
 * A local, EventBridge-compatible delivery engine built from the synthesized
 * templates of a cloud assembly: the buses, the rules on them (event patterns
 * evaluated by the same matcher the scale tests use), the rule targets (other
 * buses, or API destinations with their retry policy and dead-letter queue),
 * the API destinations (endpoint, rate limit) and their connections (API key
 * header, value resolved from a local secret store).
 *
 * What it delivers is what the templates say, so a rule that is wrong in the
 * templates is wrong here too. The only local-only knob is `urlOverrides`,
 * which points configured partner URLs at local receivers; it changes where a
 * request goes, never which requests are made.
 */
import { randomUUID } from 'node:crypto';
import { EventPattern, MatchableEvent, matchesEventPattern } from '../lib/event-pattern/match';
import {
  allRules,
  CfnResourceJson,
  CloudAssemblyView,
  findEventBus,
  readCloudAssembly,
  referencedResource,
  renderValue,
  resourcesOfType,
  StackArtifact,
  targetResource,
} from '../scripts/lib/cloud-assembly';

/** One entry of a `PutEvents` request. */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: readonly string[];
  readonly Time?: string | Date;
}

export interface PutEventsResultEntry {
  readonly EventId?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: PutEventsResultEntry[];
}

/** The event as EventBridge delivers it. */
export interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

export interface RetryPolicy {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

export interface ApiDestinationModel {
  readonly logicalId: string;
  readonly stackName: string;
  readonly name: string;
  /** The endpoint in the template. */
  readonly endpoint: string;
  /** Where requests go (the endpoint after `urlOverrides`). */
  readonly url: string;
  readonly httpMethod: string;
  readonly rateLimitPerSecond?: number;
  readonly apiKeyName?: string;
  readonly apiKeyValue?: string;
}

export type TargetModel =
  | {
      readonly kind: 'bus';
      readonly id: string;
      readonly busName: string;
      readonly retryPolicy: RetryPolicy;
      readonly deadLetterQueue?: string;
    }
  | {
      readonly kind: 'api-destination';
      readonly id: string;
      readonly destination: ApiDestinationModel;
      readonly retryPolicy: RetryPolicy;
      readonly deadLetterQueue?: string;
    };

export interface RuleModel {
  readonly logicalId: string;
  readonly stackName: string;
  readonly name: string;
  readonly busName: string;
  readonly pattern: EventPattern;
  readonly targets: readonly TargetModel[];
}

export interface DeadLetter {
  readonly event: EventEnvelope;
  readonly queue: string;
  /** `stack/logicalId` of the rule. */
  readonly ruleId: string;
  readonly ruleName: string;
  readonly targetId: string;
  readonly destination: string;
  readonly attempts: number;
  /** HTTP status of the last attempt, absent on a connection error. */
  readonly status?: number;
  readonly error: string;
  readonly time: string;
}

export interface DeliveryReport {
  readonly event: EventEnvelope;
  readonly ruleName: string;
  readonly destination: string;
  readonly attempts: number;
  readonly outcome: 'delivered' | 'dead-lettered';
  readonly status?: number;
}

/** Secret values by secret logical id, `stack/logicalId` or secret name. */
export type LocalSecretStore = Readonly<Record<string, string>>;

export interface LocalEventBusOptions {
  /** The assembly (or its directory, e.g. `cdk.out`). */
  readonly assembly: CloudAssemblyView | string;
  readonly secrets: LocalSecretStore;
  /** Configured URL -> local URL (local runtime only). */
  readonly urlOverrides?: Readonly<Record<string, string>>;
  /** First retry delay; doubles per retry. Default 1000 ms. */
  readonly retryBaseDelayMs?: number;
  /** Upper bound of one retry delay. Default 60 000 ms. */
  readonly retryMaxDelayMs?: number;
  /** Per-request timeout. Default 5 000 ms. */
  readonly requestTimeoutMs?: number;
  readonly account?: string;
  readonly region?: string;
  /** Called after every delivery that ends (delivered or dead-lettered). */
  readonly onDelivery?: (report: DeliveryReport) => void;
}

/** A token bucket: `rate` tokens per second, burst of `rate`. Reservations may go negative. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  /** Milliseconds to wait before the reserved request may go. */
  reserve(): number {
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function arnSuffix(value: string, kind: string): string {
  const marker = `:${kind}/`;
  const index = value.indexOf(marker);
  return index >= 0 ? value.slice(index + marker.length) : value;
}

/** `{{resolve:secretsmanager:ID:SecretString:jsonKey:...}}` with `Ref`s kept as logical ids. */
function resolveSecretValue(
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  value: unknown,
  secrets: LocalSecretStore,
  where: string,
): string {
  if (typeof value === 'string' && !value.includes('{{resolve:')) return value;
  const candidates: string[] = [];
  const flatten = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const referenced = referencedResource(assembly, stack, part);
    if (referenced?.resource.Type === 'AWS::SecretsManager::Secret') {
      candidates.push(referenced.logicalId, `${referenced.stack.stackName}/${referenced.logicalId}`);
      const name = referenced.resource.Properties?.Name;
      if (typeof name === 'string') candidates.push(name);
      return referenced.logicalId;
    }
    const record = part as Record<string, any>;
    if (record && Array.isArray(record['Fn::Join'])) {
      const [separator, parts] = record['Fn::Join'];
      return (parts as unknown[]).map(flatten).join(String(separator));
    }
    return renderValue(part);
  };
  const text = flatten(value);
  const match = /^\{\{resolve:secretsmanager:(.+?):SecretString:([^:]*):?[^}]*\}\}$/.exec(text);
  if (!match) throw new Error(`${where}: unsupported secret value ${text}`);
  candidates.push(match[1]);
  const key = candidates.find((candidate) => secrets[candidate] !== undefined);
  if (key === undefined) {
    throw new Error(
      `${where}: no local secret for ${[...new Set(candidates)].join(' / ')}; add it to the local secret store`,
    );
  }
  const secret = secrets[key];
  if (!match[2]) return secret;
  const field = (JSON.parse(secret) as Record<string, unknown>)[match[2]];
  if (typeof field !== 'string') throw new Error(`${where}: secret ${key} has no JSON key ${match[2]}`);
  return field;
}

/** Buses and rules of an assembly, as the engine routes them. */
export interface RoutingModel {
  readonly buses: readonly string[];
  /** The bus producers put on: the one whose rules route to other buses. */
  readonly platformBus: string;
  readonly rules: readonly RuleModel[];
  readonly deadLetterQueues: readonly string[];
}

/** Reads the routing model from the templates. */
export function loadRoutingModel(
  assembly: CloudAssemblyView,
  secrets: LocalSecretStore,
  urlOverrides: Readonly<Record<string, string>> = {},
): RoutingModel {
  const buses = assembly.stacks.flatMap((stack) =>
    resourcesOfType(stack.template, 'AWS::Events::EventBus').map(([logicalId, bus]) =>
      renderValue(bus.Properties?.Name ?? logicalId),
    ),
  );
  const queues = new Set<string>();
  const destinations = new Map<string, ApiDestinationModel>();

  const destinationOf = (stack: StackArtifact, logicalId: string, resource: CfnResourceJson): ApiDestinationModel => {
    const key = `${stack.stackName}/${logicalId}`;
    const known = destinations.get(key);
    if (known) return known;
    const props = resource.Properties ?? {};
    const endpoint = renderValue(props.InvocationEndpoint);
    const connection = referencedResource(assembly, stack, props.ConnectionArn);
    const apiKey = connection?.resource.Properties?.AuthParameters?.ApiKeyAuthParameters;
    const destination: ApiDestinationModel = {
      logicalId,
      stackName: stack.stackName,
      name: renderValue(props.Name ?? logicalId),
      endpoint,
      url: urlOverrides[endpoint] ?? endpoint,
      httpMethod: String(props.HttpMethod ?? 'POST'),
      rateLimitPerSecond:
        typeof props.InvocationRateLimitPerSecond === 'number' ? props.InvocationRateLimitPerSecond : undefined,
      apiKeyName: apiKey ? String(apiKey.ApiKeyName) : undefined,
      apiKeyValue:
        apiKey && connection
          ? resolveSecretValue(
              assembly,
              connection.stack,
              apiKey.ApiKeyValue,
              secrets,
              `${stack.stackName}/${logicalId}`,
            )
          : undefined,
    };
    destinations.set(key, destination);
    return destination;
  };

  const rules: RuleModel[] = [];
  for (const rule of allRules(assembly)) {
    const props = rule.resource.Properties ?? {};
    if (props.EventPattern === undefined || (props.State !== undefined && props.State !== 'ENABLED')) continue;
    const pattern = (
      typeof props.EventPattern === 'string' ? JSON.parse(props.EventPattern) : props.EventPattern
    ) as EventPattern;
    const targets: TargetModel[] = [];
    for (const target of (props.Targets ?? []) as Array<Record<string, any>>) {
      const retryPolicy: RetryPolicy = {
        maximumRetryAttempts: Number(target.RetryPolicy?.MaximumRetryAttempts ?? 185),
        maximumEventAgeSeconds: Number(target.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400),
      };
      const dlq = target.DeadLetterConfig
        ? referencedResource(assembly, rule.stack, target.DeadLetterConfig.Arn)
        : undefined;
      const deadLetterQueue = dlq ? `${dlq.stack.stackName}/${dlq.logicalId}` : undefined;
      if (deadLetterQueue) queues.add(deadLetterQueue);
      const resource = targetResource(assembly, rule.stack, target.Arn);
      const id = String(target.Id);
      if (resource?.resource.Type === 'AWS::Events::EventBus') {
        const busName = renderValue(resource.resource.Properties?.Name ?? resource.logicalId);
        targets.push({ kind: 'bus', id, busName, retryPolicy, deadLetterQueue });
      } else if (resource?.resource.Type === 'AWS::Events::ApiDestination') {
        const destination = destinationOf(resource.stack, resource.logicalId, resource.resource);
        targets.push({ kind: 'api-destination', id, destination, retryPolicy, deadLetterQueue });
      }
      // Other targets (Lambda, SQS, ...) are not delivered by this engine.
    }
    rules.push({
      logicalId: rule.logicalId,
      stackName: rule.stack.stackName,
      name: renderValue(props.Name ?? rule.logicalId),
      busName: rule.busName,
      pattern,
      targets,
    });
  }
  const routing = rules.find((rule) => rule.targets.some((target) => target.kind === 'bus'));
  const platformBus = routing?.busName ?? buses[0];
  if (platformBus === undefined || !findEventBus(assembly, platformBus)) {
    throw new Error(`no event bus found in ${assembly.dir}; synthesize the app first`);
  }
  return { buses, platformBus, rules, deadLetterQueues: [...queues].sort() };
}

/** The delivery engine: `putEvents` in, HTTP requests to the API destinations out. */
export class LocalEventBus {
  readonly model: RoutingModel;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly dlq = new Map<string, DeadLetter[]>();
  /** API destination name -> URL, set at run time (a verified URL change). */
  private readonly endpoints = new Map<string, string>();
  private readonly account: string;
  private readonly region: string;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: LocalEventBusOptions) {
    const assembly = typeof options.assembly === 'string' ? readCloudAssembly(options.assembly) : options.assembly;
    this.model = loadRoutingModel(assembly, options.secrets, options.urlOverrides);
    for (const queue of this.model.deadLetterQueues) this.dlq.set(queue, []);
    this.account = options.account ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.baseDelayMs = options.retryBaseDelayMs ?? 1000;
    this.maxDelayMs = options.retryMaxDelayMs ?? 60_000;
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
  }

  /** Accepts the entries and delivers them in the background (see {@link whenIdle}). */
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResult {
    const results = entries.map((entry): PutEventsResultEntry => {
      const busName = entry.EventBusName ? arnSuffix(entry.EventBusName, 'event-bus') : this.model.platformBus;
      if (!this.model.buses.includes(busName)) {
        return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
      }
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        detail = undefined;
      }
      if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const time = entry.Time ? new Date(entry.Time) : new Date();
      const event: EventEnvelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: this.account,
        time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.region,
        resources: [...(entry.Resources ?? [])],
        detail: detail as Record<string, unknown>,
      };
      this.track(this.route(busName, event, 0));
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  /**
   * Points an API destination at a new URL, as the verification handler's
   * UpdateApiDestination does once a changed URL has verified; the URL
   * overrides apply to it as to the templates' endpoints.
   * @returns false when no destination has that name
   */
  setDestinationEndpoint(name: string, url: string): boolean {
    const known = this.model.rules.some((rule) =>
      rule.targets.some((target) => target.kind === 'api-destination' && target.destination.name === name),
    );
    if (!known) return false;
    this.endpoints.set(name, this.options.urlOverrides?.[url] ?? url);
    return true;
  }

  /** The URL requests to a destination go to now. */
  destinationUrl(destination: ApiDestinationModel): string {
    return this.endpoints.get(destination.name) ?? destination.url;
  }

  /** Resolves when no delivery (including retries) is in progress. */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Dead letters per queue (`stack/logicalId` of the DLQ). */
  deadLetters(queue?: string): DeadLetter[] {
    return [...this.dlq.entries()].filter(([name]) => matchesQueue(name, queue)).flatMap(([, letters]) => [...letters]);
  }

  /** The queue ids, e.g. `partner-platform-dev-shard-000/ShardDeadLetterQueue3C6A7F10`. */
  deadLetterQueues(): Array<{ queue: string; messages: number }> {
    return [...this.dlq.entries()].map(([queue, letters]) => ({ queue, messages: letters.length }));
  }

  /**
   * Removes the dead letters of one queue (its id or its stack name), or of
   * all queues, and delivers each again to its target with a fresh retry
   * budget. Returns how many were replayed; failures land in the DLQ again.
   */
  replayDeadLetters(queue?: string): number {
    let replayed = 0;
    for (const [name, letters] of this.dlq.entries()) {
      if (!matchesQueue(name, queue)) continue;
      this.dlq.set(name, []);
      for (const letter of letters) {
        const rule = this.model.rules.find((r) => `${r.stackName}/${r.logicalId}` === letter.ruleId);
        const target = rule?.targets.find((t) => t.id === letter.targetId);
        if (!rule || !target) {
          this.dlq.get(name)?.push(letter);
          continue;
        }
        replayed += 1;
        this.track(this.deliver(rule, target, letter.event, 0));
      }
    }
    return replayed;
  }

  private track(promise: Promise<void>): void {
    const tracked = promise
      .catch((error) => console.error('local event bus: delivery crashed', error))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async route(busName: string, event: EventEnvelope, depth: number): Promise<void> {
    if (depth > 5) return; // EventBridge stops bus-to-bus loops too.
    const deliveries: Array<Promise<void>> = [];
    for (const rule of this.model.rules) {
      if (rule.busName !== busName || !matchesEventPattern(rule.pattern, event as unknown as MatchableEvent)) continue;
      for (const target of rule.targets) deliveries.push(this.deliver(rule, target, event, depth));
    }
    await Promise.all(deliveries);
  }

  private async deliver(rule: RuleModel, target: TargetModel, event: EventEnvelope, depth: number): Promise<void> {
    if (target.kind === 'bus') return this.route(target.busName, event, depth + 1);
    const destination = target.destination;
    const started = Date.now();
    let attempts = 0;
    for (;;) {
      await this.rateLimit(destination);
      attempts += 1;
      const outcome = await this.send(destination, event);
      if (outcome.ok) {
        this.options.onDelivery?.({
          event,
          ruleName: rule.name,
          destination: destination.name,
          attempts,
          outcome: 'delivered',
          status: outcome.status,
        });
        return;
      }
      const retryable = outcome.status === undefined || outcome.status === 429 || outcome.status >= 500;
      const retries = attempts - 1;
      const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** retries);
      const ageAfterDelay = (Date.now() + delay - started) / 1000;
      if (
        !retryable ||
        retries >= target.retryPolicy.maximumRetryAttempts ||
        ageAfterDelay > target.retryPolicy.maximumEventAgeSeconds
      ) {
        this.deadLetter(rule, target, event, attempts, outcome);
        return;
      }
      await sleep(delay);
    }
  }

  private async rateLimit(destination: ApiDestinationModel): Promise<void> {
    if (!destination.rateLimitPerSecond) return;
    const key = `${destination.stackName}/${destination.logicalId}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(destination.rateLimitPerSecond);
      this.buckets.set(key, bucket);
    }
    const wait = bucket.reserve();
    if (wait > 0) await sleep(wait);
  }

  private async send(
    destination: ApiDestinationModel,
    event: EventEnvelope,
  ): Promise<{ ok: boolean; status?: number; error: string }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Amazon/EventBridge/ApiDestinations',
    };
    if (destination.apiKeyName && destination.apiKeyValue !== undefined) {
      headers[destination.apiKeyName] = destination.apiKeyValue;
    }
    try {
      const response = await fetch(this.destinationUrl(destination), {
        method: destination.httpMethod,
        headers,
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return {
        ok: response.status >= 200 && response.status < 300,
        status: response.status,
        error: `HTTP ${response.status}`,
      };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? `${error.message}${causeOf(error)}` : String(error) };
    }
  }

  private deadLetter(
    rule: RuleModel,
    target: TargetModel,
    event: EventEnvelope,
    attempts: number,
    outcome: { status?: number; error: string },
  ): void {
    const destination = target.kind === 'api-destination' ? target.destination.name : target.busName;
    this.options.onDelivery?.({
      event,
      ruleName: rule.name,
      destination,
      attempts,
      outcome: 'dead-lettered',
      status: outcome.status,
    });
    if (!target.deadLetterQueue) return; // EventBridge drops it too.
    const queue = target.deadLetterQueue;
    if (!this.dlq.has(queue)) this.dlq.set(queue, []);
    this.dlq.get(queue)!.push({
      event,
      queue,
      ruleId: `${rule.stackName}/${rule.logicalId}`,
      ruleName: rule.name,
      targetId: target.id,
      destination,
      attempts,
      status: outcome.status,
      error: outcome.error,
      time: new Date().toISOString(),
    });
  }
}

function matchesQueue(name: string, queue: string | undefined): boolean {
  return queue === undefined || queue === 'all' || name === queue || name.startsWith(`${queue}/`);
}

function causeOf(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? ` (${cause.message})` : '';
}
