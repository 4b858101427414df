/**
 * The partner API: route handlers for a caller the REQUEST authorizer has
 * already identified (its context arrives in the event), and the request
 * wrapper that applies the org's rate limit.
 *
 * Usage (per-key counts and `lastUsedAt`) is not written here: it is counted
 * from the API stage's access log (lambda/usage-ingest), which has every
 * request that passed the authorizer, cached answers and gateway refusals
 * included, and costs the request path nothing.
 *
 * Per-partner throttling runs here too, before anything else, for the same
 * reason: calls the gateway answers from its authorizer cache never reach the
 * authorizer, but every one reaches this handler. Over the org's limit the
 * call is 429 `rate_limited` with `Retry-After`, and the route does not run,
 * so the tables are unchanged.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Clock } from '../core/clock';
import { isKeyUsable, keyEnvironmentOf, keyNameOf } from '../core/api-keys';
import type { RateLimitPolicy } from '../core/rate-limit';
import { NotFoundError, UnauthorizedError } from '../core/errors';
import type { EventCatalog } from '../core/event-catalog';
import { PLATFORM_EVENT_CATALOG } from '../core/platform-event-catalog';
import type { UrlPolicyOptions } from '../core/url-policy';
import { assertChangeAllowed, onUrlChanged } from '../core/webhooks';
import { type PartnerCaller, partnerCallerOf } from '../api/partner-context';
import type { RouteHandlers } from '../api/route-table';
import { rateLimitedResponse } from '../api/http';
import { type ApiEvent, createRouter } from '../api/router';
import { type PartnerRoutes, partnerRoutes } from '../api/routes';
import { credentialViewOf, issuedKeyViewOf, webhookViewOf } from '../api/views';
import { newKeyRequest } from '../api/key-requests';
import type { ActivityRepository, RequestOrigin } from '../repositories/activity-repository';
import type { ActivityAction } from '../core/team';
import type { ApiKeysRepository } from '../repositories/api-keys-repository';
import { keySubject, logActivity } from '../shared/activity-log';
import type { OrgRateLimiter } from '../repositories/org-rate-limit';
import type { TenantsRepository } from '../repositories/tenants-repository';
import type { WebhooksRepository } from '../repositories/webhooks-repository';
import type { FailureReplayPort } from '../shared/failure-replay';
import { listFailures, replayFailures } from '../api/failure-handlers';
import { enableWebhook } from '../api/health-handlers';
import { keyUsage } from '../api/usage-handlers';
import type { UsageRepository } from '../repositories/usage-repository';

export interface PartnerApiDependencies {
  readonly tenants: TenantsRepository;
  readonly keys: ApiKeysRepository;
  readonly webhooks: WebhooksRepository;
  readonly urlPolicy: UrlPolicyOptions;
  readonly clock: Clock;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** What GET /v1/partner/event-types lists. @default the bundled platform catalog */
  readonly catalog?: EventCatalog;
  /** Failed deliveries: lists and replays. @default none (those routes answer 500) */
  readonly failureReplay?: FailureReplayPort;
  /**
   * Each org's token bucket, taken once per call of a partner route (public
   * routes carry no org and are not counted). @default no per-partner limit
   */
  readonly rateLimit?: OrgRateLimiter;
  /** The orgs' activity logs: key and webhook changes are recorded there. @default none recorded */
  readonly activity?: ActivityRepository;
  /** Per-key usage (GET /v1/partner/credentials/{id}/usage). @default none (that route answers 500) */
  readonly usage?: Pick<UsageRepository, 'hourly'>;
}

type PartnerHandlers = RouteHandlers<PartnerRoutes, PartnerCaller>;
type IdentityRoute = 'authProbe' | 'partnerMe';
type CredentialRoute =
  'listCredentials' | 'createCredential' | 'rotateCredential' | 'revokeCredential' | 'getCredentialUsage';
type CatalogRoute = 'listEventTypes';

export function partnerHandlers(deps: PartnerApiDependencies): PartnerHandlers {
  return { ...catalogHandlers(deps), ...identityHandlers(deps), ...credentialHandlers(deps), ...webhookHandlers(deps) };
}

async function requireTenant(deps: PartnerApiDependencies, orgId: string) {
  const tenant = await deps.tenants.get(orgId);
  if (tenant === undefined) throw new NotFoundError('Tenant not registered');
  return tenant;
}

const createdBy = (caller: PartnerCaller) => `partner:${caller.keyId}`;

