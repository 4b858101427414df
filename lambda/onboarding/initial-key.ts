/**
 * The partner's initial API key, made crash-safe and idempotent.
 *
 * The plaintext must reach the pickup secret exactly when the key exists:
 * a key without a pickup would be a key nobody can use, and a second key
 * would take a second place in the key policy. So the order is fixed:
 *
 *   1. the pickup secret gets the plaintext of a key that is NOT stored yet;
 *   2. the key the pickup secret holds is committed (the tenant's live-key
 *      count and the key record in one DynamoDB transaction).
 *
 * Every run starts from what is stored, so a crash or a duplicate request at
 * any point converges:
 *
 * - the tenant already has a live key           -> nothing to do;
 * - no pickup secret                            -> create it (CreateSecret; if
 *   a concurrent run created it first, use theirs) and go on;
 * - the pickup holds a key that is not stored   -> commit that key (this is
 *   the recovery of a crash between 1 and 2);
 * - the pickup holds a key that is stored and live -> a concurrent run
 *   committed it since the tenant was read; the next pass returns it;
 * - the pickup holds a key that is stored but no longer live (the partner
 *   was offboarded and comes back)              -> the pickup is stale:
 *   write a new key to it with PutSecretValue, using a ClientRequestToken
 *   derived from the stale version, so that racing runs can write only one
 *   value for it (the loser gets SecretVersionConflictError and re-reads).
 *
 * The key record committed is always rebuilt from the pickup's content, so
 * the stored hash is by construction the hash of the plaintext the partner
 * picks up.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  type ApiKeyRecord,
  hashApiKey,
  isWellFormedApiKey,
  issueKey,
  type IssuedKey,
  type KeyEnvironment,
  LEGACY_KEY_NAME,
  keyPrefix,
  last4,
  sweepDecision,
} from '../core/api-keys';
import type { Clock } from '../core/clock';
import { ConflictError } from '../core/errors';
import type { RandomSource } from '../core/random';
import type { ApiKeysRepository } from '../repositories/api-keys-repository';
import type { TenantsRepository } from '../repositories/tenants-repository';
import { type SecretStore, SecretVersionConflictError } from '../shared/secret-store';

/** Who the key records name as their creator. */
export const ONBOARDING_CREATOR = 'onboarding';
/** The initial key is the org's production key, named as keys from before names read. */
const INITIAL_KEY_NAME = LEGACY_KEY_NAME;
const INITIAL_KEY_ENVIRONMENT: KeyEnvironment = 'production';
/** Each pass changes at most one thing; more passes than this mean something keeps interfering. */
const MAX_PASSES = 6;

/** What the partner reads from the pickup secret (JSON). */
const pickupContentSchema = z.object({
  orgId: z.string(),
  keyId: z.string(),
  apiKey: z.string().refine(isWellFormedApiKey),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
});
type PickupContent = z.output<typeof pickupContentSchema>;

export interface InitialKeyDependencies {
  readonly tenants: TenantsRepository;
  readonly keys: ApiKeysRepository;
  readonly secrets: SecretStore;
  readonly clock: Clock;
  /** Secret name prefix; the pickup is `${prefix}${orgId}/initial-api-key`. */
  readonly pickupSecretPrefix: string;
  /** @default node:crypto randomBytes */
  readonly random?: RandomSource;
}

export interface InitialKeyResult {
  readonly keyId: string;
  /** First 8 characters, safe to log. */
  readonly keyPrefix: string;
  /** False when the org already had its live key. */
  readonly issued: boolean;
  readonly pickupSecretName: string;
}

export function pickupSecretName(prefix: string, orgId: string): string {
  return `${prefix}${orgId}/initial-api-key`;
}

/**
 * Makes sure the org has a live key whose plaintext sits in its pickup
 * secret, issuing one only when it has none.
 * @throws ConflictError when the state kept changing underneath (retry the request).
 */
