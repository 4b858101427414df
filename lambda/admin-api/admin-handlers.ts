/**
 * The admin API's route handlers: thin adapters from validated input to the
 * repositories and the core. Authentication has already happened (the
 * router runs the admin authenticator first); the admin's email is the
 * `createdBy` of what they create.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../core/clock';
import { NotFoundError } from '../core/errors';
import type { UrlPolicyOptions } from '../core/url-policy';
import { assertChangeAllowed, onEventsChanged, onUrlChanged } from '../core/webhooks';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type AdminAuthOptions, type AdminCaller, createAdminAuthenticator } from '../api/admin-auth';
import type { RouteHandlers } from '../api/route-table';
import { type ApiEvent, createRouter } from '../api/router';
import { type AdminRoutes, adminRoutes } from '../api/routes';
import { credentialViewOf, issuedKeyViewOf, tenantViewOf, webhookViewOf } from '../api/views';
import { newKeyRequest } from '../api/key-requests';
import type { ApiKeysRepository } from '../repositories/api-keys-repository';
import type { TenantsRepository } from '../repositories/tenants-repository';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import type { ActivityRepository, RequestOrigin } from '../repositories/activity-repository';
import type { ActivityAction } from '../core/team';
import { keySubject, logActivity } from '../shared/activity-log';
import type { SecretStore } from '../shared/secret-store';
import { createRuntimeWebhook } from '../shared/runtime-webhooks';
import { storeWebhookSecret } from '../shared/webhook-secrets';
import { listFailures, replayFailures } from '../api/failure-handlers';
import { enableWebhook } from '../api/health-handlers';
import type { FailureReplayPort } from '../shared/failure-replay';
import { keyUsage } from '../api/usage-handlers';
import type { UsageRepository } from '../repositories/usage-repository';

export interface AdminApiDependencies {
  readonly tenants: TenantsRepository;
  readonly keys: ApiKeysRepository;
  readonly webhooks: WebhooksRepository;
  readonly activity: ActivityRepository;
  readonly secrets: SecretStore;
  /** Secrets Manager name prefix of webhook secrets: `<prefix><orgId>/<webhookId>`. */
  readonly webhookSecretPrefix: string;
  readonly urlPolicy: UrlPolicyOptions;
  readonly clock: Clock;
  readonly logger?: Pick<Logger, 'info' | 'error'>;
  /** Failed deliveries: lists and replays. @default none (those routes answer 500) */
  readonly failureReplay?: FailureReplayPort;
  /** Per-key usage (GET /tenants/{orgId}/api-keys/{id}/usage). @default none (that route answers 500) */
  readonly usage?: Pick<UsageRepository, 'hourly'>;
}

type AdminHandlers = RouteHandlers<AdminRoutes, AdminCaller>;
type TenantRoute =
  'registerTenant' | 'listTenants' | 'issueApiKey' | 'listApiKeys' | 'listTenantActivity' | 'getApiKeyUsage';

export function adminHandlers(deps: AdminApiDependencies): AdminHandlers {
  return { ...tenantHandlers(deps), ...webhookHandlers(deps) };
}

/** Tenants and their keys. */
function tenantHandlers(deps: AdminApiDependencies): Pick<AdminHandlers, TenantRoute> {
  const requireTenant = async (orgId: string) => {
    const tenant = await deps.tenants.get(orgId);
    if (tenant === undefined) throw new NotFoundError('Tenant not registered');
    return tenant;
  };

  return {
    registerTenant: async ({ params, body, caller }) => {
      // The owner's claim is written with the tenant, as a partner file's is: their first
      // portal sign-in with that verified email makes them its owner, not a new org's.
      const tenant = await deps.tenants.create(
        { orgId: params.orgId, orgName: body.orgName, ownerEmail: body.ownerEmail, source: 'api' },
        undefined,
        { recordOwner: true },
      );
      deps.logger?.info('tenant registered', { orgId: tenant.orgId, by: caller.email, outcome: 'created' });
      return tenantViewOf(tenant, undefined);
    },

    listTenants: async ({ query }) => {
      const page = await deps.tenants.list({ limit: query.limit, cursor: query.cursor });
      const tenants = await Promise.all(
        page.items.map(async (tenant) => tenantViewOf(tenant, await deps.keys.getActive(tenant.orgId))),
      );
      return { tenants, nextCursor: page.nextCursor ?? null };
    },

    issueApiKey: async ({ body, caller, origin }) => {
      const tenant = await requireTenant(body.orgId);
      const issued = await deps.keys.issue({ orgId: tenant.orgId, createdBy: caller.email, ...newKeyRequest(body) });
      await logActivity(deps, {
        orgId: tenant.orgId,
        action: 'key.created',
        actor: `admin:${caller.email}`,
        subject: keySubject(issued.record),
        ...origin,
      });
      deps.logger?.info('api key issued', {
        orgId: tenant.orgId,
        keyId: issued.record.keyId,
        environment: issued.record.environment,
        outcome: 'created',
      });
      return issuedKeyViewOf(issued, tenant.orgName, caller.email);
    },

    listApiKeys: async ({ params }) => {
      await requireTenant(params.orgId);
      const now = deps.clock.now();
      return { apiKeys: (await deps.keys.listAll(params.orgId)).map((record) => credentialViewOf(record, now)) };
    },
    // The key is looked up in the path's org: a key of another org is not found (404).
    getApiKeyUsage: ({ params, query }) => keyUsage(deps, params.orgId, params.id, query),

    listTenantActivity: async ({ params, query }) => {
      await requireTenant(params.orgId);
      const entries = await deps.activity.list(params.orgId, query.limit);
      return {
        activity: entries.map((entry) => ({
          at: entry.at,
          action: entry.action,
          actor: entry.actor,
          subject: entry.subject ?? null,
          role: entry.role ?? null,
          previousRole: entry.previousRole ?? null,
          sourceIp: entry.sourceIp ?? null,
          userAgent: entry.userAgent ?? null,
        })),
      };
    },
  };
}

