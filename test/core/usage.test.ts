import fc from 'fast-check';
import type { KeyRequest } from '../../lambda/core/access-log';
import { ValidationError } from '../../lambda/core/errors';
import {
  type UsageBucket,
  aggregateKeyRequests,
  atGranularity,
  bucketStart,
  fillSeries,
  resolveUsageWindow,
  rollUpToDays,
  statusClassesOf,
  summarizeUsage,
} from '../../lambda/core/usage';

const NOW = new Date('2026-12-07T15:20:00.000Z');
const START_MS = Date.parse('2026-09-01T00:00:00.000Z');

const keyRequest: fc.Arbitrary<KeyRequest> = fc.record({
  requestId: fc.uuid(),
  orgId: fc.constantFrom('acme', 'globex', 'acme-evil'),
  keyId: fc.constantFrom('key_a', 'key_b', 'key_c'),
  // About 100 days, so hours and days both repeat and differ.
  at: fc.integer({ min: START_MS, max: START_MS + 100 * 86_400_000 }).map((ms) => new Date(ms)),
  status: fc.constantFrom(200, 201, 204, 304, 400, 401, 403, 404, 429, 500, 502),
});
const batch = fc.array(keyRequest, { minLength: 0, maxLength: 200, size: 'max' });
/** Each run checks every bucket against the whole batch: fewer runs keep the file quick on a shared machine. */
const RUNS = { numRuns: 40 };

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const statusTotal = (bucket: UsageBucket) => sum(Object.values(bucket.byStatus));

describe('usage aggregation', () => {
  test('every request lands in exactly one bucket of its key and hour, with its status counted once', () => {
    fc.assert(
      fc.property(batch, (requests) => {
        const buckets = aggregateKeyRequests(requests);
        expect(sum(buckets.map((bucket) => bucket.requests))).toBe(requests.length);
        for (const bucket of buckets) {
          const mine = requests.filter(
            (request) =>
              request.orgId === bucket.orgId &&
              request.keyId === bucket.keyId &&
              bucketStart(request.at, 'hour') === bucket.start,
          );
          expect(bucket.requests).toBe(mine.length);
          expect(statusTotal(bucket)).toBe(mine.length);
          expect(bucket.lastUsedAt).toBe(
            new Date(Math.max(...mine.map((request) => request.at.getTime()))).toISOString(),
          );
        }
        // One bucket per (org, key, hour): no two share all three.
        const ids = buckets.map((bucket) => `${bucket.orgId}/${bucket.keyId}/${bucket.start}`);
        expect(new Set(ids).size).toBe(ids.length);
      }),
      RUNS,
    );
  });

  test('the same batch, in any order, gives the same buckets in the same order', () => {
    fc.assert(
      fc.property(
        batch.chain((requests) =>
          fc.tuple(fc.constant(requests), fc.shuffledSubarray(requests, { minLength: requests.length })),
        ),
        ([requests, shuffled]) => {
          expect(aggregateKeyRequests(shuffled)).toEqual(aggregateKeyRequests(requests));
        },
      ),
    );
  });

  test('rolling hours up to days keeps every total, per status and overall, and the newest use', () => {
    fc.assert(
      fc.property(batch, (requests) => {
        const hours = aggregateKeyRequests(requests.map((request) => ({ ...request, orgId: 'acme', keyId: 'key_a' })));
        const days = rollUpToDays(hours);
        expect(summarizeUsage(days)).toEqual(summarizeUsage(hours));
        expect(sum(days.map((day) => day.requests))).toBe(requests.length);
        for (const day of days) {
          expect(day.start.endsWith('T00:00:00.000Z')).toBe(true);
          const inDay = hours.filter((hour) => hour.start.slice(0, 10) === day.start.slice(0, 10));
          expect(day.requests).toBe(sum(inDay.map((hour) => hour.requests)));
        }
        // Starts strictly increase.
        expect(days.map((day) => day.start)).toEqual([...new Set(days.map((day) => day.start))].sort());
      }),
      RUNS,
    );
  });

  test('filling a window with empty buckets adds no requests and leaves no gap', () => {
    fc.assert(
      fc.property(batch, fc.constantFrom<'hour' | 'day'>('hour', 'day'), (requests, granularity) => {
        const hours = aggregateKeyRequests(requests.map((request) => ({ ...request, orgId: 'acme', keyId: 'key_a' })));
        const window = resolveUsageWindow(
          { from: '2026-09-01T00:00:00Z', to: '2026-11-29T23:00:00Z', granularity },
          NOW,
        );
        const inWindow = hours.filter(
          (hour) => hour.start >= window.from.toISOString() && hour.start < window.to.toISOString(),
        );
        const series = fillSeries(atGranularity(inWindow, granularity), window);
        expect(sum(series.map((bucket) => bucket.requests))).toBe(sum(inWindow.map((hour) => hour.requests)));
        const step = granularity === 'hour' ? 3_600_000 : 86_400_000;
        series.forEach((bucket, index) => expect(Date.parse(bucket.start)).toBe(window.from.getTime() + index * step));
      }),
      RUNS,
    );
  });
});

