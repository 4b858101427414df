import { DAY_MS, FakeClock, HOUR_MS, systemClock } from '../../lambda/core';

describe('FakeClock', () => {
  it('stands still until advanced', () => {
    const clock = new FakeClock('2025-03-01T12:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2025-03-01T12:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2025-03-01T12:00:00.000Z');
    clock.advance(DAY_MS + HOUR_MS);
    expect(clock.now().toISOString()).toBe('2025-03-02T13:00:00.000Z');
  });

  it('jumps to a set time', () => {
    const clock = new FakeClock();
    clock.set(new Date('2030-01-01T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('cannot be moved by mutating a Date it returned', () => {
    const clock = new FakeClock('2025-03-01T00:00:00.000Z');
    clock.now().setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe('2025-03-01T00:00:00.000Z');
  });

  it('refuses an invalid start time', () => {
    expect(() => new FakeClock('yesterday')).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('tells the wall-clock time', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
