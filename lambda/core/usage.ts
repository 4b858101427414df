/**
 * Per-key usage: the pure rules behind the usage table, the usage APIs and
 * the portal's usage page. Requests come from the API stage's access log
 * (./access-log.ts), one `KeyRequest` a line, so calls answered from the
 * authorizer's cache count too.
 *
 * A bucket is one key's requests in one UTC hour: how many, how many per
 * HTTP status code, and the newest request's time. Hours are what is
 * stored (one item per key and hour, kept {@link USAGE_RETENTION_DAYS});
 * days are rolled up from hours when read. Status classes (2xx, 4xx, ...)
 * and the error rate are derived from the per-code counts, so a bucket has
 * one source of truth.
 *
 * No AWS imports: the repository (lambda/repositories/usage-repository.ts)
 * stores what {@link aggregateKeyRequests} returns with atomic ADDs.
 */
import type { KeyRequest } from './access-log';
import { DAY_MS, HOUR_MS } from './clock';
import { ValidationError } from './errors';

/** How long hourly buckets are kept (DynamoDB TTL), and the widest range a query may ask for. */
export const USAGE_RETENTION_DAYS = 90;

export const USAGE_GRANULARITIES = ['hour', 'day'] as const;
export type UsageGranularity = (typeof USAGE_GRANULARITIES)[number];

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** One bucket of one key's requests: an hour as stored, or a day rolled up from hours. */
export interface UsageBucket {
  /** The bucket's first instant, ISO 8601 UTC (`2026-12-07T15:00:00.000Z`). */
  readonly start: string;
  readonly requests: number;
  /** HTTP status code (as a string, e.g. `"200"`) -> requests answered with it. */
  readonly byStatus: Readonly<Record<string, number>>;
  /**
   * The newest request's time in the bucket, ISO 8601 UTC, where known: a
   * batch's buckets carry it (it moves the key's `lastUsedAt` forward);
   * stored buckets do not, because DynamoDB cannot keep a maximum atomically
   * alongside the counters.
   */
  readonly lastUsedAt?: string;
}

/** One key's bucket, as a batch of access-log lines produces it. */
export interface KeyHourUsage extends UsageBucket {
  readonly orgId: string;
  readonly keyId: string;
  readonly lastUsedAt: string;
}

/** The UTC hour (or day) `at` falls in, ISO 8601. */
export function bucketStart(at: Date, granularity: UsageGranularity): string {
  const size = granularity === 'hour' ? HOUR_MS : DAY_MS;
  return new Date(Math.floor(at.getTime() / size) * size).toISOString();
}

function addStatus(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [status, count] of Object.entries(from)) into[status] = (into[status] ?? 0) + count;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  return b === undefined || a >= b ? a : b;
}

/**
 * A batch of key requests as per-key hourly buckets, ordered by org, key and
 * hour (so the same batch always yields the same buckets in the same order:
 * the repository's idempotency relies on it).
 */
export function aggregateKeyRequests(requests: readonly KeyRequest[]): KeyHourUsage[] {
  const buckets = new Map<
    string,
    {
      orgId: string;
      keyId: string;
      start: string;
      requests: number;
      byStatus: Record<string, number>;
      lastUsedAt: string;
    }
  >();
  for (const request of requests) {
    const start = bucketStart(request.at, 'hour');
    const id = JSON.stringify([request.orgId, request.keyId, start]);
    const at = request.at.toISOString();
    let bucket = buckets.get(id);
    if (bucket === undefined) {
      bucket = { orgId: request.orgId, keyId: request.keyId, start, requests: 0, byStatus: {}, lastUsedAt: at };
      buckets.set(id, bucket);
    }
    bucket.requests += 1;
    addStatus(bucket.byStatus, { [String(request.status)]: 1 });
    if (at > bucket.lastUsedAt) bucket.lastUsedAt = at;
  }
  return [...buckets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, bucket]) => bucket);
}

