/**
 * The verification exchange with a partner endpoint, minus the I/O: the
 * challenge to send and how to read what came back. The handler signs the
 * body (Standard Webhooks headers), sends it without following redirects,
 * and feeds the outcome to `classifyOutcome`.
 */
import { RandomSource, cryptoRandom, randomAlphanumeric } from './random';

export const CHALLENGE_TYPE = 'webhook.verification';
/** 32 alphanumerics (~190 bits): a responder cannot have precomputed or replayed it. */
const CHALLENGE_LENGTH = 32;

/** Field order is fixed so the serialised body, which is signed, is stable. */
export interface VerificationChallenge {
  readonly type: typeof CHALLENGE_TYPE;
  readonly challenge: string;
  readonly partnerId: string;
  readonly webhookId: string;
}

export interface BuildChallengeInput {
  readonly orgId: string;
  readonly webhookId: string;
  /** @default node:crypto randomBytes */
  readonly random?: RandomSource;
}

/** What the HTTP attempt produced, as the handler observed it. */
export type HttpOutcome =
  | { readonly kind: 'response'; readonly status: number }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  /** Refused, reset, DNS failure, TLS error: `code` is the Node error code when there is one. */
  | { readonly kind: 'connection-error'; readonly code?: string }
  /** The host resolved to an address the URL policy forbids (DNS rebinding). */
  | { readonly kind: 'blocked-address' };

export type VerificationResult = { readonly ok: true } | { readonly ok: false; readonly lastError: string };

export function buildChallenge(input: BuildChallengeInput): VerificationChallenge {
  return {
    type: CHALLENGE_TYPE,
    challenge: randomAlphanumeric(CHALLENGE_LENGTH, input.random ?? cryptoRandom),
    partnerId: input.orgId,
    webhookId: input.webhookId,
  };
}

/**
 * Only a 2xx verifies. A redirect fails because following it would let the
 * endpoint send the platform to a host the URL policy never checked.
 * `lastError` is built from fixed phrases and numbers only, never from the
 * response body or an error message, so it is safe to show and to log.
 */
export function classifyOutcome(outcome: HttpOutcome): VerificationResult {
  switch (outcome.kind) {
    case 'response': {
      const { status } = outcome;
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        return { ok: false, lastError: 'invalid HTTP status' };
      }
      if (status >= 200 && status < 300) return { ok: true };
      if (status >= 300 && status < 400) return { ok: false, lastError: `redirect not followed (${status})` };
      return { ok: false, lastError: `HTTP ${status}` };
    }
    case 'timeout':
      return { ok: false, lastError: `timeout after ${outcome.timeoutMs} ms` };
    case 'connection-error':
      return {
        ok: false,
        lastError:
          outcome.code !== undefined && /^[A-Z][A-Z0-9_]{0,39}$/.test(outcome.code)
            ? `connection failed (${outcome.code})`
            : 'connection failed',
      };
    case 'blocked-address':
      return { ok: false, lastError: 'host resolves to a private or internal address' };
  }
}
