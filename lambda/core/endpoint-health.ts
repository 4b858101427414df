/**
 * Endpoint health: when a webhook has had nothing but failed deliveries for
 * `disableAfterHours`, it is disabled (its rule stops matching) and its
 * owner is told; one call re-enables it. No AWS imports: the DLQ consumer
 * records failures with {@link onDeliveryFailed}, the health sweep brings
 * success evidence (EventBridge's per-rule `SuccessfulInvocationAttempts`)
 * with {@link onDeliverySucceeded} and decides with {@link judgeHealth}, and
 * the APIs and the portal re-enable with {@link onReenabled}.
 *
 * A streak is the time from its first failure (`failingSince`) to its
 * latest (`lastFailureAt`) with no success in between. Measuring to the
 * latest failure, not to now, means an endpoint that stopped receiving
 * events is never disabled for its silence: only failures that keep coming
 * for the whole window count.
 */
import { HOUR_MS } from './clock';
import { runtimeWebhookResourceName, shardBusName, webhookResourceName } from './delivery-names';
import { shardOf } from './sharding';
import { isRuntimeOwned, type WebhookRecord } from './webhooks';

/** The `failures.disableAfterHours` default: Svix's five days. */
export const DEFAULT_DISABLE_AFTER_HOURS = 120;

export type HealthState = 'healthy' | 'failing' | 'disabled';

/** Stored on a webhook record as `health`; absent means healthy and never failed. */
export interface EndpointHealth {
  readonly state: HealthState;
  /** The first failure since the last success: the streak counts from here. */
  readonly failingSince?: string;
  readonly lastFailureAt?: string;
  /** Failed deliveries in the current streak. */
  readonly failuresInStreak?: number;
  /** The latest time a success was seen (the sweep's evidence). */
  readonly lastSuccessAt?: string;
  readonly disabledAt?: string;
  /** Whole hours of failures that disabled it, for the banner and the event. */
  readonly disabledAfterHours?: number;
  /** When the `partner-platform.webhook.disabled` event went out (once per disable). */
  readonly announcedAt?: string;
  readonly reenabledAt?: string;
  /** Who re-enabled it (`partner:<keyId>`, `admin:<email>`, `portal:<email>`). */
  readonly reenabledBy?: string;
}

export type HealthVerdict =
  /** No streak to judge (healthy or already disabled). */
  | { readonly verdict: 'not-failing' }
  /** A streak, too short so far; judge again after `dueAt`. */
  | { readonly verdict: 'wait'; readonly dueAt: string }
  /** The streak is `hours` long: disable now. */
  | { readonly verdict: 'disable'; readonly hours: number };

/** Whether health has switched the webhook's delivery off. */
export function isDisabledByHealth(record: { readonly health?: EndpointHealth }): boolean {
  return record.health?.state === 'disabled';
}

/**
 * A failed delivery seen at `at`: starts a streak or extends it. A disabled
 * webhook stays disabled (a replay it was sent before it was disabled may
 * still fail), its streak unchanged.
 */
export function onDeliveryFailed(health: EndpointHealth | undefined, at: Date): EndpointHealth {
  const when = at.toISOString();
  if (health?.state === 'disabled') return health;
  if (health?.state === 'failing' && health.failingSince !== undefined) {
    return {
      ...health,
      lastFailureAt: latest(health.lastFailureAt, when),
      failuresInStreak: (health.failuresInStreak ?? 0) + 1,
    };
  }
  return {
    ...withoutStreak(health),
    state: 'failing',
    failingSince: when,
    lastFailureAt: when,
    failuresInStreak: 1,
  };
}

/**
 * Deliveries succeeded at or before `at` (the end of the evidence window
 * that showed them): the streak is over. The window's successes may have
 * come before some of its failures (metrics are per period), and ending the
 * streak then only delays a disable: the next failure starts a new one.
 */
export function onDeliverySucceeded(health: EndpointHealth | undefined, at: Date): EndpointHealth {
  if (health?.state === 'disabled') return health;
  return { ...withoutStreak(health), state: 'healthy', lastSuccessAt: latest(health?.lastSuccessAt, at.toISOString()) };
}

