import fc from 'fast-check';
import { FakeClock, HOUR_MS, MINUTE_MS } from '../../lambda/core/clock';
import {
  DEFAULT_DISABLE_AFTER_HOURS,
  type EndpointHealth,
  isDisabledByHealth,
  judgeHealth,
  onDeliveryFailed,
  onDeliverySucceeded,
  onDisabled,
  onReenabled,
} from '../../lambda/core/endpoint-health';

const START = '2025-01-01T00:00:00.000Z';

/** Fails once every `everyMs` until `hours` have passed since the first failure. */
function failFor(clock: FakeClock, hours: number, everyMs = HOUR_MS, from?: EndpointHealth): EndpointHealth {
  let health = onDeliveryFailed(from, clock.now());
  const end = clock.now().getTime() + hours * HOUR_MS;
  while (clock.now().getTime() + everyMs <= end) {
    clock.advance(everyMs);
    health = onDeliveryFailed(health, clock.now());
  }
  return health;
}

describe('endpoint health streak', () => {
  it('a first failure starts a streak at that time', () => {
    const clock = new FakeClock(START);
    expect(onDeliveryFailed(undefined, clock.now())).toEqual({
      state: 'failing',
      failingSince: START,
      lastFailureAt: START,
      failuresInStreak: 1,
    });
  });

  it('a webhook failing for exactly the configured hours is disabled, one minute less waits', () => {
    const clock = new FakeClock(START);
    const almost = failFor(clock, DEFAULT_DISABLE_AFTER_HOURS - 1);
    clock.advance(HOUR_MS - MINUTE_MS);
    const shortByAMinute = onDeliveryFailed(almost, clock.now());
    expect(judgeHealth(shortByAMinute, DEFAULT_DISABLE_AFTER_HOURS)).toEqual({
      verdict: 'wait',
      dueAt: '2025-01-06T00:00:00.000Z',
    });
    clock.advance(MINUTE_MS);
    const full = onDeliveryFailed(shortByAMinute, clock.now());
    expect(judgeHealth(full, DEFAULT_DISABLE_AFTER_HOURS)).toEqual({ verdict: 'disable', hours: 120 });
    // One an hour for 119 hours (120), then at 119:59 and 120:00.
    expect(full.failuresInStreak).toBe(122);
  });

  it('silence is not failure: one failure and nothing for a week is not disabled', () => {
    const clock = new FakeClock(START);
    const once = onDeliveryFailed(undefined, clock.now());
    clock.advance(7 * 24 * HOUR_MS);
    expect(judgeHealth(once, DEFAULT_DISABLE_AFTER_HOURS).verdict).toBe('wait');
  });

  it('a success ends the streak; the next failure starts a new one', () => {
    const clock = new FakeClock(START);
    const failing = failFor(clock, 100);
    clock.advance(HOUR_MS);
    const healed = onDeliverySucceeded(failing, clock.now());
    expect(healed).toEqual({ state: 'healthy', lastSuccessAt: '2025-01-05T05:00:00.000Z' });
    expect(judgeHealth(healed, DEFAULT_DISABLE_AFTER_HOURS)).toEqual({ verdict: 'not-failing' });
    clock.advance(HOUR_MS);
    const again = failFor(clock, 30, HOUR_MS, healed);
    expect(again.failingSince).toBe('2025-01-05T06:00:00.000Z');
    expect(judgeHealth(again, DEFAULT_DISABLE_AFTER_HOURS).verdict).toBe('wait');
  });

  it('the window comes from config: 2 hours disables after 2 hours', () => {
    const clock = new FakeClock(START);
    expect(judgeHealth(failFor(clock, 2, 30 * MINUTE_MS), 2)).toEqual({ verdict: 'disable', hours: 2 });
  });

  it('disabled stays disabled through late failures and successes; re-enable starts clean', () => {
    const clock = new FakeClock(START);
    const disabled = onDisabled(failFor(clock, 120), 120, clock.now());
    expect(isDisabledByHealth({ health: disabled })).toBe(true);
    expect(onDeliveryFailed(disabled, clock.now())).toBe(disabled);
    expect(onDeliverySucceeded(disabled, clock.now())).toBe(disabled);
    expect(judgeHealth(disabled, 120)).toEqual({ verdict: 'not-failing' });
    clock.advance(HOUR_MS);
    const enabled = onReenabled(disabled, clock.now(), 'partner:key1');
    expect(enabled).toEqual({ state: 'healthy', reenabledAt: '2025-01-06T01:00:00.000Z', reenabledBy: 'partner:key1' });
    expect(isDisabledByHealth({ health: enabled })).toBe(false);
    // Re-enabling what is not disabled changes nothing (a repeated click).
    expect(onReenabled(enabled, clock.now(), 'partner:key1')).toBe(enabled);
    expect(onReenabled(undefined, clock.now(), 'x')).toBeUndefined();
  });

  it('property: no success since the first failure and failures spanning the window is exactly when it disables', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 12 * 60 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 200 }),
        (gapsMinutes, hours) => {
          const clock = new FakeClock(START);
          let health = onDeliveryFailed(undefined, clock.now());
          for (const gap of gapsMinutes) {
            clock.advance(gap * MINUTE_MS);
            health = onDeliveryFailed(health, clock.now());
          }
          const spanMs = clock.now().getTime() - Date.parse(START);
          const verdict = judgeHealth(health, hours).verdict;
          return verdict === (spanMs >= hours * HOUR_MS ? 'disable' : 'wait');
        },
      ),
    );
  });
});
