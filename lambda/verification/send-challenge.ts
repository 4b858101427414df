/**
 * Sends the signed verification challenge to a partner URL, and gives the
 * receiving side the matching check.
 *
 * Signing key. Standard Webhooks libraries take the key as base64 (optionally
 * prefixed `whsec_`), while the platform's webhook secret is a plain string
 * (the Secrets Manager value the EventBridge connection also sends). The key
 * is the secret's UTF-8 bytes: `whsec_` + base64(utf8(secret)), built by
 * `toStandardWebhooksKey`. A partner using any Standard Webhooks library
 * passes that string to `new Webhook(...)`; `verifyPlatformSignature` does
 * exactly that, so tests and partners verify the same way the platform signs.
 *
 * Network safety. Every attempt opens a fresh connection (no pooling) through
 * a connector that resolves the host itself, refuses the connection when any
 * resolved address is loopback, private, link-local, metadata, unique-local or
 * otherwise internal (`isInternalAddress`), and then connects to the very
 * address it checked. There is no second lookup, so DNS rebinding between
 * the check and the connect cannot slip through. Redirects are never
 * followed, the whole exchange (DNS, connect, TLS, headers, body) has one
 * deadline, and at most `MAX_CHALLENGE_RESPONSE_BYTES` of the body are read: enough for
 * the challenge echo the receiver must answer with, never kept or logged.
 *
 * `allowLoopback` exists for tests and the local runtime (receivers on
 * 127.0.0.1). It is a constructor option only: no environment variable or
 * deploy config reaches it, so no deployed function can turn it on.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, buildConnector, request } from 'undici';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { Clock, systemClock } from '../core/clock';
import { RandomSource, cryptoRandom, randomAlphanumeric } from '../core/random';
import { UrlPolicyOptions, UrlViolation, checkWebhookUrl, isInternalAddress } from '../core/url-policy';
import {
  ChallengeEcho,
  HttpOutcome,
  MAX_CHALLENGE_RESPONSE_BYTES,
  VerificationResult,
  buildChallenge,
  classifyOutcome,
  readChallengeEcho,
} from '../core/verification';

export { WebhookVerificationError };

/** The whole exchange, DNS to last body byte; EventBridge API destinations allow the same. */
export const DEFAULT_CHALLENGE_TIMEOUT_MS = 5_000;
const STANDARD_WEBHOOKS_PREFIX = 'whsec_';
const MESSAGE_ID_PREFIX = 'msg_';
const MESSAGE_ID_RANDOM_LENGTH = 24;
const USER_AGENT = 'partner-platform-webhook-verifier/1';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has; injected by tests to simulate DNS. */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The operating system's resolver, every address, in the order it returns them. */
export const systemResolveHost: ResolveHost = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** Why the connector refused to connect; carries no address so messages stay safe to log. */
export class BlockedAddressError extends Error {
  public readonly code = 'ERR_BLOCKED_ADDRESS';

  public constructor(hostname: string) {
    super(`refused to connect: ${hostname} resolves to a loopback, private, link-local or metadata address`);
    this.name = 'BlockedAddressError';
  }
}

export interface GuardedConnectorOptions {
  /** Loopback receivers (tests, local runtime). @default false */
  readonly allowLoopback?: boolean;
  /** @default the operating system's resolver */
  readonly resolveHost?: ResolveHost;
  /** TCP connect plus TLS handshake. @default DEFAULT_CHALLENGE_TIMEOUT_MS */
  readonly connectTimeoutMs?: number;
  /**
   * Certificate authorities to trust instead of Node's bundled ones, for
   * receivers with a self-signed certificate (tests, the local runtime).
   * @default Node's default CAs
   */
  readonly ca?: string | Buffer;
}

/**
 * An undici connector that only connects to addresses the URL policy allows,
 * checked on the address actually connected to. IP literals are checked as
 * they are; names are resolved here once and the socket goes to the checked
 * address (TLS still verifies the certificate against the name).
 */
