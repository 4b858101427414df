/**
 * Comparing secrets (API keys, CSRF tokens, cookie signatures) without
 * leaking through timing where they differ, or how long the expected one is.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Equal strings, compared as digests, so the time depends on neither the contents nor the lengths. */
export function constantTimeEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}
