/**
 * Webhook verification, as a handler over injected ports: which webhooks to
 * verify (a scheduled sweep of the due ones, or one named by a direct
 * invoke), the signed challenge, and the lifecycle transition from the core.
 *
 * Verification only records the result. It never touches EventBridge: a
 * config webhook's API destination is the template's (CloudFormation is its
 * truth), and a run-time webhook's destination is switched to the verified
 * URL by the provisioner (lambda/provisioner), which the saved record's
 * stream change wakes.
 *
 * Internal failures (secret unreadable, a store error) are not the partner's
 * fault: they leave the record untouched instead of spending the partner's
 * 24 h window, and are logged and counted as errors.
 */
import { z } from 'zod';
import { Clock } from '../core/clock';
import { DomainError, ValidationError } from '../core/errors';
import { WebhookRecord, onVerificationFailed, onVerificationSucceeded } from '../core/webhooks';
import { SecretStoreError } from '../shared/secret-store';
import type { ChallengeAttempt, ChallengeRequest } from './send-challenge';

/**
 * A stored webhook as verification sees it: the core record plus the fields
 * of the repository's record it reads. Core transitions keep every attribute
 * they do not own, so the rest of the stored item travels through unchanged.
 */
export interface VerifiableWebhook extends WebhookRecord {
  /** The Secrets Manager secret holding the webhook secret (the value is never stored here). */
  readonly secretArn?: string;
  /** The store's optimistic-lock token, carried from read to conditional write. */
  readonly version?: number;
  /** A secret rotation under way: challenges are then signed with the previous secret too. */
  readonly secretRotation?: { readonly previousVersionId: string };
}

/**
 * The slice of the webhooks repository verification uses. Kept narrow and
 * local so this handler depends on what it needs, not on the repository's
 * whole surface; `adapters.ts` adapts `WebhooksRepository` to it.
 */
export interface WebhookStore {
  get(orgId: string, webhookId: string): Promise<VerifiableWebhook | undefined>;
  /** Pending webhooks whose next attempt is due at or before `now`, earliest first, at most `limit`. */
  listDue(now: Date, limit: number): Promise<readonly VerifiableWebhook[]>;
  /**
   * Writes `next` only if the stored item is still `previous` (same url,
   * status and attempts), so a URL changed or a result saved meanwhile is
   * never overwritten.
   * @returns false when the item changed in between (nothing written)
   */
  saveIfUnchanged(previous: VerifiableWebhook, next: VerifiableWebhook): Promise<boolean>;
}

/** Reads a webhook secret's value by its ARN: the current version, or the one named. */
export interface SecretReader {
  getSecretString(secretArn: string, versionId?: string): Promise<string>;
}

/** Sends one challenge; `ChallengeSender` in production. */
export interface ChallengeTransport {
  /** The deadline of one attempt, so a sweep can stop starting attempts it cannot finish. */
  readonly timeoutMs: number;
  send(request: ChallengeRequest): Promise<ChallengeAttempt>;
}

/** Structured logging; the Powertools Logger fits. Attributes never hold secrets or URLs with queries. */
export interface VerificationLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/** Counters; the Powertools Metrics fits. */
export interface VerificationMetrics {
  addMetric(name: string, unit: 'Count', value: number): void;
}

export interface VerificationDependencies {
  readonly store: WebhookStore;
  readonly secrets: SecretReader;
  readonly transport: ChallengeTransport;
  /** Decides attempt times and the 24 h window; independent of the signature's wall-clock timestamp. */
  readonly clock: Clock;
  readonly logger: VerificationLogger;
  readonly metrics?: VerificationMetrics;
  /** Attempts in flight at once during a sweep. @default 8 */
  readonly concurrency?: number;
  /** Webhooks taken per sweep; the rest wait for the next one. @default 200 */
  readonly maxPerSweep?: number;
}

/** What happened to one webhook. */
export type WebhookVerification =
  | {
      readonly orgId: string;
      readonly webhookId: string;
      readonly outcome: 'verified';
    }
  | {
      readonly orgId: string;
      readonly webhookId: string;
      readonly outcome: 'retrying';
      readonly lastError: string;
      readonly nextAttemptAt: string;
    }
  | { readonly orgId: string; readonly webhookId: string; readonly outcome: 'failed'; readonly lastError: string }
  | {
      readonly orgId: string;
      readonly webhookId: string;
      readonly outcome: 'skipped';
      readonly reason: 'not-found' | 'not-pending' | 'not-due' | 'changed-meanwhile';
    }
  | { readonly orgId: string; readonly webhookId: string; readonly outcome: 'error'; readonly error: string };

export interface SweepResult {
  readonly action: 'sweep';
  readonly due: number;
  /** Due webhooks left for the next sweep because the invocation was running out of time. */
  readonly deferred: number;
  readonly counts: Readonly<Record<WebhookVerification['outcome'], number>>;
}

export interface DirectResult {
  readonly action: 'verify';
  readonly result: WebhookVerification;
}

