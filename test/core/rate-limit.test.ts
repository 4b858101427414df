/**
 * The per-partner token bucket (GCRA) as a pure function: what it admits
 * from a full bucket, that no stretch of time ever admits more than the
 * burst plus what the rate refills, that Retry-After is exactly the wait,
 * and that a client keeping to the rate is never refused. Time comes from
 * the project's FakeClock; request gaps are drawn around the interesting
 * points (0, one interval and either side of it, a whole burst's refill).
 */
import fc from 'fast-check';
import { FakeClock } from '../../lambda/core/clock';
import {
  DEFAULT_PARTNER_RATE_LIMIT,
  MICROS_PER_SECOND,
  type RateDecision,
  type RateLimitPolicy,
  decideAdmission,
  emissionIntervalMicros,
  microsOf,
} from '../../lambda/core/rate-limit';

const START = '2026-12-07T12:00:00.000Z';

const policies: fc.Arbitrary<RateLimitPolicy> = fc.record({
  requestsPerSecond: fc.oneof(
    fc.constantFrom(0.5, 1, 3, 7, 10, 50, 1_000),
    fc.double({ min: 0.05, max: 10_000, noNaN: true, noDefaultInfinity: true }),
  ),
  burst: fc.oneof(fc.constantFrom(1, 2, 20), fc.integer({ min: 1, max: 40 })),
});

/** Milliseconds between requests (the FakeClock's resolution), around one interval and one whole refill. */
function gapsFor(policy: RateLimitPolicy): fc.Arbitrary<number[]> {
  const intervalMs = emissionIntervalMicros(policy) / 1_000;
  const refillMs = Math.ceil(policy.burst * intervalMs);
  const gap = fc.oneof(
    fc.constant(0),
    fc.constantFrom(Math.max(0, Math.floor(intervalMs) - 1), Math.floor(intervalMs), Math.ceil(intervalMs)),
    fc.integer({ min: 0, max: Math.ceil(intervalMs) * 2 }),
    fc.integer({ min: 0, max: refillMs * 2 }),
  );
  return fc.array(gap, { minLength: 1, maxLength: 80 });
}

interface Outcome {
  readonly atMicros: number;
  readonly decision: RateDecision;
}

/** Requests at the clock's now after each gap, the bucket's TAT carried between them as a store would. */
function run(policy: RateLimitPolicy, gapsMs: readonly number[], clock = new FakeClock(START)): Outcome[] {
  let tat: number | undefined;
  return gapsMs.map((gap) => {
    clock.advance(gap);
    const atMicros = microsOf(clock.now());
    const decision = decideAdmission(atMicros, tat, policy);
    if (decision.allowed) tat = decision.tatMicros;
    return { atMicros, decision };
  });
}

