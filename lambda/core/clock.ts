/**
 * Time is injected everywhere in the core so that tests and the scheduled
 * sweep decide what "now" is; nothing here calls `new Date()` on its own.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export interface Clock {
  now(): Date;
}

/** The wall clock, for handlers. */
export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock that moves only when told to, so lifecycle boundaries can be hit exactly. */
export class FakeClock implements Clock {
  private currentMs: number;

  public constructor(start: Date | string = '2025-01-01T00:00:00.000Z') {
    this.currentMs = FakeClock.toMs(start);
  }

  /** A fresh Date each call, so a caller mutating it cannot move the clock. */
  public now(): Date {
    return new Date(this.currentMs);
  }

  public set(to: Date | string): void {
    this.currentMs = FakeClock.toMs(to);
  }

  /** Moves forward (or back, with a negative value) by `ms` milliseconds. */
  public advance(ms: number): void {
    this.currentMs += ms;
  }

  private static toMs(value: Date | string): number {
    const ms = typeof value === 'string' ? Date.parse(value) : value.getTime();
    if (Number.isNaN(ms)) throw new RangeError(`FakeClock: invalid time ${String(value)}`);
    return ms;
  }
}
