/**
 * A local, EventBridge-compatible delivery engine over the local EventBridge
 * store: the synthesized templates' buses, rules, targets, API destinations
 * and connections (API key resolved from a local secret store), plus what
 * the control plane created at run time (see
 * {@link EventBridgeControlPlane}). Event patterns are evaluated by the same
 * matcher the scale tests use; targets carry their retry policy and
 * dead-letter queue.
 *
 * What it delivers is what the rules say, so a rule that is wrong in the
 * templates is wrong here too. The only local-only knob is `urlOverrides`,
 * which points configured partner URLs at local receivers; it changes where a
 * request goes, never which requests are made. Like EventBridge, it never
 * follows a redirect: a 3xx answer is a failed, not retried, delivery, so the
 * connection's secret header never goes to a host the destination did not name.
 */
import { randomUUID } from 'node:crypto';
import type { EventProblem, EventValidator } from '../lambda/core/event-validation';
import { type MatchableEvent, matchesEventPattern } from '../lib/event-pattern/match';
import { type CloudAssemblyView, readCloudAssembly } from './cloud-assembly';
import { EventBridgeControlPlane } from './eventbridge-control-plane';
import {
  type ApiDestinationModel,
  compileRoutingModel,
  platformBusOf,
  type RoutingModel,
  type RuleModel,
  type TargetModel,
} from './eventbridge-routing';
import { type EventBridgeLimits, EventBridgeStore } from './eventbridge-store';
import { type LocalSecretStore, seedFromTemplates } from './eventbridge-template-resources';
import { nameFromArn } from './eventbridge-validation';
import { DeadLetterFile } from './dead-letter-file';

export type { ApiDestinationModel, RetryPolicy, RoutingModel, RuleModel, TargetModel } from './eventbridge-routing';
export type { LocalSecretStore } from './eventbridge-template-resources';

/** One entry of a `PutEvents` request. */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: readonly string[];
  /** The SDK sends a Date as epoch seconds (AWS JSON protocol). */
  readonly Time?: string | Date | number;
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

export interface DeadLetter {
  /** The queue message's id: what the consumer acknowledges (absent in letters kept before it existed). */
  readonly messageId?: string;
  readonly event: EventEnvelope;
  readonly queue: string;
  /** `stack/logicalId` of a template's rule, `bus/name` of a run-time one. */
  readonly ruleId: string;
  readonly ruleName: string;
  /** The bus the rule is on (with `ruleName`, the rule's ARN). */
  readonly busName?: string;
  readonly targetId: string;
  /** The target's ARN, as EventBridge's TARGET_ARN attribute gives it. */
  readonly targetArn?: string;
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
  /** EventBridge quotas the control plane enforces. @default AWS's defaults */
  readonly limits?: Partial<EventBridgeLimits>;
  /** Keep run-time resources (rules, destinations, connections) in this file. @default in memory */
  readonly resourcesFile?: string;
  /** Keep the dead-letter queues in this file across restarts. @default in memory */
  readonly deadLettersFile?: string;
  /** Called after a dead letter is queued (the local DLQ consumer's trigger). */
  readonly onDeadLetter?: (letter: DeadLetter) => void;
  /**
   * Strict mode: entries that break the event catalog are refused (entry
   * error `EventSchemaViolation`, which AWS never returns) and reported.
   * @default every well-formed event is accepted, as EventBridge does
   */
  readonly eventValidator?: EventValidator;
  readonly onRejected?: (rejection: EventRejection) => void;
}

/** An entry strict mode refused, and why. */
export interface EventRejection {
  readonly source: string;
  readonly detailType: string;
  readonly problems: readonly EventProblem[];
}

/** The entry error strict mode answers with. */
export const EVENT_SCHEMA_VIOLATION = 'EventSchemaViolation';

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