/** Invocation events: the schedule's `{"action":"sweep"}` (or a plain scheduled event) and a direct `{orgId, webhookId}`. */
export const verificationEventSchema = z.union([
  z.object({ action: z.literal('sweep') }),
  z.object({ 'detail-type': z.literal('Scheduled Event') }).transform(() => ({ action: 'sweep' as const })),
  z
    .object({
      action: z.literal('verify').optional(),
      orgId: z.string().trim().min(1),
      webhookId: z.string().trim().min(1),
    })
    .transform(({ orgId, webhookId }) => ({ action: 'verify' as const, orgId, webhookId })),
]);
export type VerificationEvent = z.output<typeof verificationEventSchema>;

/** The part of the Lambda context used: how long the invocation has left. */
export interface InvocationContext {
  getRemainingTimeInMillis?(): number;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_MAX_PER_SWEEP = 200;
/** Time kept in hand after the last attempt for saving results and returning. */
const SWEEP_SAFETY_MARGIN_MS = 5_000;

/**
 * The verification handler. Each invocation gets its own secret cache, so a
 * rotated secret is picked up by the next invocation.
 * @throws ValidationError for an event that is neither a sweep nor `{orgId, webhookId}`
 */
export function createVerificationHandler(
  deps: VerificationDependencies,
): (event: unknown, context?: InvocationContext) => Promise<SweepResult | DirectResult> {
  return async (event, context) => {
    const parsed = verificationEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new ValidationError('expected {"action":"sweep"} or {"orgId":"...","webhookId":"..."}', {
        field: 'event',
      });
    }
    const verifier = new Verifier(deps, cachedPerInvocation(deps.secrets));
    if (parsed.data.action === 'sweep') return verifier.sweep(context);
    const result = await verifier.verifyById(parsed.data.orgId, parsed.data.webhookId);
    return { action: 'verify', result };
  };
}

/** Reads each secret version at most once per invocation; concurrent reads share one request. */
export function cachedPerInvocation(reader: SecretReader): SecretReader {
  const cache = new Map<string, Promise<string>>();
  return {
    getSecretString: (secretArn, versionId) => {
      const cacheKey = `${secretArn}\n${versionId ?? ''}`;
      let value = cache.get(cacheKey);
      if (value === undefined) {
        value = reader.getSecretString(secretArn, versionId);
        // A failed read is not cached, so a later webhook with the same secret may retry it.
        value.catch(() => cache.delete(cacheKey));
        cache.set(cacheKey, value);
      }
      return value;
    },
  };
}

class Verifier {
  public constructor(
    private readonly deps: VerificationDependencies,
    private readonly secrets: SecretReader,
  ) {}

  public async verifyById(orgId: string, webhookId: string): Promise<WebhookVerification> {
    const record = await this.deps.store.get(orgId, webhookId);
    if (record === undefined) {
      return this.report({ orgId, webhookId, outcome: 'skipped', reason: 'not-found' });
    }
    return this.verify(record);
  }

  public async sweep(context: InvocationContext | undefined): Promise<SweepResult> {
    const due = await this.deps.store.listDue(this.deps.clock.now(), this.deps.maxPerSweep ?? DEFAULT_MAX_PER_SWEEP);
    // Published on every sweep, zero included, so a stuck backlog shows on a graph.
    this.deps.metrics?.addMetric('WebhookVerificationsDue', 'Count', due.length);
    const results: WebhookVerification[] = [];
    let next = 0;
    let deferred = 0;
    const hasTimeFor = (): boolean => {
      const remaining = context?.getRemainingTimeInMillis?.();
      return remaining === undefined || remaining > this.deps.transport.timeoutMs + SWEEP_SAFETY_MARGIN_MS;
    };
    const worker = async (): Promise<void> => {
      while (next < due.length) {
        if (!hasTimeFor()) {
          deferred += due.length - next;
          next = due.length;
          return;
        }
        const candidate = due[next];
        next += 1;
        results.push(await this.verifyIfStillDue(candidate));
      }
    };
    const workers = Math.max(1, Math.min(this.deps.concurrency ?? DEFAULT_CONCURRENCY, due.length));
    await Promise.all(Array.from({ length: workers }, worker));

    const counts = { verified: 0, retrying: 0, failed: 0, skipped: 0, error: 0 };
    for (const result of results) counts[result.outcome] += 1;
    this.deps.logger.info('verification sweep finished', { due: due.length, deferred, ...counts });
    return { action: 'sweep', due: due.length, deferred, counts };
  }

  /**
   * The due index is eventually consistent: the webhook is read again
   * (strongly) so one verified or changed a moment ago is not challenged twice.
   */
  private async verifyIfStillDue(candidate: VerifiableWebhook): Promise<WebhookVerification> {
    const { orgId, webhookId } = candidate;
    let current: VerifiableWebhook | undefined;
    try {
      current = await this.deps.store.get(orgId, webhookId);
    } catch (error) {
      return this.report({ orgId, webhookId, outcome: 'error', error: describeError(error) });
    }
    if (current === undefined) return this.report({ orgId, webhookId, outcome: 'skipped', reason: 'not-found' });
    if (
      current.status === 'pending' &&
      (current.dueAt === undefined || current.dueAt > this.deps.clock.now().toISOString())
    ) {
      return this.report({ orgId, webhookId, outcome: 'skipped', reason: 'not-due' });
    }
    return this.verify(current);
  }

