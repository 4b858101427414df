/**
 * Failed deliveries: what a dead letter in a shard's queue says about one
 * webhook, and how a replay marks the events it re-publishes. No AWS
 * imports: the DLQ consumer (lambda/dlq-consumer), the APIs, the portal and
 * the local runtime all read these rules.
 *
 * A dead letter names the rule that gave up (RULE_ARN); the rule's name is
 * derived from (env, shard, orgId, webhookId) by lambda/core/delivery-names,
 * and the event's own `detail.partnerId` names the org, so the webhook is
 * found by comparing the org's webhooks' names with the rule's: one Query,
 * no Scan, and never another org's webhook.
 */
import { DAY_MS } from './clock';
import { runtimeWebhookResourceName, shardsNamePrefix, webhookResourceName } from './delivery-names';

/** The fields a replay adds to `detail`: which webhook it is for, and the event it re-sends. */
export const REPLAY_FOR_FIELD = 'replayFor';
export const REPLAY_OF_FIELD = 'replayOf';

/** How long a failure stays listed and replayable. @default 14 days */
export const DEFAULT_FAILURE_RETENTION_DAYS = 14;

/** Longest error message kept: EventBridge's are short; a longer one is cut, never logged whole. */
const MAX_ERROR_LENGTH = 500;

/** The event as EventBridge put it into the dead-letter queue (the message body). */
export interface DeadLetteredEvent {
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly time: string;
  readonly detail: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/** A dead-letter queue message: its body and the attributes EventBridge sets. */
export interface DeadLetterMessage {
  readonly body: string;
  /** RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS, ... */
  readonly attributes: Readonly<Record<string, string | undefined>>;
  /** When the queue received it (ISO). */
  readonly receivedAt: string;
}

export type FailureStatus = 'failed' | 'replayed';

/** One failed delivery of one event to one webhook. */
export interface FailedDelivery {
  readonly orgId: string;
  readonly webhookId: string;
  /** The original event's id (a replay that fails again keeps it). */
  readonly eventId: string;
  readonly detailType: string;
  readonly source: string;
  /** The original event's time: lists and "replay since" go by it. */
  readonly eventTime: string;
  readonly failedAt: string;
  readonly ruleName: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** The endpoint's HTTP status, where EventBridge names one. */
  readonly httpStatus?: number;
  readonly attempts?: number;
  /** How many times this event has ended in the dead-letter queue. */
  readonly failures: number;
  readonly status: FailureStatus;
  /** The last replay that re-published it. */
  readonly replayId?: string;
  readonly replayedAt?: string;
  /** The original envelope, replay marker removed: what replay re-publishes. */
  readonly event: DeadLetteredEvent;
  /** Epoch seconds: DynamoDB's TTL removes the failure then. */
  readonly expiresAt: number;
}

/** What a dead letter says before its webhook is known. */
export interface ParsedDeadLetter {
  readonly orgId: string;
  readonly ruleName: string;
  readonly shard: number;
  /** The webhook a replay was addressed to, when this dead letter is a failed replay. */
  readonly replayFor?: string;
  readonly event: DeadLetteredEvent;
  readonly eventId: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly httpStatus?: number;
  readonly attempts?: number;
  readonly receivedAt: string;
}

/** Why a dead letter cannot be recorded as a failure of a webhook. */
export class UnattributableDeadLetterError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UnattributableDeadLetterError';
  }
}

/**
 * Reads a dead letter: the event, the rule that gave up and the shard it is
 * in (from the rule's name), the error and the HTTP status where known.
 * @throws UnattributableDeadLetterError when the body is no event or the rule is no webhook rule of `env`.
 */
export function parseDeadLetter(message: DeadLetterMessage, env: string): ParsedDeadLetter {
  const event = parseEvent(message.body);
  const orgId = event.detail.partnerId;
  if (typeof orgId !== 'string' || orgId === '') throw new UnattributableDeadLetterError('event has no partnerId');
  const ruleName = (message.attributes.RULE_ARN ?? '').split('/').pop() ?? '';
  const shard = shardOfRuleName(ruleName, env);
  if (shard === undefined) throw new UnattributableDeadLetterError('dead letter names no shard rule of this env');
  const replayOf = event.detail[REPLAY_OF_FIELD];
  const replayFor = event.detail[REPLAY_FOR_FIELD];
  const errorMessage = (message.attributes.ERROR_MESSAGE ?? '').slice(0, MAX_ERROR_LENGTH);
  const errorCode = (message.attributes.ERROR_CODE ?? 'UNKNOWN').slice(0, 100);
  const attempts = Number(message.attributes.RETRY_ATTEMPTS);
  const httpStatus = httpStatusOf(errorCode, errorMessage);
  return {
    orgId,
    ruleName,
    shard,
    ...(typeof replayFor === 'string' ? { replayFor } : {}),
    event: withoutReplayMarker(event),
    eventId: typeof replayOf === 'string' ? replayOf : event.id,
    errorCode,
    errorMessage,
    ...(httpStatus === undefined ? {} : { httpStatus }),
    ...(Number.isInteger(attempts) && attempts >= 0 ? { attempts } : {}),
    receivedAt: message.receivedAt,
  };
}