/** What EventBridge retries besides 5xx and connection errors (API destination docs). */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([401, 407, 409, 429]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The delivery engine: `putEvents` in, HTTP requests to the API destinations out. */
export class LocalEventBus {
  /** Buses, connections, destinations and rules: the templates' and the run-time ones. */
  readonly store: EventBridgeStore;
  /** The operations the provisioner calls through the EventBridge client. */
  readonly controlPlane: EventBridgeControlPlane;
  private readonly platformBus: string;
  private compiled?: { readonly version: number; readonly model: RoutingModel };
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly dlq: Map<string, DeadLetter[]>;
  private readonly dlqFile: DeadLetterFile<DeadLetter>;
  private readonly account: string;
  private readonly region: string;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: LocalEventBusOptions) {
    const assembly = typeof options.assembly === 'string' ? readCloudAssembly(options.assembly) : options.assembly;
    this.account = options.account ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.store = new EventBridgeStore({
      account: this.account,
      region: this.region,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.resourcesFile === undefined ? {} : { file: options.resourcesFile }),
    });
    seedFromTemplates(this.store, assembly, options.secrets);
    const platformBus = platformBusOf(this.store);
    if (platformBus === undefined) throw new Error(`no event bus found in ${assembly.dir}; synthesize the app first`);
    this.platformBus = platformBus;
    this.store.load();
    this.controlPlane = new EventBridgeControlPlane(this.store);
    this.dlqFile = new DeadLetterFile(options.deadLettersFile);
    this.dlq = this.dlqFile.load();
    for (const queue of this.model.deadLetterQueues) if (!this.dlq.has(queue)) this.dlq.set(queue, []);
    this.baseDelayMs = options.retryBaseDelayMs ?? 1000;
    this.maxDelayMs = options.retryMaxDelayMs ?? 60_000;
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
  }

  /** What events are routed by now, compiled again after every control-plane change. */
  get model(): RoutingModel {
    if (this.compiled?.version !== this.store.version) {
      const model = compileRoutingModel(this.store, this.platformBus, this.options.urlOverrides);
      this.compiled = { version: this.store.version, model };
    }
    return this.compiled.model;
  }

  /** Accepts the entries and delivers them in the background (see {@link whenIdle}). */
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResult {
    const results = entries.map((entry): PutEventsResultEntry => {
      const busName = entry.EventBusName ? nameFromArn(entry.EventBusName, 'event-bus') : this.platformBus;
      if (!this.store.buses.has(busName)) {
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
      const problems = this.options.eventValidator?.problems({
        source: entry.Source,
        detailType: entry.DetailType,
        detail,
      });
      if (problems && problems.length > 0) {
        this.options.onRejected?.({ source: entry.Source, detailType: entry.DetailType, problems });
        const reasons = problems.map((problem) => `${problem.field} ${problem.message}`).join('; ');
        return { ErrorCode: EVENT_SCHEMA_VIOLATION, ErrorMessage: reasons };
      }
      const time = entry.Time === undefined ? new Date() : timeOf(entry.Time);
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

  /** The URL requests to a destination go to now. */
  destinationUrl(destination: ApiDestinationModel): string {
    return this.options.urlOverrides?.[destination.endpoint] ?? destination.endpoint;
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
        const rule = this.model.rules.find((r) => r.id === letter.ruleId);
        const target = rule?.targets.find((t) => t.id === letter.targetId);
        if (!rule || !target) {
          this.dlq.get(name)?.push(letter);
          continue;
        }
        replayed += 1;
        this.track(this.deliver(rule, target, letter.event, 0));
      }
    }
    this.dlqFile.save(this.dlq);
    return replayed;
  }

  /**
   * Up to `max` messages of every queue, oldest first, left in place (as an
   * SQS receive leaves them until deleted): what the local DLQ consumer reads.
   */
  receiveDeadLetters(max: number): DeadLetter[] {
    return [...this.dlq.values()].flat().slice(0, max);
  }

  /** Deletes the messages the consumer acknowledged; persisted at once. */
  deleteDeadLetters(messageIds: ReadonlySet<string>): void {
    for (const [queue, letters] of this.dlq.entries()) {
      this.dlq.set(
        queue,
        letters.filter((letter) => letter.messageId === undefined || !messageIds.has(letter.messageId)),
      );
    }
    this.dlqFile.save(this.dlq);
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
    if (target.kind === 'unresolved') {
      return this.deadLetter(rule, target, event, 0, {
        error: `target ${target.arn} is not a bus or API destination here`,
      });
    }
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
      const retryable = outcome.status === undefined || RETRYABLE_STATUSES.has(outcome.status) || outcome.status >= 500;
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
    const key = destination.arn;
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
    Object.assign(headers, destination.headers);
    if (destination.apiKeyName && destination.apiKeyValue !== undefined) {
      headers[destination.apiKeyName] = destination.apiKeyValue;
    }
    try {
      const response = await fetch(this.destinationUrl(destination), {
        method: destination.httpMethod,
        headers,
        body: JSON.stringify(event),
        // Never follow: the secret header would go to wherever the Location points.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      const redirect = response.status >= 300 && response.status < 400;
      return {
        ok: response.status >= 200 && response.status < 300,
        status: response.status,
        error: redirect ? `HTTP ${response.status} (redirects are not followed)` : `HTTP ${response.status}`,
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
    const destination =
      target.kind === 'api-destination' ? target.destination.name : target.kind === 'bus' ? target.busName : target.arn;
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
    const letter: DeadLetter = {
      messageId: randomUUID(),
      event,
      queue,
      ruleId: rule.id,
      ruleName: rule.name,
      busName: rule.busName,
      targetId: target.id,
      targetArn:
        target.kind === 'api-destination'
          ? target.destination.arn
          : target.kind === 'bus'
            ? target.busName
            : target.arn,
      destination,
      attempts,
      status: outcome.status,
      error: outcome.error,
      time: new Date().toISOString(),
    };
    this.dlq.get(queue)!.push(letter);
    this.dlqFile.save(this.dlq);
    this.options.onDeadLetter?.(letter);
  }
}

function matchesQueue(name: string, queue: string | undefined): boolean {
  return queue === undefined || queue === 'all' || name === queue || name.startsWith(`${queue}/`);
}

/** PutEvents' `Time`: epoch seconds on the wire, a Date or an ISO string in process. */
function timeOf(value: string | Date | number): Date {
  return typeof value === 'number' ? new Date(value * 1000) : new Date(value);
}

function causeOf(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? ` (${cause.message})` : '';
}
