/**
 * The partner API's REQUEST authorizer: `X-API-Key` -> SHA-256 -> one
 * GetItem on the key's hash (never a scan). Unknown, malformed, expired,
 * revoked and past-grace keys all get the same 401 ("Unauthorized" is the
 * error API Gateway turns into a 401), so a caller cannot tell them apart.
 *
 * The policy allows every partner route of this stage, because API Gateway
 * caches it per key (identity source: the header) for up to 30 s and reuses
 * it across routes. Two things keep that cache from outliving a key:
 *
 * - revoke, rotate and tenant disable flush the stage's authorizer cache
 *   (ApiKeysRepository's `flushAuthorizerCache`), so those bite at once;
 * - API Gateway REST cannot take a TTL from the authorizer's answer, so a
 *   key whose end of use (`expiresAt`, or `graceEndsAt` in grace) is less
 *   than one cache TTL away is refused now: an answer cached from here on
 *   can never outlive the key. A key thus stops up to one TTL (30 s) before
 *   its stated end, never after it.
 *
 * Usage (lastUsedAt, daily count) is recorded by the partner API after the
 * request, not here: the cache means the authorizer sees only some calls,
 * and it keeps this answer to a single read.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { hashApiKey, isKeyUsable, isWellFormedApiKey, keyEnvironmentOf } from '../core/api-keys';
import type { Clock } from '../core/clock';
import { PARTNER_AUTHORIZER_CACHE_SECONDS, PARTNER_KEY_HEADER } from '../core/contracts';
import type { AuthorizerKeyRecord } from '../repositories/api-key-lookup';
import type { PartnerCaller } from '../api/partner-context';

const PARTNER_KEY_HEADER_LOWER = PARTNER_KEY_HEADER.toLowerCase();

export interface PartnerAuthorizerDependencies {
  readonly keys: { getByHash(keyHash: string): Promise<AuthorizerKeyRecord | undefined> };
  readonly clock: Clock;
  /** The stage's authorizer cache TTL. @default PARTNER_AUTHORIZER_CACHE_SECONDS */
  readonly cacheTtlSeconds?: number;
}

/** What API Gateway needs to answer 401. */
export class AuthorizerUnauthorized extends Error {
  public constructor() {
    super('Unauthorized');
    this.name = 'AuthorizerUnauthorized';
  }
}

export type AuthorizerOutcome =
  { readonly allowed: true; readonly caller: PartnerCaller } | { readonly allowed: false };

/** The decision alone, for the handler and for tests. */
export async function decide(
  event: Pick<APIGatewayRequestAuthorizerEvent, 'headers'>,
  deps: PartnerAuthorizerDependencies,
): Promise<AuthorizerOutcome> {
  const presented = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === PARTNER_KEY_HEADER_LOWER,
  )?.[1];
  if (presented === undefined || !isWellFormedApiKey(presented)) return { allowed: false };
  const record = await deps.keys.getByHash(hashApiKey(presented));
  const cacheTtlMs = (deps.cacheTtlSeconds ?? PARTNER_AUTHORIZER_CACHE_SECONDS) * 1000;
  // Usable for the whole time API Gateway may reuse this answer, not just now.
  const cachedUntil = new Date(deps.clock.now().getTime() + cacheTtlMs);
  if (record === undefined || !isKeyUsable(record, cachedUntil)) return { allowed: false };
  return {
    allowed: true,
    caller: {
      orgId: record.orgId,
      keyId: record.keyId,
      keyPrefix: record.prefix,
      keyHash: record.keyHash,
      status: record.status,
      expiresAt: record.expiresAt ?? '',
      environment: keyEnvironmentOf(record),
    },
  };
}

/** Every method of every resource in the stage the request came to. */
export function stageWildcard(methodArn: string): string {
  const [apiPart, stage] = methodArn.split('/');
  return `${apiPart}/${stage}/*/*`;
}

/** @throws AuthorizerUnauthorized (message "Unauthorized") when the key is not usable. */
export async function authorizePartner(
  event: APIGatewayRequestAuthorizerEvent,
  deps: PartnerAuthorizerDependencies,
): Promise<APIGatewayAuthorizerResult & { context: PartnerCaller }> {
  const outcome = await decide(event, deps);
  if (!outcome.allowed) throw new AuthorizerUnauthorized();
  return {
    principalId: outcome.caller.orgId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(event.methodArn) }],
    },
    context: outcome.caller,
  };
}
