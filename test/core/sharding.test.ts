/**
 * The jump hash's promise, checked on 3,000 partners: growing `shardCount`
 * (or a shard's routing slots) from N to N+1 moves about 1/(N+1) of the
 * partners, all of them into the new shard, and leaves every other partner
 * where it was. Plain `hash % N` would move most partners between old
 * shards and replace their resources.
 */
import { routeSlotOf, shardOf } from '../../lambda/core/sharding';

const PARTNERS = Array.from({ length: 3000 }, (_, i) => `partner-${i.toString(36)}-${(i * 7919) % 1000}`);
const SIZES = Array.from({ length: 24 }, (_, i) => i + 1).concat([31, 63, 100]);

describe.each([
  ['shardOf', shardOf],
  ['routeSlotOf', routeSlotOf],
] as const)('%s', (name, place) => {
  it.each(SIZES)('growing from %i to one more moves about 1/(N+1) of 3,000 partners, only into the new one', (n) => {
    const moved = PARTNERS.filter((orgId) => place(orgId, n) !== place(orgId, n + 1));
    const expected = PARTNERS.length / (n + 1);
    // Printed so a reader sees the figure the bound is checked against.
    if (n === 2 || n === 24)
      console.log(`${name}: ${n} -> ${n + 1} moved ${moved.length} of 3000 (ideal ${expected.toFixed(0)})`);
    expect(moved.length).toBeLessThan(1.5 * expected);
    expect(moved.length).toBeGreaterThan(0.5 * expected);
    expect(new Set(moved.map((orgId) => place(orgId, n + 1)))).toEqual(new Set([n]));
  });

  it('spreads 3,000 partners evenly over 8 buckets (each within 25% of 375)', () => {
    const counts = new Array<number>(8).fill(0);
    for (const orgId of PARTNERS) counts[place(orgId, 8)] += 1;
    for (const count of counts) expect(Math.abs(count - 375)).toBeLessThan(375 * 0.25);
  });

  it('places a partner by its own orgId only, always in range', () => {
    for (const orgId of PARTNERS.slice(0, 200)) {
      const bucket = place(orgId, 13);
      expect(bucket).toBe(place(orgId, 13));
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(13);
    }
  });
});
