/**
 * Each org's partner API token bucket (lambda/core/rate-limit.ts), stored
 * as one small item of the tenants table keyed
 * `rate-limit#partner-api#<orgId>` (an orgId never holds `#`, so no tenant,
 * session or membership key can collide; no list bucket, so the tenants
 * listing never returns it) whose only state is the TAT in microseconds.
 *
 * An admission is one conditional UpdateItem, with no read before it: the
 * two cases of {@link admissionBounds} are conditions on the stored TAT
 * (`tat <= now` → start a fresh bucket; `now < tat <= latest` → `ADD tat
 * interval`), so DynamoDB checks and moves the TAT atomically and
 * concurrent requests across Lambda containers cannot overshoot the burst.
 * A failed condition returns the stored item (ReturnValuesOnConditionCheckFailure),
 * from which the next case or the refusal's Retry-After follows. The TAT
 * only ever grows, so a request takes at most two writes and never loops.
 * A refused request writes nothing. The item expires by TTL once the bucket
 * is full again, like the portal's other short-lived items.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Clock } from '../core/clock';
import { TenantsTable } from '../core/data-model';
import {
  MICROS_PER_SECOND,
  type RateDecision,
  type RateLimitPolicy,
  admissionBounds,
  decideAdmission,
  microsOf,
} from '../core/rate-limit';
import { requiredString } from '../shared/env';
import { isConditionalCheckFailed } from './dynamo-support';

export const PARTNER_API_RATE_LIMIT_KEY_PREFIX = 'rate-limit#partner-api#';

/** The partner API function's variables for its org limit (set by lib/platform-api.ts from config). */
export const PARTNER_RATE_LIMIT_ENV = {
  requestsPerSecond: 'PARTNER_RATE_LIMIT_PER_SECOND',
  burst: 'PARTNER_RATE_LIMIT_BURST',
} as const;

/** Spread into a handler's environment schema (lambda/shared/env.ts `readEnv`). */
export const partnerRateLimitEnvironment = {
  [PARTNER_RATE_LIMIT_ENV.requestsPerSecond]: requiredString.pipe(
    z.coerce.number<string>({ error: 'must be a number' }).positive('must be above 0'),
  ),
  [PARTNER_RATE_LIMIT_ENV.burst]: requiredString.pipe(
    z.coerce
      .number<string>({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1'),
  ),
};

/** The policy in an environment read with {@link partnerRateLimitEnvironment}. */
export function partnerRateLimitOf(env: {
  readonly [PARTNER_RATE_LIMIT_ENV.requestsPerSecond]: number;
  readonly [PARTNER_RATE_LIMIT_ENV.burst]: number;
}): RateLimitPolicy {
  return {
    requestsPerSecond: env[PARTNER_RATE_LIMIT_ENV.requestsPerSecond],
    burst: env[PARTNER_RATE_LIMIT_ENV.burst],
  };
}
const TAT_ATTRIBUTE = 'tatMicros';
/** Kept a little past the moment the bucket is full again, so TTL never removes a live TAT. */
const KEEP_SECONDS = 60;
/** Fresh bucket, then room for one more: the TAT only grows, so two writes always decide. */
const MAX_WRITES = 2;

/** What the partner API asks before it runs a route. */
export interface OrgRateLimiter {
  /** Admits or refuses one call of `orgId` now. */
  take(orgId: string): Promise<RateDecision>;
}

export class OrgRateLimit implements OrgRateLimiter {
  public constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tenantsTableName: string,
    public readonly policy: RateLimitPolicy,
    private readonly clock: Clock,
  ) {
    admissionBounds(0, policy); // a policy no bucket can hold fails here, not on the first request
  }

  public async take(orgId: string): Promise<RateDecision> {
    let stored: number | undefined;
    let writes = 0;
    // The first write assumes a full bucket (most calls of most partners); its failure tells the TAT.
    for (;;) {
      // Read per attempt: a write that waited in a queue decides on the time it is sent.
      const nowMicros = microsOf(this.clock.now());
      const decision = decideAdmission(nowMicros, stored, this.policy);
      if (!decision.allowed || writes === MAX_WRITES) return refusedIfExhausted(decision, nowMicros, this.policy);
      writes += 1;
      const result = await this.admit(orgId, nowMicros, stored);
      if (result.admitted) return decision;
      stored = result.storedTatMicros;
    }
  }

  /** One conditional write of the case `stored` says applies; on failure, the TAT actually stored. */
  private async admit(
    orgId: string,
    nowMicros: number,
    stored: number | undefined,
  ): Promise<{ admitted: true } | { admitted: false; storedTatMicros: number | undefined }> {
    const { intervalMicros, freshTatMicros, latestAdmittedTatMicros } = admissionBounds(nowMicros, this.policy);
    const full = stored === undefined || stored <= nowMicros;
    const deleteAfter = Math.ceil((nowMicros + this.policy.burst * intervalMicros) / MICROS_PER_SECOND) + KEEP_SECONDS;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tenantsTableName,
          Key: { [TenantsTable.partitionKey]: `${PARTNER_API_RATE_LIMIT_KEY_PREFIX}${orgId}` },
          ...(full
            ? {
                UpdateExpression: 'SET #tat = :fresh, #ttl = :ttl',
                ConditionExpression: 'attribute_not_exists(#tat) OR #tat <= :now',
                ExpressionAttributeValues: { ':fresh': freshTatMicros, ':now': nowMicros, ':ttl': deleteAfter },
              }
            : {
                UpdateExpression: 'ADD #tat :interval SET #ttl = :ttl',
                ConditionExpression: '#tat > :now AND #tat <= :latest',
                ExpressionAttributeValues: {
                  ':interval': intervalMicros,
                  ':now': nowMicros,
                  ':latest': latestAdmittedTatMicros,
                  ':ttl': deleteAfter,
                },
              }),
          ExpressionAttributeNames: { '#tat': TAT_ATTRIBUTE, '#ttl': TenantsTable.timeToLiveAttribute },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { admitted: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { admitted: false, storedTatMicros: storedTatOf(error) };
    }
  }
}

/** The TAT in the item a failed condition returned (raw attribute values: the document client does not convert errors). */
function storedTatOf(error: unknown): number | undefined {
  const item = (error as { Item?: Record<string, { N?: string }> }).Item;
  const value = item?.[TAT_ATTRIBUTE]?.N;
  return value === undefined ? undefined : Number(value);
}

/**
 * The decision once the writes are spent. Cannot be `allowed` while the TAT
 * only grows; if it ever were (a clock far behind the stored TAT's writer),
 * refusing for one interval is the safe answer.
 */
function refusedIfExhausted(decision: RateDecision, nowMicros: number, policy: RateLimitPolicy): RateDecision {
  if (!decision.allowed) return decision;
  const { intervalMicros } = admissionBounds(nowMicros, policy);
  return {
    allowed: false,
    retryAfterMicros: intervalMicros,
    retryAfterSeconds: Math.max(1, Math.ceil(intervalMicros / MICROS_PER_SECOND)),
  };
}
