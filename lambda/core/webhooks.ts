/**
 * The webhook lifecycle. A URL is never trusted until the partner's endpoint
 * has answered a verification challenge: every new URL starts `pending`, is
 * retried on a fixed backoff for 24 hours, and ends `active` or `failed`.
 * Until a new URL verifies, deliveries keep going to `verifiedUrl`.
 */
import { Clock, HOUR_MS, MINUTE_MS } from './clock';
import { DUE_BUCKET } from './data-model';
import type { EndpointHealth } from './endpoint-health';
import { EVENT_TYPES_PATH } from './contracts';
import { type EventCatalog, eventListProblems } from './event-catalog';
import { PLATFORM_EVENT_CATALOG } from './platform-event-catalog';
import { ConflictError, ManagedByConfigError, ValidationError } from './errors';
import { RandomSource, cryptoRandom, randomAlphanumeric } from './random';
import { UrlPolicyOptions, checkWebhookUrl } from './url-policy';

export type WebhookStatus = 'pending' | 'active' | 'failed';
/**
 * Who made the webhook, and so who owns its EventBridge resources: `config`
 * webhooks come from partners/<orgId>.yaml (CloudFormation owns them); `api`
 * (admin API) and `portal` ones were made at run time and the provisioner
 * owns them.
 */
export type WebhookSource = 'config' | 'api' | 'portal';

/** Whether the provisioner, not a template, owns the webhook's EventBridge resources. */
export function isRuntimeOwned(record: Pick<WebhookRecord, 'source'>): boolean {
  return record.source !== 'config';
}

/** What a caller asks to change about a webhook. */
export interface WebhookChange {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly secret?: unknown;
}

/**
 * A config webhook's URL and events belong to its partner file; its secret
 * may still be rotated, since the template only references it.
 * @throws ManagedByConfigError naming the file, for a url or events change of a config webhook.
 */
export function assertChangeAllowed(
  record: Pick<WebhookRecord, 'orgId' | 'webhookId' | 'source'>,
  change: WebhookChange,
): void {
  if (isRuntimeOwned(record)) return;
  if (change.url !== undefined || change.events !== undefined) {
    throw new ManagedByConfigError(record.orgId, record.webhookId);
  }
}

export const WEBHOOK_ID_PREFIX = 'wh_';
const WEBHOOK_ID_RANDOM_LENGTH = 20;

/** The first retry waits this long; each further one doubles, up to the cap. */
export const FIRST_RETRY_DELAY_MS = MINUTE_MS;
export const MAX_RETRY_DELAY_MS = HOUR_MS;
/** How long a new URL may stay unverified before it is given up as `failed`. */
export const VERIFICATION_WINDOW_MS = 24 * HOUR_MS;
/** Enough for "HTTP 503" or a connection error code, short enough to show in a list. */
const MAX_LAST_ERROR_LENGTH = 200;

export interface WebhookRecord {
  readonly orgId: string;
  readonly webhookId: string;
  /** The URL being verified or, once `active`, delivered to. */
  readonly url: string;
  /** Event types delivered, or `['*']` for all. */
  readonly events: readonly string[];
  readonly status: WebhookStatus;
  readonly source: WebhookSource;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The URL the API destination delivers to; differs from `url` while a change is unverified. */
  readonly verifiedUrl?: string;
  /** When `verifiedUrl` passed verification. */
  readonly verifiedAt?: string;
  /** Why the last attempt failed, short and safe to show the partner. */
  readonly lastError?: string;
  /** Verification attempts made for the current `url`. */
  readonly attempts: number;
  /** When the current `url` was set; the 24 h retry window counts from here. */
  readonly pendingSince?: string;
  readonly nextAttemptAt?: string;
  /** Copy of `nextAttemptAt` for the sparse `byDue` index; absent unless pending. */
  readonly dueAt?: string;
  readonly dueBucket?: typeof DUE_BUCKET;
  /** Delivery health (lambda/core/endpoint-health.ts); `disabled` switches its rule off. Absent: never failed. */
  readonly health?: EndpointHealth;
}

export interface CreateWebhookInput {
  readonly orgId: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly source: WebhookSource;
  readonly clock: Clock;
  /** A stable id (config webhooks keep theirs across deploys). @default a new `wh_` id */
  readonly webhookId?: string;
  /** The environment's URL rules. @default HTTPS only, no loopback */
  readonly urlPolicy?: UrlPolicyOptions;
  /** @default node:crypto randomBytes */
  readonly random?: RandomSource;
}

export function generateWebhookId(random: RandomSource = cryptoRandom): string {
  return WEBHOOK_ID_PREFIX + randomAlphanumeric(WEBHOOK_ID_RANDOM_LENGTH, random);
}

/**
 * An event filter is `['*']` or distinct names from the platform catalog, by
 * the same rules a partner file obeys ({@link eventListProblems}): a rule
 * matches exact detail-types, so an unknown name (or a pattern such as
 * `Lock*`) would silently match nothing.
 * @throws ValidationError (field `events`) naming the offending entry and
 * pointing to the public event-types route.
 */
export function validateEvents(
  events: readonly string[],
  catalog: EventCatalog = PLATFORM_EVENT_CATALOG,
): readonly string[] {
  const problems = eventListProblems(
    events,
    catalog.types.map((type) => type.name),
    `GET ${EVENT_TYPES_PATH}`,
  );
  if (problems.length > 0) {
    throw new ValidationError(`events: ${problems.map((problem) => problem.message).join('; ')}`, { field: 'events' });
  }
  return events;
}

