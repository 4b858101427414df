/**
 * Per-partner throttling as a GCRA (generic cell rate algorithm) token
 * bucket: the whole state of an org's bucket is one number, its theoretical
 * arrival time (TAT), the instant at which the bucket would be full again.
 * A request at `now` is admitted when `max(TAT, now) + interval` is at most
 * `burst` intervals ahead of `now`, and then moves the TAT there; a refused
 * request changes nothing. So `burst` requests pass at once from a full
 * bucket, and after that one per `interval` (1 / requestsPerSecond).
 *
 * Times are whole microseconds since the epoch (safe integers until the
 * year 2255), so the arithmetic is exact and a stored TAT compares equal to
 * the one computed here. No AWS imports: the repository
 * (lambda/repositories/org-rate-limit.ts) persists the TAT and encodes
 * {@link admissionBounds} as its write conditions.
 */

export interface RateLimitPolicy {
  /** Sustained requests per second (may be fractional, e.g. 0.5). */
  readonly requestsPerSecond: number;
  /** Requests admitted at once from a full bucket (a whole number, at least 1). */
  readonly burst: number;
}

/** What an org gets when its environment says nothing: 10 requests per second, bursts of 20. */
export const DEFAULT_PARTNER_RATE_LIMIT: RateLimitPolicy = { requestsPerSecond: 10, burst: 20 };

export const MICROS_PER_SECOND = 1_000_000;

export type RateDecision =
  | {
      readonly allowed: true;
      /** The bucket's new TAT, to store. */
      readonly tatMicros: number;
    }
  | {
      readonly allowed: false;
      /** Exactly how long until the same request would be admitted. */
      readonly retryAfterMicros: number;
      /** `Retry-After`: whole seconds, rounded up, at least 1. */
      readonly retryAfterSeconds: number;
    };

/** `now` as the whole microseconds the bucket counts in. */
export function microsOf(now: Date): number {
  return now.getTime() * 1_000;
}

/**
 * The gap between admitted requests at the sustained rate, rounded up to a
 * whole microsecond so the configured rate is never exceeded.
 * @throws RangeError for a policy no bucket can hold (validated earlier in config).
 */
export function emissionIntervalMicros(policy: RateLimitPolicy): number {
  if (!(policy.requestsPerSecond > 0) || !Number.isFinite(policy.requestsPerSecond)) {
    throw new RangeError(`requestsPerSecond must be a positive number, not ${policy.requestsPerSecond}`);
  }
  if (!Number.isInteger(policy.burst) || policy.burst < 1) {
    throw new RangeError(`burst must be a whole number of at least 1, not ${policy.burst}`);
  }
  return Math.ceil(MICROS_PER_SECOND / policy.requestsPerSecond);
}

/**
 * The two cases of an admission at `nowMicros`, as conditions on the stored
 * TAT a store can check atomically without reading first:
 * - `tat <= nowMicros` (or no item): the bucket is full; the new TAT is `freshTatMicros`.
 * - `nowMicros < tat <= latestAdmittedTatMicros`: room for one more; the new TAT is `tat + intervalMicros`.
 * Any larger TAT means refused.
 */
export function admissionBounds(
  nowMicros: number,
  policy: RateLimitPolicy,
): { readonly intervalMicros: number; readonly freshTatMicros: number; readonly latestAdmittedTatMicros: number } {
  const intervalMicros = emissionIntervalMicros(policy);
  return {
    intervalMicros,
    freshTatMicros: nowMicros + intervalMicros,
    latestAdmittedTatMicros: nowMicros + (policy.burst - 1) * intervalMicros,
  };
}

/**
 * Admits or refuses one request. `tatMicros` is the bucket's stored TAT
 * (undefined for an org never seen or whose item expired: a full bucket).
 */
export function decideAdmission(
  nowMicros: number,
  tatMicros: number | undefined,
  policy: RateLimitPolicy,
): RateDecision {
  const { intervalMicros, latestAdmittedTatMicros } = admissionBounds(nowMicros, policy);
  const base = Math.max(tatMicros ?? nowMicros, nowMicros);
  if (base <= latestAdmittedTatMicros) return { allowed: true, tatMicros: base + intervalMicros };
  const retryAfterMicros = base - latestAdmittedTatMicros;
  return {
    allowed: false,
    retryAfterMicros,
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMicros / MICROS_PER_SECOND)),
  };
}