function parseEvent(body: string): DeadLetteredEvent {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new UnattributableDeadLetterError('message body is not JSON');
  }
  const event = value as Partial<DeadLetteredEvent> | null;
  const ok =
    typeof event?.id === 'string' &&
    typeof event['detail-type'] === 'string' &&
    typeof event.source === 'string' &&
    typeof event.time === 'string' &&
    typeof event.detail === 'object' &&
    event.detail !== null &&
    !Array.isArray(event.detail);
  if (!ok) throw new UnattributableDeadLetterError('message body is not an EventBridge event');
  return event as DeadLetteredEvent;
}

/** The shard a rule name belongs to (`pp-<env>-sNNN-...`), or undefined for any other name. */
export function shardOfRuleName(ruleName: string, env: string): number | undefined {
  const prefix = shardsNamePrefix(env);
  if (!ruleName.startsWith(prefix)) return undefined;
  const match = /^(\d{3})-/.exec(ruleName.slice(prefix.length));
  return match ? Number(match[1]) : undefined;
}

/**
 * The HTTP status in an error code or message ("HTTP 500", "returned 503",
 * "5XX" is too vague to count), if any.
 */
export function httpStatusOf(errorCode: string, errorMessage: string): number | undefined {
  for (const text of [errorCode, errorMessage]) {
    const match = /(?:^|[^\d.])([1-5]\d\d)(?![\d.])/.exec(text);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** The envelope as the producer put it: the replay marker is ours, not the event's. */
export function withoutReplayMarker(event: DeadLetteredEvent): DeadLetteredEvent {
  const replayOf = event.detail[REPLAY_OF_FIELD];
  const detail = Object.fromEntries(
    Object.entries(event.detail).filter(([field]) => field !== REPLAY_FOR_FIELD && field !== REPLAY_OF_FIELD),
  );
  return { ...event, id: typeof replayOf === 'string' ? replayOf : event.id, detail };
}

/**
 * The one webhook of `candidates` (the org's webhook ids) whose rule gave up:
 * the names a template and the provisioner give a webhook's rule in that
 * shard. Undefined when none matches (a routing rule, or a deleted webhook).
 */
export function webhookOfRule(
  parsed: Pick<ParsedDeadLetter, 'orgId' | 'ruleName' | 'shard'>,
  candidates: readonly string[],
  env: string,
): string | undefined {
  return candidates.find(
    (webhookId) =>
      webhookResourceName(env, parsed.shard, parsed.orgId, webhookId) === parsed.ruleName ||
      runtimeWebhookResourceName(env, parsed.shard, parsed.orgId, webhookId) === parsed.ruleName,
  );
}

/** The failure a dead letter records for its webhook (the store counts `failures` up when the event failed before). */
export function failureOf(parsed: ParsedDeadLetter, webhookId: string, retentionDays: number): FailedDelivery {
  return {
    orgId: parsed.orgId,
    webhookId,
    eventId: parsed.eventId,
    detailType: parsed.event['detail-type'],
    source: parsed.event.source,
    eventTime: parsed.event.time,
    failedAt: parsed.receivedAt,
    ruleName: parsed.ruleName,
    errorCode: parsed.errorCode,
    errorMessage: parsed.errorMessage,
    ...(parsed.httpStatus === undefined ? {} : { httpStatus: parsed.httpStatus }),
    ...(parsed.attempts === undefined ? {} : { attempts: parsed.attempts }),
    failures: 1,
    status: 'failed',
    event: parsed.event,
    expiresAt: Math.floor((Date.parse(parsed.receivedAt) + retentionDays * DAY_MS) / 1000),
  };
}

/**
 * A webhook rule's pattern: the subscription pattern plus, in `detail`, the
 * replay filter: an ordinary event (no marker) or a replay addressed to this
 * webhook. A replay re-published onto the shard bus so matches this
 * webhook's rule and no other, not even the same org's other webhooks that
 * subscribe to the same type. The synth (config webhooks) and the
 * provisioner (run-time ones) both build rules with it.
 */
export function webhookRulePattern<P extends { readonly detail?: unknown }>(pattern: P, webhookId: string): P {
  const detail = (pattern.detail ?? {}) as Record<string, unknown>;
  return { ...pattern, detail: { ...detail, [REPLAY_FOR_FIELD]: [{ exists: false }, webhookId] } };
}
