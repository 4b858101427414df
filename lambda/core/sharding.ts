/**
 * Stable placement by orgId: which shard a partner lives in and which routing
 * slot lists it. Shared by the synth (lib/config) and the provisioner, so a
 * tenant registered at run time lands where a partner file would put it.
 * No AWS imports.
 */
import { createHash } from 'node:crypto';

const UINT64 = (1n << 64n) - 1n;

function hash64(value: string, salt: string): bigint {
  const digest = createHash('sha256').update(`${salt}:${value}`).digest();
  return digest.readBigUInt64BE(0);
}

/**
 * Jump consistent hash (Lamping & Veach, 2014): maps a 64-bit key to one of
 * `buckets` buckets so that growing from n to n+1 buckets moves only about
 * 1/(n+1) of the keys, all into the new bucket.
 */
function jumpHash(key: bigint, buckets: number): number {
  let current = -1;
  let next = 0;
  let state = key;
  while (next < buckets) {
    current = next;
    state = (state * 2862933555777941757n + 1n) & UINT64;
    next = Math.floor((current + 1) * (2 ** 31 / Number((state >> 33n) + 1n)));
  }
  return current;
}

/**
 * The partner stack (shard) a partner lives in. It depends on the partner's
 * own orgId and the shard count only, never on which other partners exist,
 * so onboarding or removing one partner cannot move another.
 */
export function shardOf(orgId: string, shardCount: number): number {
  return jumpHash(hash64(orgId, 'shard'), shardCount);
}

/**
 * The routing slot of a partner inside its shard: which of the shard's
 * routing rules on the platform bus lists its orgId. Stable for the same
 * reason as {@link shardOf}, with an independent hash.
 */
export function routeSlotOf(orgId: string, slotCount: number): number {
  return jumpHash(hash64(orgId, 'route'), slotCount);
}

/** A short, stable digest used to keep physical names unique after truncation. */
export function shortDigest(value: string, length = 8): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}