/**
 * A new webhook, pending and due for its first verification attempt now.
 * @throws ValidationError for an empty orgId, a URL the policy refuses or a bad event list.
 */
export function createWebhook(input: CreateWebhookInput): WebhookRecord {
  if (input.orgId.trim() === '') {
    throw new ValidationError('orgId must not be empty', { field: 'orgId' });
  }
  assertUrlAllowed(input.url, input.urlPolicy);
  const now = input.clock.now().toISOString();
  return startVerification(
    {
      orgId: input.orgId,
      webhookId: input.webhookId ?? generateWebhookId(input.random),
      url: input.url,
      events: validateEvents(input.events),
      status: 'pending',
      source: input.source,
      createdAt: now,
      updatedAt: now,
      attempts: 0,
    },
    input.url,
    now,
  );
}

/**
 * Restarts verification for a new URL. Setting the URL it already has is a
 * no-op (so retried requests change nothing), except after `failed`, where
 * it is how a partner asks for another try.
 * @throws ValidationError when the URL policy refuses the URL.
 */
export function onUrlChanged(
  record: WebhookRecord,
  url: string,
  clock: Clock,
  urlPolicy: UrlPolicyOptions = {},
): WebhookRecord {
  assertUrlAllowed(url, urlPolicy);
  if (url === record.url && record.status !== 'failed') return record;
  return startVerification(record, url, clock.now().toISOString());
}

/**
 * Changes which events are delivered. The URL is unchanged, so the
 * verification status stands.
 * @throws ValidationError for a bad event list.
 */
export function onEventsChanged(record: WebhookRecord, events: readonly string[], clock: Clock): WebhookRecord {
  return { ...record, events: validateEvents(events), updatedAt: clock.now().toISOString() };
}

/**
 * The partner answered the challenge: the URL becomes the one delivered to.
 * @throws ConflictError unless the webhook is pending (a late result for a settled webhook).
 */
export function onVerificationSucceeded(record: WebhookRecord, clock: Clock): WebhookRecord {
  assertPending(record);
  const now = clock.now().toISOString();
  const {
    lastError: _lastError,
    pendingSince: _pendingSince,
    nextAttemptAt: _nextAttemptAt,
    dueAt: _dueAt,
    dueBucket: _dueBucket,
    ...rest
  } = record;
  return {
    ...rest,
    status: 'active',
    verifiedUrl: record.url,
    verifiedAt: now,
    attempts: record.attempts + 1,
    updatedAt: now,
  };
}

/**
 * Records a failed attempt and schedules the next one by
 * `verificationRetryDelayMs`. The last attempt falls exactly at the end of
 * the 24 h window; when that one fails too the webhook is `failed`.
 * @throws ConflictError unless the webhook is pending.
 */
export function onVerificationFailed(record: WebhookRecord, error: string, clock: Clock): WebhookRecord {
  assertPending(record);
  const nowMs = clock.now().getTime();
  const attempts = record.attempts + 1;
  const { nextAttemptAt: _nextAttemptAt, dueAt: _dueAt, dueBucket: _dueBucket, ...rest } = record;
  const failed = {
    ...rest,
    attempts,
    lastError: error.slice(0, MAX_LAST_ERROR_LENGTH),
    updatedAt: new Date(nowMs).toISOString(),
  };
  const deadlineMs = Date.parse(record.pendingSince ?? record.createdAt) + VERIFICATION_WINDOW_MS;
  if (nowMs >= deadlineMs) return { ...failed, status: 'failed' };
  const next = new Date(Math.min(nowMs + verificationRetryDelayMs(attempts), deadlineMs)).toISOString();
  return { ...failed, nextAttemptAt: next, dueAt: next, dueBucket: DUE_BUCKET };
}

/**
 * The wait after the `failedAttempts`-th failure: 1, 2, 4 … minutes, capped
 * at one hour. Deterministic (no jitter) because each webhook has its own
 * endpoint, so there is no herd of retries to spread out.
 */
export function verificationRetryDelayMs(failedAttempts: number): number {
  const doublings = Math.max(0, failedAttempts - 1);
  // Past the cap the exponent no longer matters; bounding it keeps the number finite.
  return Math.min(FIRST_RETRY_DELAY_MS * 2 ** Math.min(doublings, 32), MAX_RETRY_DELAY_MS);
}

function startVerification(record: WebhookRecord, url: string, now: string): WebhookRecord {
  const { lastError: _lastError, ...rest } = record;
  return {
    ...rest,
    url,
    status: 'pending',
    attempts: 0,
    pendingSince: now,
    nextAttemptAt: now,
    dueAt: now,
    dueBucket: DUE_BUCKET,
    updatedAt: now,
  };
}

function assertPending(record: WebhookRecord): void {
  if (record.status !== 'pending') {
    throw new ConflictError(`webhook ${record.webhookId} is ${record.status}, not pending verification`);
  }
}

function assertUrlAllowed(url: string, policy: UrlPolicyOptions = {}): void {
  const violations = checkWebhookUrl(url, policy);
  if (violations.length > 0) {
    throw new ValidationError(violations.map((violation) => violation.message).join('; '), { field: 'url' });
  }
}