/** Sums buckets that share a start (one key's hours, or hours rolled into a day). */
function mergeByStart(buckets: readonly UsageBucket[], startOf: (bucket: UsageBucket) => string): UsageBucket[] {
  const merged = new Map<
    string,
    { start: string; requests: number; byStatus: Record<string, number>; lastUsedAt?: string }
  >();
  for (const bucket of buckets) {
    const start = startOf(bucket);
    let into = merged.get(start);
    if (into === undefined) {
      into = { start, requests: 0, byStatus: {} };
      merged.set(start, into);
    }
    into.requests += bucket.requests;
    addStatus(into.byStatus, bucket.byStatus);
    const lastUsedAt = later(into.lastUsedAt, bucket.lastUsedAt);
    if (lastUsedAt !== undefined) into.lastUsedAt = lastUsedAt;
  }
  return [...merged.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** One key's hourly buckets rolled up to UTC days, oldest first. */
export function rollUpToDays(hours: readonly UsageBucket[]): UsageBucket[] {
  return mergeByStart(hours, (bucket) => bucketStart(new Date(bucket.start), 'day'));
}

/** One key's hourly buckets at the asked granularity, oldest first. */
export function atGranularity(hours: readonly UsageBucket[], granularity: UsageGranularity): UsageBucket[] {
  return granularity === 'day' ? rollUpToDays(hours) : mergeByStart(hours, (bucket) => bucket.start);
}

/** The class (`2xx`, `4xx`, ...) of each status code, summed. */
export function statusClassesOf(byStatus: Readonly<Record<string, number>>): Record<StatusClass, number> {
  const classes = Object.fromEntries(STATUS_CLASSES.map((name) => [name, 0])) as Record<StatusClass, number>;
  for (const [status, count] of Object.entries(byStatus)) {
    const name = `${status.charAt(0)}xx` as StatusClass;
    if (name in classes) classes[name] += count;
  }
  return classes;
}

export interface UsageSummary {
  readonly requests: number;
  readonly statusClasses: Record<StatusClass, number>;
  readonly byStatus: Readonly<Record<string, number>>;
  /** (4xx + 5xx) / requests; 0 when there were none. */
  readonly errorRate: number;
  /** The newest request in the range where the buckets know it, or null. */
  readonly lastUsedAt: string | null;
}

/** Totals over a key's buckets. */
export function summarizeUsage(buckets: readonly UsageBucket[]): UsageSummary {
  const [total] = mergeByStart(buckets, () => '');
  if (total === undefined) {
    return { requests: 0, statusClasses: statusClassesOf({}), byStatus: {}, errorRate: 0, lastUsedAt: null };
  }
  const statusClasses = statusClassesOf(total.byStatus);
  return {
    requests: total.requests,
    statusClasses,
    byStatus: total.byStatus,
    errorRate: total.requests === 0 ? 0 : (statusClasses['4xx'] + statusClasses['5xx']) / total.requests,
    lastUsedAt: total.lastUsedAt ?? null,
  };
}

/** A validated time range: `[from, to)`, bucket-aligned. */
export interface UsageWindow {
  readonly from: Date;
  readonly to: Date;
  readonly granularity: UsageGranularity;
}

export interface UsageWindowInput {
  readonly from?: string;
  readonly to?: string;
  readonly granularity?: string;
}

/** What a query without `from` covers: the last day by the hour, the last 30 days by the day. */
export const DEFAULT_USAGE_SPAN_MS: Readonly<Record<UsageGranularity, number>> = {
  hour: DAY_MS,
  day: 30 * DAY_MS,
};

function parseInstant(value: string, field: string): Date {
  // ISO 8601 with a date; a bare number or free text is refused rather than guessed at.
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) {
    throw new ValidationError(`${field} must be an ISO 8601 date or time, e.g. 2026-12-07T15:00:00Z`, { field });
  }
  return at;
}

function isGranularity(value: string): value is UsageGranularity {
  return (USAGE_GRANULARITIES as readonly string[]).includes(value);
}

/**
 * The range a usage query covers: `to` defaults to now, `from` to
 * {@link DEFAULT_USAGE_SPAN_MS} before `to`; both are widened to whole
 * buckets (`from` down, `to` up). Refused: an unknown granularity, a date
 * that does not parse, `from` after `to`, and a range over
 * {@link USAGE_RETENTION_DAYS} days (nothing older is kept).
 * @throws ValidationError naming the field.
 */
export function resolveUsageWindow(input: UsageWindowInput, now: Date): UsageWindow {
  const granularity = input.granularity ?? 'hour';
  if (!isGranularity(granularity)) {
    throw new ValidationError(`granularity must be one of ${USAGE_GRANULARITIES.join(', ')}`, {
      field: 'granularity',
    });
  }
  const to = input.to === undefined ? now : parseInstant(input.to, 'to');
  const from =
    input.from === undefined
      ? new Date(to.getTime() - DEFAULT_USAGE_SPAN_MS[granularity])
      : parseInstant(input.from, 'from');
  if (from.getTime() > to.getTime()) throw new ValidationError('from must not be after to', { field: 'from' });
  if (to.getTime() - from.getTime() > USAGE_RETENTION_DAYS * DAY_MS) {
    throw new ValidationError(`the range may cover at most ${USAGE_RETENTION_DAYS} days`, { field: 'from' });
  }
  const size = granularity === 'hour' ? HOUR_MS : DAY_MS;
  const alignedTo = Math.ceil(to.getTime() / size) * size;
  return {
    from: new Date(bucketStart(from, granularity)),
    // An instant exactly on a boundary still includes its own bucket.
    to: new Date(alignedTo === to.getTime() ? alignedTo + size : alignedTo),
    granularity,
  };
}

/**
 * Every bucket of the window, oldest first, with zeros where nothing was
 * used: what the chart and the table draw, so gaps show as gaps.
 */
export function fillSeries(buckets: readonly UsageBucket[], window: UsageWindow): UsageBucket[] {
  const size = window.granularity === 'hour' ? HOUR_MS : DAY_MS;
  const byStart = new Map(buckets.map((bucket) => [bucket.start, bucket]));
  const series: UsageBucket[] = [];
  for (let at = window.from.getTime(); at < window.to.getTime(); at += size) {
    const start = new Date(at).toISOString();
    series.push(byStart.get(start) ?? { start, requests: 0, byStatus: {} });
  }
  return series;
}

/** The epoch second after which a bucket starting at `start` may be deleted. */
export function usageExpiry(start: string): number {
  return Math.floor((Date.parse(start) + USAGE_RETENTION_DAYS * DAY_MS + DAY_MS) / 1000);
}