  /** Never throws: whatever goes wrong becomes this webhook's result. */
  private async verify(record: VerifiableWebhook): Promise<WebhookVerification> {
    const { orgId, webhookId } = record;
    try {
      if (record.status !== 'pending') {
        return this.report({ orgId, webhookId, outcome: 'skipped', reason: 'not-pending' });
      }
      if (record.secretArn === undefined) {
        return this.report({ orgId, webhookId, outcome: 'error', error: 'webhook has no secretArn' });
      }
      const secret = await this.secrets.getSecretString(record.secretArn);
      const previousSecret = await this.previousSecret(record, record.secretArn);
      const attempt = await this.deps.transport.send({
        orgId,
        webhookId,
        url: record.url,
        secret,
        ...(previousSecret === undefined ? {} : { previousSecret }),
      });
      this.deps.logger.info('verification attempt', {
        orgId,
        webhookId,
        host: hostOf(record.url),
        outcome: attempt.outcome.kind,
        ...(attempt.result.ok ? {} : { lastError: attempt.result.lastError }),
        attempt: record.attempts + 1,
        durationMs: attempt.durationMs,
        messageId: attempt.messageId,
      });
      return attempt.result.ok ? await this.succeeded(record) : await this.failed(record, attempt.result.lastError);
    } catch (error) {
      return this.report({ orgId, webhookId, outcome: 'error', error: describeError(error) });
    }
  }

  /** The secret being rotated out, when a rotation is under way; signing without it is the fallback. */
  private async previousSecret(record: VerifiableWebhook, secretArn: string): Promise<string | undefined> {
    const versionId = record.secretRotation?.previousVersionId;
    if (versionId === undefined) return undefined;
    try {
      return await this.secrets.getSecretString(secretArn, versionId);
    } catch (error) {
      this.deps.logger.warn('previous webhook secret unreadable; signing with the current one only', {
        orgId: record.orgId,
        webhookId: record.webhookId,
        error: describeError(error),
      });
      return undefined;
    }
  }

  private async succeeded(record: VerifiableWebhook): Promise<WebhookVerification> {
    const { orgId, webhookId } = record;
    const next: VerifiableWebhook = onVerificationSucceeded(record, this.deps.clock);
    if (!(await this.deps.store.saveIfUnchanged(record, next))) {
      return this.report({ orgId, webhookId, outcome: 'skipped', reason: 'changed-meanwhile' });
    }
    return this.report({ orgId, webhookId, outcome: 'verified' });
  }

  private async failed(record: VerifiableWebhook, lastError: string): Promise<WebhookVerification> {
    const { orgId, webhookId } = record;
    const next: VerifiableWebhook = onVerificationFailed(record, lastError, this.deps.clock);
    if (!(await this.deps.store.saveIfUnchanged(record, next))) {
      return this.report({ orgId, webhookId, outcome: 'skipped', reason: 'changed-meanwhile' });
    }
    const saved = next.lastError ?? lastError;
    if (next.status === 'failed') return this.report({ orgId, webhookId, outcome: 'failed', lastError: saved });
    return this.report({
      orgId,
      webhookId,
      outcome: 'retrying',
      lastError: saved,
      nextAttemptAt: next.nextAttemptAt ?? '',
    });
  }

  private report(result: WebhookVerification): WebhookVerification {
    const { logger, metrics } = this.deps;
    switch (result.outcome) {
      case 'verified':
        metrics?.addMetric('WebhookVerified', 'Count', 1);
        logger.info('webhook verified', { ...result });
        break;
      case 'retrying':
        metrics?.addMetric('WebhookVerificationRetrying', 'Count', 1);
        logger.info('webhook verification failed; will retry', { ...result });
        break;
      case 'failed':
        metrics?.addMetric('WebhookVerificationFailed', 'Count', 1);
        logger.warn('webhook verification gave up after its 24 h window', { ...result });
        break;
      case 'skipped':
        logger.info('webhook verification skipped', { ...result });
        break;
      case 'error':
        metrics?.addMetric('WebhookVerificationError', 'Count', 1);
        logger.error('webhook verification could not run', { ...result });
        break;
    }
    return result;
  }
}

/** Only the host is logged: partners sometimes put a token in the path or query. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * Errors whose messages are written to be safe (they name ids and the AWS
 * error, never a value) are reported with their message; anything else by
 * name only, since e.g. an SDK or HTTP error message could echo input.
 */
function describeError(error: unknown): string {
  if (error instanceof DomainError || error instanceof SecretStoreError) {
    return `${error.name}: ${error.message}`;
  }
  if (typeof error !== 'object' || error === null) return 'NonError';
  const { name } = error as { name?: unknown };
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_.]{0,79}$/.test(name) ? name : 'Error';
}