describe('status classes and summary', () => {
  test('classes sum the codes of each hundred; the error rate is 4xx and 5xx over all', () => {
    expect(statusClassesOf({ '200': 3, '204': 1, '304': 2, '404': 3, '429': 1, '503': 2 })).toEqual({
      '1xx': 0,
      '2xx': 4,
      '3xx': 2,
      '4xx': 4,
      '5xx': 2,
    });
    const summary = summarizeUsage([
      {
        start: '2026-12-07T14:00:00.000Z',
        requests: 4,
        byStatus: { '200': 3, '404': 1 },
        lastUsedAt: '2026-12-07T14:59:00.000Z',
      },
      {
        start: '2026-12-07T15:00:00.000Z',
        requests: 4,
        byStatus: { '200': 1, '500': 3 },
        lastUsedAt: '2026-12-07T15:01:00.000Z',
      },
    ]);
    expect(summary).toMatchObject({ requests: 8, errorRate: 0.5, lastUsedAt: '2026-12-07T15:01:00.000Z' });
    expect(summary.byStatus).toEqual({ '200': 4, '404': 1, '500': 3 });
  });

  test('no buckets: zero requests, a zero error rate and never used', () => {
    expect(summarizeUsage([])).toMatchObject({ requests: 0, errorRate: 0, lastUsedAt: null });
  });
});

describe('usage window', () => {
  test('defaults: the last day by the hour, ending with the current hour', () => {
    const window = resolveUsageWindow({}, NOW);
    expect(window).toEqual({
      from: new Date('2026-12-06T15:00:00.000Z'),
      to: new Date('2026-12-07T16:00:00.000Z'),
      granularity: 'hour',
    });
  });

  test('by the day: whole UTC days, and 90 days exactly is allowed', () => {
    expect(
      resolveUsageWindow({ from: '2026-09-08T10:00:00Z', to: '2026-12-07T10:00:00Z', granularity: 'day' }, NOW),
    ).toEqual({
      from: new Date('2026-09-08T00:00:00.000Z'),
      to: new Date('2026-12-08T00:00:00.000Z'),
      granularity: 'day',
    });
  });

  test.each<[string, { from?: string; to?: string; granularity?: string }, string]>([
    ['unknown granularity', { granularity: 'minute' }, 'granularity'],
    ['from not a date', { from: 'yesterday' }, 'from'],
    ['from a bare number', { from: '1765000000' }, 'from'],
    ['to not a date', { to: '2026-13-45T99:00:00Z' }, 'to'],
    ['from after to', { from: '2026-12-07T12:00:00Z', to: '2026-12-07T11:00:00Z' }, 'from'],
    ['over 90 days', { from: '2026-09-07T09:59:59Z', to: '2026-12-07T10:00:00Z' }, 'from'],
  ])('refused: %s', (_name, input, field) => {
    let caught: unknown;
    try {
      resolveUsageWindow(input, NOW);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe(field);
  });
});