/**
 * The streak function: disable once the failures span `disableAfterHours`
 * with no success seen since the streak began (the caller has just asked
 * for that evidence and applied it with {@link onDeliverySucceeded}).
 */
export function judgeHealth(health: EndpointHealth | undefined, disableAfterHours: number): HealthVerdict {
  if (health?.state !== 'failing' || health.failingSince === undefined) return { verdict: 'not-failing' };
  const start = Date.parse(health.failingSince);
  const spanMs = Date.parse(health.lastFailureAt ?? health.failingSince) - start;
  const windowMs = disableAfterHours * HOUR_MS;
  if (spanMs >= windowMs) return { verdict: 'disable', hours: Math.floor(spanMs / HOUR_MS) };
  return { verdict: 'wait', dueAt: new Date(start + windowMs).toISOString() };
}

/** The webhook switched off by health at `now`, after a streak of `hours`. */
export function onDisabled(health: EndpointHealth, hours: number, now: Date): EndpointHealth {
  return { ...health, state: 'disabled', disabledAt: now.toISOString(), disabledAfterHours: hours };
}

/**
 * Re-enabled by its owner or an admin: delivery resumes with a clean slate
 * (no streak), so a still-broken endpoint gets the whole window again.
 * Re-enabling a webhook that is not disabled changes nothing.
 */
export function onReenabled(health: EndpointHealth | undefined, now: Date, by: string): EndpointHealth | undefined {
  if (health?.state !== 'disabled') return health;
  const {
    disabledAt: _disabledAt,
    disabledAfterHours: _hours,
    announcedAt: _announcedAt,
    ...rest
  } = withoutStreak(health);
  return { ...rest, state: 'healthy', reenabledAt: now.toISOString(), reenabledBy: by };
}

function withoutStreak(health: EndpointHealth | undefined): Omit<EndpointHealth, 'state'> {
  if (health === undefined) return {};
  const {
    state: _state,
    failingSince: _failingSince,
    lastFailureAt: _lastFailureAt,
    failuresInStreak: _failures,
    ...rest
  } = health;
  return rest;
}

function latest(a: string | undefined, b: string): string {
  return a !== undefined && a > b ? a : b;
}

/** The platform event that tells a webhook's owner it was disabled (config/event-types.yaml). */
export const WEBHOOK_DISABLED_EVENT = { source: 'partner-platform', detailType: 'partner-platform.webhook.disabled' };

/** The partner API path that re-enables a webhook. */
export const reenablePath = (webhookId: string) => `/v1/partner/webhooks/${webhookId}/enable`;

/** The detail of the disabled event: ids, times and owner; never the secret. */
export function webhookDisabledDetail(
  record: WebhookRecord & { readonly verifiedUrl?: string },
): Record<string, unknown> {
  const health = record.health ?? { state: 'disabled' };
  const failingSince = health.failingSince ?? health.disabledAt ?? record.updatedAt;
  return {
    partnerId: record.orgId,
    webhookId: record.webhookId,
    url: record.verifiedUrl ?? record.url,
    disabledAt: health.disabledAt ?? record.updatedAt,
    failingSince,
    lastFailureAt: health.lastFailureAt ?? failingSince,
    failedHours: health.disabledAfterHours ?? 0,
    failedDeliveries: health.failuresInStreak ?? 0,
    owner: isRuntimeOwned(record) ? 'runtime' : 'config',
    reenablePath: reenablePath(record.webhookId),
  };
}

/** The rule that delivers a webhook (the template's or the provisioner's) and its shard bus. */
export function deliveryRuleOf(
  record: Pick<WebhookRecord, 'orgId' | 'webhookId' | 'source'>,
  env: string,
  shardCount: number,
): { readonly ruleName: string; readonly busName: string } {
  const shard = shardOf(record.orgId, shardCount);
  const name = isRuntimeOwned(record) ? runtimeWebhookResourceName : webhookResourceName;
  return { ruleName: name(env, shard, record.orgId, record.webhookId), busName: shardBusName(env, shard) };
}