describe('decideAdmission (GCRA)', () => {
  it.each([
    [{ requestsPerSecond: 10, burst: 20 }, 100_000],
    [{ requestsPerSecond: 1, burst: 1 }, 1_000_000],
    [{ requestsPerSecond: 3, burst: 5 }, 333_334],
  ])('a full bucket admits exactly the burst at once, then refuses for one interval (%j)', (policy, interval) => {
    const outcomes = run(
      policy,
      Array.from({ length: policy.burst + 1 }, () => 0),
    );
    expect(outcomes.slice(0, policy.burst).every(({ decision }) => decision.allowed)).toBe(true);
    expect(outcomes[policy.burst].decision).toEqual({
      allowed: false,
      retryAfterMicros: interval,
      retryAfterSeconds: Math.ceil(interval / MICROS_PER_SECOND),
    });
  });

  it('the default is 10 per second with bursts of 20', () => {
    expect(DEFAULT_PARTNER_RATE_LIMIT).toEqual({ requestsPerSecond: 10, burst: 20 });
  });

  it('never admits more than the burst plus the refill in any stretch of time', () => {
    fc.assert(
      fc.property(
        policies.chain((policy) => fc.tuple(fc.constant(policy), gapsFor(policy))),
        ([policy, gaps]) => {
          const interval = emissionIntervalMicros(policy);
          const admitted = run(policy, gaps)
            .filter(({ decision }) => decision.allowed)
            .map(({ atMicros }) => atMicros);
          for (let first = 0; first < admitted.length; first++) {
            for (let last = first; last < admitted.length; last++) {
              const span = admitted[last] - admitted[first];
              expect(last - first + 1).toBeLessThanOrEqual(policy.burst + Math.floor(span / interval));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Retry-After is the exact wait: refused one microsecond earlier, admitted then, and in whole seconds at least 1', () => {
    fc.assert(
      fc.property(
        policies.chain((policy) => fc.tuple(fc.constant(policy), gapsFor(policy))),
        ([policy, gaps]) => {
          let tat: number | undefined;
          const clock = new FakeClock(START);
          for (const gap of gaps) {
            clock.advance(gap);
            const now = microsOf(clock.now());
            const decision = decideAdmission(now, tat, policy);
            if (decision.allowed) {
              tat = decision.tatMicros;
              continue;
            }
            // A refusal changes nothing, so the same TAT decides the retry.
            expect(decideAdmission(now + decision.retryAfterMicros - 1, tat, policy).allowed).toBe(false);
            expect(decideAdmission(now + decision.retryAfterMicros, tat, policy).allowed).toBe(true);
            expect(decision.retryAfterSeconds).toBe(
              Math.max(1, Math.ceil(decision.retryAfterMicros / MICROS_PER_SECOND)),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a client that keeps to the rate is never refused, whatever it did before', () => {
    fc.assert(
      fc.property(
        policies.chain((policy) => fc.tuple(fc.constant(policy), gapsFor(policy))),
        fc.integer({ min: 1, max: 50 }),
        ([policy, gaps], steady) => {
          const clock = new FakeClock(START);
          let tat: number | undefined;
          for (const outcome of run(policy, gaps, clock))
            if (outcome.decision.allowed) tat = outcome.decision.tatMicros;
          // Wait until the bucket is full again, then one request per interval (rounded up to the clock's ms).
          const intervalMs = Math.ceil(emissionIntervalMicros(policy) / 1_000);
          clock.advance(Math.ceil(Math.max(0, (tat ?? 0) - microsOf(clock.now())) / 1_000));
          for (let request = 0; request < steady; request++) {
            const decision = decideAdmission(microsOf(clock.now()), tat, policy);
            expect(decision.allowed).toBe(true);
            if (decision.allowed) tat = decision.tatMicros;
            clock.advance(intervalMs);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('an idle bucket is full again: after the TAT has passed, a whole burst is admitted at once', () => {
    fc.assert(
      fc.property(
        policies.chain((policy) => fc.tuple(fc.constant(policy), gapsFor(policy))),
        ([policy, gaps]) => {
          const clock = new FakeClock(START);
          let tat: number | undefined;
          for (const outcome of run(policy, gaps, clock))
            if (outcome.decision.allowed) tat = outcome.decision.tatMicros;
          const idleUntil = Math.max(tat ?? 0, microsOf(clock.now()));
          const burst = run(
            policy,
            Array.from({ length: policy.burst + 1 }, () => 0),
            new FakeClock(new Date(Math.ceil(idleUntil / 1_000))),
          );
          expect(burst.map(({ decision }) => decision.allowed)).toEqual([
            ...Array.from({ length: policy.burst }, () => true),
            false,
          ]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each<[string, RateLimitPolicy, RegExp]>([
    ['a rate of 0', { requestsPerSecond: 0, burst: 1 }, /requestsPerSecond must be a positive number, not 0/],
    ['a negative rate', { requestsPerSecond: -1, burst: 1 }, /requestsPerSecond must be a positive number/],
    ['an infinite rate', { requestsPerSecond: Infinity, burst: 1 }, /requestsPerSecond must be a positive number/],
    [
      'a rate that is not a number',
      { requestsPerSecond: NaN, burst: 1 },
      /requestsPerSecond must be a positive number/,
    ],
    ['a burst of 0', { requestsPerSecond: 1, burst: 0 }, /burst must be a whole number of at least 1, not 0/],
    ['a fractional burst', { requestsPerSecond: 1, burst: 1.5 }, /burst must be a whole number of at least 1, not 1.5/],
  ])('refuses %s', (_what, policy, message) => {
    expect(() => decideAdmission(0, undefined, policy)).toThrow(message);
  });
});
