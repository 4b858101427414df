/**
 * Key usage for both APIs and the portal: the key is found in the org the
 * caller may see (the partner's own, the admin's path orgId, the portal
 * member's org), so another org's key id is simply not found (404); then one
 * Query of its hours, rolled up to the asked granularity, with every bucket
 * of the range present (zeros included) so charts and tables show gaps.
 */
import type { z } from 'zod';
import type { Clock } from '../core/clock';
import type { RateLimitPolicy } from '../core/rate-limit';
import {
  type UsageBucket,
  type UsageWindowInput,
  atGranularity,
  fillSeries,
  resolveUsageWindow,
  statusClassesOf,
  summarizeUsage,
} from '../core/usage';
import type { ApiKeysRepository } from '../repositories/api-keys-repository';
import type { UsageRepository } from '../repositories/usage-repository';
import type { usageView } from './routes';

export interface UsageRouteDependencies {
  readonly keys: Pick<ApiKeysRepository, 'requireById'>;
  /** @default none: the routes answer 500 (a function deployed without the usage table) */
  readonly usage?: Pick<UsageRepository, 'hourly'>;
  readonly clock: Clock;
  /** The per-org limit in force on the partner API, shown with the usage. @default none shown */
  readonly rateLimit?: { readonly policy: RateLimitPolicy };
}

export type UsageView = z.input<typeof usageView>;

function bucketView(bucket: UsageBucket) {
  return {
    start: bucket.start,
    requests: bucket.requests,
    statusClasses: statusClassesOf(bucket.byStatus),
    byStatus: bucket.byStatus,
  };
}

/** @throws NotFoundError for a key id the org does not have; ValidationError for a bad range. */
export async function keyUsage(
  deps: UsageRouteDependencies,
  orgId: string,
  keyId: string,
  query: UsageWindowInput,
): Promise<UsageView> {
  if (deps.usage === undefined) throw new Error('usage is not configured for this function (USAGE_TABLE)');
  const window = resolveUsageWindow(query, deps.clock.now());
  const key = await deps.keys.requireById(orgId, keyId);
  const buckets = atGranularity(await deps.usage.hourly(orgId, keyId, window), window.granularity);
  const { lastUsedAt: _inRange, ...totals } = summarizeUsage(buckets);
  return {
    orgId,
    keyId,
    granularity: window.granularity,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    lastUsedAt: key.lastUsedAt ?? null,
    rateLimit: deps.rateLimit === undefined ? null : { ...deps.rateLimit.policy },
    totals,
    buckets: fillSeries(buckets, window).map(bucketView),
  };
}