export async function ensureInitialKey(
  orgId: string,
  validityDays: number | 'never',
  deps: InitialKeyDependencies,
): Promise<InitialKeyResult> {
  const name = pickupSecretName(deps.pickupSecretPrefix, orgId);
  let committed = false;
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    await deps.tenants.require(orgId);
    const live = await deps.keys.getActive(orgId);
    if (live !== undefined) {
      return {
        keyId: live.keyId,
        keyPrefix: live.prefix,
        issued: committed,
        pickupSecretName: name,
      };
    }

    const pickup = await deps.secrets.getSecretValue(name);
    if (pickup === undefined) {
      const issued = newKey(orgId, validityDays, deps);
      // Created, or lost to a concurrent run: either way the next pass reads what is there.
      await deps.secrets.createSecret({
        name,
        value: serialise(issued),
        description: `partner-platform initial API key of ${orgId}, for one-time pickup`,
        tags: { 'partner-platform:org-id': orgId, 'partner-platform:purpose': 'api-key-pickup' },
      });
      continue;
    }

    const record = recordFromPickup(pickup.value, orgId, deps.clock);
    const stored = record === undefined ? undefined : await deps.keys.getByHash(record.keyHash);
    // A key is stored only together with the tenant's count: a live one was
    // committed by a concurrent run since the tenant was read, and the next pass sees it.
    if (stored !== undefined && (stored.status === 'active' || stored.status === 'expiring')) continue;
    if (record === undefined || stored !== undefined) {
      const issued = newKey(orgId, validityDays, deps);
      try {
        await deps.secrets.putSecretValue({
          secretId: name,
          value: serialise(issued),
          clientRequestToken: replacementToken(orgId, pickup.versionId),
        });
      } catch (error) {
        if (!(error instanceof SecretVersionConflictError)) throw error;
      }
      continue;
    }

    try {
      await deps.keys.commitKey(record);
      committed = true;
    } catch (error) {
      // Another key became live meanwhile (a concurrent run, an admin): the next pass sees it.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`the initial API key of org ${orgId} could not be settled; retry the request`);
}

function newKey(orgId: string, validityDays: number | 'never', deps: InitialKeyDependencies): IssuedKey {
  return issueKey({
    orgId,
    validityDays,
    name: INITIAL_KEY_NAME,
    environment: INITIAL_KEY_ENVIRONMENT,
    createdBy: ONBOARDING_CREATOR,
    clock: deps.clock,
    ...(deps.random === undefined ? {} : { random: deps.random }),
  });
}

function serialise(issued: IssuedKey): string {
  const content: PickupContent = {
    orgId: issued.record.orgId,
    keyId: issued.record.keyId,
    apiKey: issued.plaintext,
    createdAt: issued.record.createdAt,
    ...(issued.record.expiresAt === undefined ? {} : { expiresAt: issued.record.expiresAt }),
  };
  return JSON.stringify(content);
}

/**
 * The record of the key a pickup secret holds, with status and due index as
 * the sweep would compute them now; undefined when the content is not a
 * usable key of this org (edited by hand, or expired before it was stored).
 */
function recordFromPickup(value: string, orgId: string, clock: Clock): ApiKeyRecord | undefined {
  let content: PickupContent;
  try {
    const parsed = pickupContentSchema.safeParse(JSON.parse(value));
    if (!parsed.success) return undefined;
    content = parsed.data;
  } catch {
    return undefined;
  }
  if (content.orgId !== orgId) return undefined;
  const base: ApiKeyRecord = {
    keyHash: hashApiKey(content.apiKey),
    keyId: content.keyId,
    orgId,
    prefix: keyPrefix(content.apiKey),
    last4: last4(content.apiKey),
    status: 'active',
    createdAt: content.createdAt,
    name: INITIAL_KEY_NAME,
    environment: INITIAL_KEY_ENVIRONMENT,
    createdBy: ONBOARDING_CREATOR,
    ...(content.expiresAt === undefined ? {} : { expiresAt: content.expiresAt }),
  };
  const { record } = sweepDecision(base, clock.now());
  return record.status === 'revoked' ? undefined : record;
}

/**
 * One token per stale pickup version: every run that finds the same stale
 * version writes under the same version id, so only one new key can win.
 * Secrets Manager wants 32-64 characters.
 */
function replacementToken(orgId: string, staleVersionId: string): string {
  return createHash('sha256').update(`pickup-replacement:${orgId}:${staleVersionId}`).digest('hex');
}
