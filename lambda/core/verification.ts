/**
 * The verification exchange with a partner endpoint, minus the I/O: the
 * challenge to send and how to read what came back. The handler signs the
 * body (Standard Webhooks headers), sends it without following redirects,
 * reads at most `MAX_CHALLENGE_RESPONSE_BYTES` of the answer, checks it with
 * `readChallengeEcho` and feeds the outcome to `classifyOutcome`.
 *
 * The receiver contract (README, "Webhook receiver contract"): answer the
 * challenge POST with a 2xx whose body is the challenge value, either bare
 * (surrounding whitespace ignored) or as JSON `{"challenge":"<value>"}`, as
 * Slack's URL verification does. Any other 2xx proves only that something
 * answers at the URL, not that the partner controls it, so it does not verify.
 */
import { constantTimeEqual } from './constant-time';
import { RandomSource, cryptoRandom, randomAlphanumeric } from './random';

export const CHALLENGE_TYPE = 'webhook.verification';
/** The JSON field a receiver may echo the challenge in (the same name the challenge carries it in). */
export const CHALLENGE_FIELD = 'challenge';
/** A receiver's answer is read up to this many bytes; a longer body cannot be an echo and fails. */
export const MAX_CHALLENGE_RESPONSE_BYTES = 4 * 1024;
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

/**
 * What the response body held, judged against the challenge sent. The body
 * itself is never kept: it may hold anything, and a wrong answer must not
 * put the challenge or a partner's text into logs or `lastError`.
 */
export type ChallengeEcho = 'echoed' | 'empty' | 'wrong-value' | 'too-large';

/** What the HTTP attempt produced, as the handler observed it. */
export type HttpOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly echo: ChallengeEcho }
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
 * Judges a response body (as read, at most `MAX_CHALLENGE_RESPONSE_BYTES`;
 * `truncated` when there was more) against the challenge value sent.
 * Accepted: the bare value, trimmed; or a JSON object whose `challenge`
 * field is the value. The value anywhere else (another field, a JSON
 * string, inside a sentence) is a wrong answer.
 */
export function readChallengeEcho(body: string, challenge: string, truncated = false): ChallengeEcho {
  if (truncated) return 'too-large';
  const trimmed = body.trim();
  if (trimmed === '') return 'empty';
  if (constantTimeEqual(trimmed, challenge)) return 'echoed';
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return 'wrong-value';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'wrong-value';
  const echoed = (parsed as Record<string, unknown>)[CHALLENGE_FIELD];
  return typeof echoed === 'string' && constantTimeEqual(echoed, challenge) ? 'echoed' : 'wrong-value';
}

/**
 * The answer a receiver gives to a verification challenge, for the local
 * runtime's demo receivers, tests and partners' reference: the JSON echo for
 * a challenge payload, `undefined` for anything else (an event).
 */
export function challengeAnswer(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { type, challenge } = payload as { type?: unknown; challenge?: unknown };
  if (type !== CHALLENGE_TYPE || typeof challenge !== 'string') return undefined;
  return JSON.stringify({ [CHALLENGE_FIELD]: challenge });
}

const ECHO_ERRORS: Readonly<Record<Exclude<ChallengeEcho, 'echoed'>, string>> = {
  empty: 'the response body is empty: answer with the challenge value or {"challenge":"<value>"}',
  'wrong-value': 'the response body is not the challenge: answer with the challenge value or {"challenge":"<value>"}',
  'too-large': `the response body is over ${MAX_CHALLENGE_RESPONSE_BYTES} bytes: answer with the challenge value only`,
};

/**
 * Only a 2xx echoing the challenge verifies. A redirect fails because following it would let the
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
      if (status >= 200 && status < 300) {
        return outcome.echo === 'echoed'
          ? { ok: true }
          : { ok: false, lastError: `HTTP ${status}, ${ECHO_ERRORS[outcome.echo]}` };
      }
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