export function createGuardedConnector(options: GuardedConnectorOptions = {}): buildConnector.connector {
  const resolveHost = options.resolveHost ?? systemResolveHost;
  const policy: UrlPolicyOptions = { allowLoopback: options.allowLoopback ?? false };
  const connect = buildConnector({
    timeout: options.connectTimeoutMs ?? DEFAULT_CHALLENGE_TIMEOUT_MS,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  return (connectOptions, callback) => {
    const hostname = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
    resolveAllowed(hostname, resolveHost, policy).then(
      (address) => {
        // `host` keeps the name, so undici still sends it as TLS SNI.
        connect({ ...connectOptions, hostname: address }, (error, socket) => {
          if (error !== null) return callback(error, null);
          const remote = socket.remoteAddress;
          // Belt and braces: the socket must be where the check said it would be.
          if (remote === undefined || isInternalAddress(remote, policy)) {
            socket.destroy();
            return callback(new BlockedAddressError(hostname), null);
          }
          return callback(null, socket);
        });
      },
      (error: Error) => callback(error, null),
    );
  };
}

async function resolveAllowed(hostname: string, resolveHost: ResolveHost, policy: UrlPolicyOptions): Promise<string> {
  const addresses =
    isIP(hostname) !== 0 ? [{ address: hostname, family: isIP(hostname) }] : await resolveHost(hostname);
  if (addresses.length === 0) {
    throw Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' });
  }
  // One internal address taints the name: a public answer next to a private
  // one is what a rebinding attack looks like.
  if (addresses.some(({ address }) => isIP(address) === 0 || isInternalAddress(address, policy))) {
    throw new BlockedAddressError(hostname);
  }
  return addresses[0].address;
}

/** The Standard Webhooks key for a platform webhook secret: `whsec_` + base64 of its UTF-8 bytes. */
export function toStandardWebhooksKey(secret: string): string {
  if (secret === '') throw new Error('webhook secret must not be empty');
  return STANDARD_WEBHOOKS_PREFIX + Buffer.from(secret, 'utf8').toString('base64');
}

/** The three Standard Webhooks headers for one message. */
export type SignatureHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/**
 * Signs `body` as the platform does for every message it sends. With several
 * secrets (during a secret rotation's overlap) the header carries one
 * signature per secret, space-separated, as Standard Webhooks specifies; a
 * receiver holding either secret accepts the message.
 */
export function signPlatformPayload(
  secrets: string | readonly string[],
  messageId: string,
  timestamp: Date,
  body: string,
): SignatureHeaders {
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  if (keys.length === 0) throw new Error('at least one webhook secret is needed to sign');
  return {
    'webhook-id': messageId,
    'webhook-timestamp': Math.floor(timestamp.getTime() / 1000).toString(),
    'webhook-signature': keys
      .map((secret) => new Webhook(toStandardWebhooksKey(secret)).sign(messageId, timestamp, body))
      .join(' '),
  };
}

/**
 * The receiving side's check, for partners' reference and for tests: the
 * signature must match the secret and the timestamp be within five minutes
 * of now (the library's tolerance).
 * @returns the parsed JSON body
 * @throws WebhookVerificationError when the signature or timestamp is wrong or a header is missing
 */
export function verifyPlatformSignature(
  secret: string,
  headers: IncomingHttpHeaders | Readonly<Record<string, string | readonly string[] | undefined>>,
  body: string | Buffer,
): unknown {
  const single: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') single[name.toLowerCase()] = value;
  }
  return new Webhook(toStandardWebhooksKey(secret)).verify(body, single);
}

/** What one attempt produced: an HTTP outcome, or a URL refused before any connection. */
export type ChallengeOutcome =
  HttpOutcome | { readonly kind: 'url-refused'; readonly violations: readonly UrlViolation[] };

export interface ChallengeAttempt {
  readonly outcome: ChallengeOutcome;
  /** `lastError` is built from fixed phrases, status codes and URL-rule messages only. */
  readonly result: VerificationResult;
  /** The `webhook-id` sent, so a partner can find the attempt in their logs. */
  readonly messageId: string;
  readonly durationMs: number;
}

export interface ChallengeRequest {
  readonly orgId: string;
  readonly webhookId: string;
  readonly url: string;
  /** The webhook's secret value; used to sign, never sent or returned. */
  readonly secret: string;
  /**
   * The secret being rotated out, while a rotation is under way: the
   * challenge carries a second signature made with it, so a partner who has
   * not switched keys yet still accepts the challenge.
   */
  readonly previousSecret?: string;
}

export interface ChallengeSenderOptions {
  /** Plain `http://` URLs, for dev only. @default false */
  readonly allowHttp?: boolean;
  /**
   * Loopback receivers, for tests and the local runtime only. Deliberately
   * not derived from any environment variable. @default false
   */
  readonly allowLoopback?: boolean;
  /** Deadline for the whole exchange. @default DEFAULT_CHALLENGE_TIMEOUT_MS (5000) */
  readonly timeoutMs?: number;
  /** @default the operating system's resolver */
  readonly resolveHost?: ResolveHost;
  /**
   * Sets `webhook-timestamp`. Receivers reject timestamps more than five
   * minutes from their own clock, so this stays the wall clock outside
   * tests of the signature itself. @default systemClock
   */
  readonly clock?: Clock;
  /** Challenge and message ids. @default node:crypto randomBytes */
  readonly random?: RandomSource;
  /** Certificate authorities to trust instead of Node's (self-signed test receivers). @default Node's default CAs */
  readonly ca?: string | Buffer;
}

/** Option check at construction: a zero or fractional timeout would make every attempt fail. */
function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Posts verification challenges. Holds one undici Agent; `close()` releases
 * it (tests; a Lambda keeps it for the life of the execution environment).
 */
export class ChallengeSender {
  public readonly timeoutMs: number;
  private readonly policy: UrlPolicyOptions;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly agent: Agent;

  public constructor(options: ChallengeSenderOptions = {}) {
    this.timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? DEFAULT_CHALLENGE_TIMEOUT_MS);
    this.policy = { allowHttp: options.allowHttp ?? false, allowLoopback: options.allowLoopback ?? false };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandom;
    this.agent = new Agent({
      connect: createGuardedConnector({
        allowLoopback: this.policy.allowLoopback,
        resolveHost: options.resolveHost,
        connectTimeoutMs: this.timeoutMs,
        ca: options.ca,
      }),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** Never throws for anything the partner's endpoint or network does; the outcome says what happened. */
  public async send(challengeRequest: ChallengeRequest): Promise<ChallengeAttempt> {
    const started = Date.now();
    const messageId = MESSAGE_ID_PREFIX + randomAlphanumeric(MESSAGE_ID_RANDOM_LENGTH, this.random);
    const outcome = await this.exchange(challengeRequest, messageId);
    return { outcome, result: toResult(outcome), messageId, durationMs: Date.now() - started };
  }

  public async close(): Promise<void> {
    await this.agent.close();
  }

  private async exchange(challengeRequest: ChallengeRequest, messageId: string): Promise<ChallengeOutcome> {
    const violations = checkWebhookUrl(challengeRequest.url, this.policy);
    if (violations.length > 0) return { kind: 'url-refused', violations };

    const challenge = buildChallenge({
      orgId: challengeRequest.orgId,
      webhookId: challengeRequest.webhookId,
      random: this.random,
    });
    const body = JSON.stringify(challenge);
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      ...signPlatformPayload(
        challengeRequest.previousSecret === undefined
          ? [challengeRequest.secret]
          : [challengeRequest.secret, challengeRequest.previousSecret],
        messageId,
        this.clock.now(),
        body,
      ),
    };

    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, this.timeoutMs);
    try {
      const response = await request(challengeRequest.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: deadline.signal,
        // A fresh connection per attempt: every attempt resolves and checks the address again.
        reset: true,
      });
      const echo = await this.readEcho(response.body, challenge.challenge);
      return { kind: 'response', status: response.statusCode, echo };
    } catch (error) {
      if (timedOut || hasCode(error, TIMEOUT_CODES)) return { kind: 'timeout', timeoutMs: this.timeoutMs };
      if (hasCode(error, new Set(['ERR_BLOCKED_ADDRESS']))) return { kind: 'blocked-address' };
      return { kind: 'connection-error', code: errorCodes(error)[0] };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads at most `MAX_CHALLENGE_RESPONSE_BYTES` (one more byte means too large) and judges it; the body goes no further. */
  private async readEcho(
    body: AsyncIterable<Buffer> & { destroy(): unknown },
    challenge: string,
  ): Promise<ChallengeEcho> {
    const chunks: Buffer[] = [];
    let read = 0;
    for await (const chunk of body) {
      chunks.push(chunk);
      read += chunk.length;
      if (read > MAX_CHALLENGE_RESPONSE_BYTES) break;
    }
    body.destroy();
    const text = Buffer.concat(chunks).subarray(0, MAX_CHALLENGE_RESPONSE_BYTES).toString('utf8');
    return readChallengeEcho(text, challenge, read > MAX_CHALLENGE_RESPONSE_BYTES);
  }
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function toResult(outcome: ChallengeOutcome): VerificationResult {
  if (outcome.kind !== 'url-refused') return classifyOutcome(outcome);
  // The invalid-url message quotes the raw URL, whose query may hold a partner's token.
  const reasons = outcome.violations.map((violation) =>
    violation.code === 'invalid-url' ? 'not a valid absolute URL' : violation.message,
  );
  return { ok: false, lastError: `URL refused: ${reasons.join('; ')}` };
}

/**
 * The `code` of the error or of the errors in its `cause` chain, outermost
 * first. Duck-typed: errors from Node internals may come from another realm
 * (jest's VM context), where `instanceof Error` is false.
 */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    current = cause;
  }
  return codes;
}

function hasCode(error: unknown, codes: ReadonlySet<string>): boolean {
  return errorCodes(error).some((code) => codes.has(code));
}
