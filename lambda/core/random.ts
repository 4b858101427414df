/**
 * Random identifiers and secrets from a CSPRNG. The byte source is injected
 * so that tests can feed chosen bytes and prove the rejection sampling.
 */
import { randomBytes } from 'node:crypto';

/** Returns `size` uniformly random bytes. */
export type RandomSource = (size: number) => Uint8Array;

/** node:crypto's CSPRNG, the default everywhere outside tests. */
export const cryptoRandom: RandomSource = (size) => randomBytes(size);

export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Bytes at or above this value are discarded: 248 = 62 * 4 is the largest
 * multiple of the alphabet size that fits in a byte, so `byte % 62` over the
 * accepted bytes hits every character exactly four times (no modulo bias).
 */
export const REJECTION_THRESHOLD = ALPHANUMERIC.length * Math.floor(256 / ALPHANUMERIC.length);

/** `length` characters of [A-Za-z0-9], each uniformly distributed. */
export function randomAlphanumeric(length: number, random: RandomSource = cryptoRandom): string {
  let result = '';
  while (result.length < length) {
    // About 3 % of bytes are rejected, so one round almost always suffices.
    for (const byte of random(length - result.length)) {
      if (byte < REJECTION_THRESHOLD && result.length < length) {
        result += ALPHANUMERIC[byte % ALPHANUMERIC.length];
      }
    }
  }
  return result;
}