/** A key or webhook change by a partner key, in its org's activity log (the key by its public id only). */
function partnerActivity(
  deps: PartnerApiDependencies,
  caller: PartnerCaller,
  origin: RequestOrigin,
  action: ActivityAction,
  subject: string,
): Promise<void> {
  return logActivity(deps, { orgId: caller.orgId, action, actor: createdBy(caller), subject, ...origin });
}

/** The calling key as stored now: the authorizer's context may be up to its cache TTL old. */
async function liveKey(deps: PartnerApiDependencies, caller: PartnerCaller) {
  const record = await deps.keys.getByHash(caller.keyHash);
  if (record === undefined || !isKeyUsable(record, deps.clock.now())) {
    throw new UnauthorizedError('the key stopped working after the authorizer cached it');
  }
  return {
    id: record.keyId,
    keyPrefix: record.prefix,
    name: keyNameOf(record),
    environment: keyEnvironmentOf(record),
    status: record.status,
    expiresAt: record.expiresAt ?? null,
  };
}

/** The event catalog, public: the same answer for everyone, so it names no caller. */
function catalogHandlers(deps: PartnerApiDependencies): Pick<PartnerHandlers, CatalogRoute> {
  const catalog = deps.catalog ?? PLATFORM_EVENT_CATALOG;
  return {
    listEventTypes: async () => ({
      eventTypes: catalog.types.map(({ name, source, description, schema, example }) => ({
        name,
        source,
        description,
        schema,
        example,
      })),
    }),
  };
}

/** Who the caller is and the state of the key they call with. */
function identityHandlers(deps: PartnerApiDependencies): Pick<PartnerHandlers, IdentityRoute> {
  return {
    authProbe: async ({ caller }) => {
      const { id: _id, ...key } = await liveKey(deps, caller);
      return { orgId: caller.orgId, ...key };
    },

    partnerMe: async ({ caller }) => {
      const [tenant, key] = await Promise.all([requireTenant(deps, caller.orgId), liveKey(deps, caller)]);
      return { orgId: tenant.orgId, orgName: tenant.orgName, status: tenant.status, key };
    },
  };
}

/** The org's API keys: list, issue, rotate, revoke (the last three by the org's live key only). */
function credentialHandlers(deps: PartnerApiDependencies): Pick<PartnerHandlers, CredentialRoute> {
  return {
    listCredentials: async ({ caller }) => {
      const now = deps.clock.now();
      return { credentials: (await deps.keys.listAll(caller.orgId)).map((record) => credentialViewOf(record, now)) };
    },

    createCredential: async ({ caller, body, origin }) => {
      const issued = await deps.keys.issue({
        orgId: caller.orgId,
        createdBy: createdBy(caller),
        actingKeyHash: caller.keyHash,
        ...newKeyRequest(body),
      });
      await partnerActivity(deps, caller, origin, 'key.created', keySubject(issued.record));
      const tenant = await requireTenant(deps, caller.orgId);
      deps.logger?.info('api key issued', { orgId: caller.orgId, keyId: issued.record.keyId, outcome: 'created' });
      return issuedKeyViewOf(issued, tenant.orgName, createdBy(caller));
    },

    rotateCredential: async ({ caller, params, body, origin }) => {
      const { newKey, oldKey } = await deps.keys.rotate({
        orgId: caller.orgId,
        keyId: params.id,
        graceHours: body.graceHours,
        createdBy: createdBy(caller),
        actingKeyHash: caller.keyHash,
      });
      await partnerActivity(deps, caller, origin, 'key.rotated', keySubject(oldKey));
      const tenant = await requireTenant(deps, caller.orgId);
      deps.logger?.info('api key rotated', {
        orgId: caller.orgId,
        keyId: oldKey.keyId,
        newKeyId: newKey.record.keyId,
        graceHours: body.graceHours,
        outcome: 'rotated',
      });
      return {
        newKey: issuedKeyViewOf(newKey, tenant.orgName, createdBy(caller)),
        oldKey: credentialViewOf(oldKey, deps.clock.now()),
      };
    },

    revokeCredential: async ({ caller, params, origin }) => {
      const revoked = await deps.keys.revoke({ orgId: caller.orgId, keyId: params.id, actingKeyHash: caller.keyHash });
      await partnerActivity(deps, caller, origin, 'key.revoked', keySubject(revoked));
      deps.logger?.info('api key revoked', { orgId: caller.orgId, keyId: revoked.keyId, outcome: 'revoked' });
      return credentialViewOf(revoked, deps.clock.now());
    },

    // Own keys only: another org's key id is not found in the caller's org (404).
    getCredentialUsage: ({ caller, params, query }) =>
      keyUsage({ ...deps, rateLimit: limitInForce(deps.rateLimit) }, caller.orgId, params.id, query),
  };
}