/** A tenant's webhooks, made at run time by the one flow every door shares. */
function webhookHandlers(deps: AdminApiDependencies): Omit<AdminHandlers, TenantRoute> {
  const webhookActivity = (
    orgId: string,
    action: ActivityAction,
    webhookId: string,
    caller: AdminCaller,
    origin: RequestOrigin,
  ) => logActivity(deps, { orgId, action, actor: `admin:${caller.email}`, subject: webhookId, ...origin });
  const storeSecret = (webhook: { orgId: string; webhookId: string; secretArn?: string }, value: string) =>
    storeWebhookSecret(deps.secrets, deps.webhookSecretPrefix, webhook, value);

  return {
    createWebhook: async ({ params, body, caller, origin }) => {
      const stored = await createRuntimeWebhook(deps, {
        orgId: params.orgId,
        url: body.url,
        events: body.events,
        source: 'api',
        ...(body.secret === undefined ? {} : { secret: body.secret }),
      });
      await webhookActivity(params.orgId, 'webhook.created', stored.webhookId, caller, origin);
      return { success: true as const, aggregateId: stored.webhookId, version: stored.version };
    },

    listWebhooks: async ({ params, query }) => {
      const listing = await deps.webhooks.list(params.orgId, { limit: query.limit, offset: query.offset });
      return {
        webhooks: listing.items.map(webhookViewOf),
        total: listing.total,
        limit: listing.limit,
        offset: listing.offset,
      };
    },

    updateWebhook: async ({ params, body, caller, origin }) => {
      const change = (read: StoredWebhook): StoredWebhook => {
        assertChangeAllowed(read, body);
        let next = read;
        if (body.events !== undefined) next = { ...next, ...onEventsChanged(next, body.events, deps.clock) };
        if (body.url !== undefined) next = { ...next, ...onUrlChanged(next, body.url, deps.clock, deps.urlPolicy) };
        return next;
      };
      const current = await deps.webhooks.require(params.orgId, params.id);
      // The core's URL and event rules run before the secret is written, so a refused change writes nothing.
      change(current);
      const secretArn = body.secret === undefined ? undefined : await storeSecret(current, body.secret);
      const saved = await deps.webhooks.update(params.orgId, params.id, (read) => {
        const next = change(read);
        return secretArn === undefined || secretArn === read.secretArn ? next : { ...next, secretArn };
      });
      await webhookActivity(params.orgId, 'webhook.updated', params.id, caller, origin);
      return { success: true as const, aggregateId: saved.webhookId, version: saved.version };
    },

    listWebhookFailures: ({ params, query }) => listFailures(deps, params.orgId, params.id, query),

    replayWebhookFailures: async ({ params, body, caller, origin }) => {
      const replay = await replayFailures(deps, params.orgId, params.id, body, `admin:${caller.email}`);
      await webhookActivity(params.orgId, 'webhook.replayed', params.id, caller, origin);
      return replay;
    },

    enableWebhook: async ({ params, body, caller, origin }) => {
      const enabled = await enableWebhook(deps, params.orgId, params.id, body, `admin:${caller.email}`);
      await webhookActivity(params.orgId, 'webhook.enabled', params.id, caller, origin);
      return enabled;
    },

    deleteWebhook: async ({ params, caller, origin }) => {
      await deps.webhooks.delete(params.orgId, params.id);
      await webhookActivity(params.orgId, 'webhook.deleted', params.id, caller, origin);
      return { success: true as const, aggregateId: params.id };
    },
  };
}

export type AdminApi = (event: ApiEvent) => Promise<APIGatewayProxyResult>;

/** The admin API: admin authentication on every route, then the route's handler. */
export function createAdminApi(deps: AdminApiDependencies, auth: AdminAuthOptions): AdminApi {
  const authenticate = createAdminAuthenticator(auth);
  return createRouter({
    routes: adminRoutes,
    handlers: adminHandlers(deps),
    authenticate: (event) => authenticate(event),
    logger: deps.logger,
  });
}
