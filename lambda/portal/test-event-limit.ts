/**
 * How many test events an org may send: a fixed window per minute, counted
 * in one small item of the tenants table per org and window, keyed
 * `rate-limit#test-events#<orgId>#<window start>` (an orgId never holds
 * `#`, so no tenant or membership key can collide; no list bucket, so the
 * tenants listing never returns it). Taking a slot is one conditional
 * UpdateItem (ADD under `count < limit`), so concurrent sends across
 * Lambda containers cannot overshoot; the item expires by TTL.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TenantsTable } from '../core/data-model';
import { isConditionalCheckFailed } from '../repositories/dynamo-support';

export const TEST_EVENT_LIMIT_KEY_PREFIX = 'rate-limit#test-events#';
/** The portal setting (environment variable) that overrides the budget. */
export const TEST_EVENTS_PER_MINUTE_ENV = 'TEST_EVENTS_PER_MINUTE';
/** The default budget: test events per org per minute. */
export const DEFAULT_TEST_EVENTS_PER_MINUTE = 10;
const WINDOW_SECONDS = 60;
/** Kept a little past its window so a late read never sees a fresh count. */
const KEEP_SECONDS = 2 * WINDOW_SECONDS;

export type SlotDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export class TestEventLimit {
  public constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tenantsTableName: string,
    private readonly perMinute: number,
  ) {}

  /** Takes one slot of the org's current window, or says how long until the next window. */
  public async take(orgId: string, nowSeconds: number): Promise<SlotDecision> {
    const windowStart = nowSeconds - (nowSeconds % WINDOW_SECONDS);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tenantsTableName,
          Key: { [TenantsTable.partitionKey]: `${TEST_EVENT_LIMIT_KEY_PREFIX}${orgId}#${windowStart}` },
          UpdateExpression: 'ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': TenantsTable.timeToLiveAttribute },
          ExpressionAttributeValues: { ':one': 1, ':limit': this.perMinute, ':ttl': windowStart + KEEP_SECONDS },
        }),
      );
      return { allowed: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { allowed: false, retryAfterSeconds: windowStart + WINDOW_SECONDS - nowSeconds };
    }
  }
}