/** The policy of the org bucket the handler takes, when it has one to show. */
function limitInForce(limiter: OrgRateLimiter | undefined): { readonly policy: RateLimitPolicy } | undefined {
  return limiter !== undefined && 'policy' in limiter
    ? (limiter as OrgRateLimiter & { policy: RateLimitPolicy })
    : undefined;
}

/** The org's own webhooks. */
function webhookHandlers(
  deps: PartnerApiDependencies,
): Omit<PartnerHandlers, CatalogRoute | IdentityRoute | CredentialRoute> {
  return {
    listOwnWebhooks: async ({ caller }) => ({
      webhooks: (await deps.webhooks.listAll(caller.orgId)).map(webhookViewOf),
    }),

    updateOwnWebhookUrl: async ({ caller, params, body, origin }) => {
      await deps.keys.requirePermitted(caller.keyHash);
      // Read within the caller's org only: another org's webhook is simply not found.
      const saved = await deps.webhooks.update(caller.orgId, params.id, (current) => {
        assertChangeAllowed(current, body);
        return { ...current, ...onUrlChanged(current, body.url, deps.clock, deps.urlPolicy) };
      });
      await partnerActivity(deps, caller, origin, 'webhook.updated', saved.webhookId);
      return { success: true as const, aggregateId: saved.webhookId, version: saved.version };
    },

    listOwnWebhookFailures: ({ caller, params, query }) => listFailures(deps, caller.orgId, params.id, query),

    replayOwnWebhookFailures: async ({ caller, params, body, origin }) => {
      await deps.keys.requirePermitted(caller.keyHash);
      const replay = await replayFailures(deps, caller.orgId, params.id, body, createdBy(caller));
      await partnerActivity(deps, caller, origin, 'webhook.replayed', params.id);
      return replay;
    },

    enableOwnWebhook: async ({ caller, params, body, origin }) => {
      // Only an active key, re-read from the table, changes webhooks; the org is the caller's own.
      await deps.keys.requirePermitted(caller.keyHash);
      const enabled = await enableWebhook(deps, caller.orgId, params.id, body, createdBy(caller));
      await partnerActivity(deps, caller, origin, 'webhook.enabled', params.id);
      return enabled;
    },
  };
}

export type PartnerApi = (event: ApiEvent) => Promise<APIGatewayProxyResult>;

export function createPartnerApi(deps: PartnerApiDependencies): PartnerApi {
  const route = createRouter({
    routes: partnerRoutes,
    handlers: partnerHandlers(deps),
    authenticate: async (event) => partnerCallerOf(event),
    logger: deps.logger,
  });

  return async (event) => {
    const caller = safeCaller(event);
    if (caller !== undefined) {
      const retryAfterSeconds = await rateLimited(deps, caller);
      if (retryAfterSeconds !== undefined) return rateLimitedResponse(retryAfterSeconds);
    }
    return route(event);
  };
}

function safeCaller(event: ApiEvent): PartnerCaller | undefined {
  try {
    return partnerCallerOf(event);
  } catch {
    return undefined;
  }
}

/**
 * The seconds to wait when the caller's org is over its limit. A bucket that
 * cannot be read (DynamoDB unavailable) admits the call, logged: the stage
 * limit still holds, and the route's own reads would fail the same way.
 */
async function rateLimited(deps: PartnerApiDependencies, caller: PartnerCaller): Promise<number | undefined> {
  if (deps.rateLimit === undefined) return undefined;
  try {
    const decision = await deps.rateLimit.take(caller.orgId);
    if (decision.allowed) return undefined;
    deps.logger?.info('partner rate limited', {
      orgId: caller.orgId,
      keyId: caller.keyId,
      retryAfterSeconds: decision.retryAfterSeconds,
      outcome: 'rate_limited',
    });
    return decision.retryAfterSeconds;
  } catch (error) {
    deps.logger?.warn('rate limit not checked', {
      orgId: caller.orgId,
      keyId: caller.keyId,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return undefined;
  }
}
