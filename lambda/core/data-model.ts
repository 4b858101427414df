/**
 * Table, attribute and index names shared by the table constructs
 * (lib/platform-tables.ts) and the repositories in lambda/, so that neither
 * side ever retypes a name. Every access pattern in DESIGN.md is one GetItem
 * or Query against a key or index declared here; none needs a Scan.
 */
import type { KeyEnvironment } from './api-keys';

/** Tenants: orgId -> tenant. */
export const TenantsTable = {
  partitionKey: 'orgId',
  /**
   * Every tenant, in orgId order, for the admin listing: one partition
   * (`listBucket` = {@link TENANT_LIST_BUCKET}) holding one small item per
   * partner, so listing is a paginated Query rather than a Scan.
   */
  byListIndex: { name: 'byList', partitionKey: 'listBucket', sortKey: 'orgId' },
  // The same index also groups the portal's small items by other buckets
  // (see {@link tenantItemBucket}): an org's members, pending invitations and
  // activity, a user's sessions. The tenant listing reads only its own bucket.
  /**
   * Epoch seconds after which DynamoDB deletes the item: set only on the
   * portal's short-lived items (sessions, reveal nonces), never on a tenant.
   */
  timeToLiveAttribute: 'deleteAfter',
} as const;

/**
 * The tenant item's count of the org's live (active or expiring) keys, one
 * attribute per key environment. Every transaction that makes a key live or
 * ends it changes the count with a condition, so the key policy's limit holds
 * in DynamoDB itself however many requests race. Tenant items from before
 * environments hold `activeKeyHash` instead (their one live key, a
 * production key) until their first key change converts them.
 */
export const LIVE_KEY_COUNTERS: Readonly<Record<KeyEnvironment, string>> = {
  development: 'liveDevelopmentKeys',
  production: 'liveProductionKeys',
};

/** The `listBucket` of every tenant item. */
export const TENANT_LIST_BUCKET = 'tenant';

/**
 * The `listBucket` of the portal's grouped items, so that "an org's members"
 * (or invitations, or activity; or a user's sessions) is one Query of the
 * list index. The owner is an orgId or a hashed user key: neither can contain
 * `#`, so `members#acme` never reads `members#acme-evil`, and no bucket
 * equals {@link TENANT_LIST_BUCKET}.
 */
export function tenantItemBucket(kind: 'members' | 'invitations' | 'activity' | 'sessions', owner: string): string {
  return `${kind}#${owner}`;
}

/**
 * The `listBucket` of the API stages that attach PartnerKeyAuthorizer
 * (lib/partner-key-authorizer.ts registers each on deploy): revoke, rotate
 * and disable flush the authorizer cache of every one, read with one Query.
 */
export const AUTHORIZER_STAGE_BUCKET = 'authorizer-stage';

/** An API Gateway stage whose authorizer cache key changes flush. */
export interface AuthorizerStage {
  readonly restApiId: string;
  readonly stageName: string;
}

/**
 * The tenants-table item that registers a stage. Its key holds `#`, which no
 * orgId can, so it never reads as a tenant, and the construct's write is
 * limited to exactly this key (`dynamodb:LeadingKeys`).
 */
export function authorizerStageItem(stage: AuthorizerStage): Record<string, string> {
  return {
    [TenantsTable.partitionKey]: `${AUTHORIZER_STAGE_BUCKET}#${stage.restApiId}#${stage.stageName}`,
    [TenantsTable.byListIndex.partitionKey]: AUTHORIZER_STAGE_BUCKET,
    restApiId: stage.restApiId,
    stageName: stage.stageName,
  };
}

/**
 * API keys, keyed by the SHA-256 hash of the key so the authorizer's lookup
 * is a single strongly consistent GetItem. The plaintext is never stored.
 */
export const ApiKeysTable = {
  partitionKey: 'keyHash',
  /** orgId -> keys, newest last. */
  byOrgIndex: { name: 'byOrg', partitionKey: 'orgId', sortKey: 'createdAt' },
  /**
   * Sparse index of keys with a pending lifecycle transition (grace end,
   * expiry warning, expiry): the sweep queries `dueAt <= now` instead of
   * scanning. Keys with nothing due carry no `dueBucket`.
   */
  byDueIndex: { name: 'byDue', partitionKey: 'dueBucket', sortKey: 'dueAt' },
} as const;

/** Webhooks: orgId -> webhooks (Query), (orgId, webhookId) -> webhook (GetItem). */
export const WebhooksTable = {
  partitionKey: 'orgId',
  sortKey: 'webhookId',
  /** webhookId -> webhook, for callers that only hold the id. */
  byWebhookIdIndex: { name: 'byWebhookId', partitionKey: 'webhookId' },
  /** Sparse index of webhooks whose verification retry is due. */
  byDueIndex: { name: 'byDue', partitionKey: 'dueBucket', sortKey: 'dueAt' },
} as const;

/** The single value of `dueBucket`: the sparse due-indexes hold few items. */
export const DUE_BUCKET = 'due';

/**
 * Failed deliveries and the replays of them, per webhook: partition
 * `orgId#webhookId` (an exact key, so `acme` never reads `acme-evil`), sort
 * key `f#<event time>#<event id>` for a failure and `r#<request id>` for a
 * replay, so "failures of a webhook since T" is one Query. DynamoDB's TTL
 * removes items at `expiresAt` (epoch seconds).
 */
export const FailedDeliveriesTable = {
  partitionKey: 'webhookKey',
  sortKey: 'entryKey',
  timeToLiveAttribute: 'expiresAt',
} as const;

/**
 * Per-key usage, one item per key and UTC hour: partition `orgId#keyId`
 * (an exact key: orgIds and key ids hold no `#`, so `acme` never reads
 * `acme-evil`), sort key the hour's ISO start, so "a key's usage from T1 to
 * T2" is one Query. Counters are ADDed (`requests`, and one `s<code>` per
 * HTTP status); DynamoDB's TTL removes items at `expiresAt` (epoch seconds),
 * 90 days on. The same table holds the ingestion's per-batch markers
 * (partition `batch#<id>`), which make a redelivered log batch count once.
 */
export const UsageTable = {
  partitionKey: 'usageKey',
  sortKey: 'bucketStart',
  timeToLiveAttribute: 'expiresAt',
} as const;

/** The usage partition of one key. */
export function usagePartition(orgId: string, keyId: string): string {
  return `${orgId}#${keyId}`;
}
