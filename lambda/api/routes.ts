/**
 * Every route of the admin and partner APIs, declared once. From this table
 * come the API Gateway resources and methods (lib/platform-api.ts), the
 * OpenAPI document (scripts/openapi.ts -> docs/openapi.json) and the router
 * the Lambda handlers (and the local runtime) dispatch with. Handlers are
 * bound per route id in lambda/admin-api and lambda/partner-api, and the
 * compiler requires exactly one handler per route.
 *
 * Request bodies are strict objects: an unknown field is a 400.
 */
import { z } from 'zod';
import { KEY_ENVIRONMENTS, KEY_EXPIRY_CHOICES, KEY_NAME_MAX_LENGTH, KEY_NAME_PATTERN } from '../core/api-keys';
import { EVENT_TYPES_PATH, ORG_ID_MESSAGE, ORG_ID_PATTERN, ORG_NAME_MAX_LENGTH } from '../core/contracts';
import { ACTIVITY_ACTIONS, TEAM_ROLES } from '../core/team';
import { STATUS_CLASSES, USAGE_GRANULARITIES } from '../core/usage';
import { defineRoute, type RouteSpec } from './route-table';

const orgId = z.string().regex(ORG_ID_PATTERN, ORG_ID_MESSAGE);
const orgName = z.string().trim().min(1).max(ORG_NAME_MAX_LENGTH);
const resourceId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 letters, digits, "_" or "-"');
const timestamp = z.iso.datetime({ offset: true });
const email = z.email().max(254);
const webhookUrl = z.url().max(2048);
const eventTypes = z.array(z.string().min(1).max(256)).min(1).max(100);
const webhookSecret = z.string().min(24).max(256);

const apiKeyStatus = z.enum(['active', 'expiring', 'grace', 'revoked']);
/** Keys issued before environments read as `production`. */
const keyEnvironment = z.enum(KEY_ENVIRONMENTS);
const keyName = z
  .string()
  .max(KEY_NAME_MAX_LENGTH)
  .regex(KEY_NAME_PATTERN, `must be 1-${KEY_NAME_MAX_LENGTH} printable characters`)
  .refine((name) => name.trim() !== '', 'must not be blank');

/**
 * What a new key is: its name (default `Default`), environment (default
 * `production`) and expiry (`never`, 30, 90 or 180 days; default 365 days).
 */
export const newKeyFields = {
  name: keyName.optional(),
  environment: keyEnvironment.optional(),
  expiry: z
    .union(KEY_EXPIRY_CHOICES.map((choice) => z.literal(choice)))
    .optional()
    .describe('"never", 30, 90 or 180 (days); without it (and without expiresAt) 365 days'),
};
/** `disabled`: endpoint health switched delivery off after the configured hours of failures (see `health`). */
const webhookStatus = z.enum(['pending', 'active', 'failed', 'disabled']);

export const maskedKey = z.object({
  id: z.string(),
  name: z.string(),
  environment: keyEnvironment,
  /** First 8 characters, `…`, last 4. */
  key: z.string(),
  status: apiKeyStatus,
  expiresAt: timestamp.nullable(),
});

export const tenantView = z.object({
  orgId,
  orgName: z.string(),
  ownerEmail: z.string(),
  status: z.enum(['active', 'disabled']),
  createdAt: timestamp,
  activeKey: maskedKey.nullable(),
});

export const issuedKeyView = z.object({
  /** The plaintext key: in this response only, never again. */
  apiKey: z.string(),
  id: z.string(),
  name: z.string(),
  environment: keyEnvironment,
  orgId,
  orgName: z.string(),
  createdAt: timestamp,
  createdBy: z.string(),
  expiresAt: timestamp.nullable(),
});

export const webhookView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  status: webhookStatus,
  createdAt: timestamp,
  verifiedAt: timestamp.nullable(),
  updatedAt: timestamp,
  lastError: z.string().nullable(),
  /** Which door made it: a partner file, the admin API or the portal. */
  source: z.enum(['config', 'api', 'portal']),
  /** Who owns its EventBridge resources: the partner file's template, or the provisioner. */
  owner: z.enum(['config', 'runtime']),
  /** How far its EventBridge delivery is; `failed` says why (e.g. `quota_exceeded: ...`). */
  delivery: z.object({
    state: z.enum(['provisioning', 'live', 'failed']),
    lastError: z.string().nullable(),
  }),
  /** Endpoint health: `failing` since the first failure with no success since; `disabled` after the configured hours. */
  health: z.object({
    state: z.enum(['healthy', 'failing', 'disabled']),
    failingSince: timestamp.nullable(),
    lastFailureAt: timestamp.nullable(),
    disabledAt: timestamp.nullable(),
    /** Whole hours of failures that disabled it (the portal banner's N). */
    disabledAfterHours: z.number().int().nullable(),
  }),
});

export const webhookMutation = z.object({
  success: z.literal(true),
  aggregateId: z.string(),
  version: z.number().int(),
});

export const credentialView = maskedKey.extend({
  createdAt: timestamp,
  /** Who created it: `admin:<email>`-style actor, `partner:<keyId>`, `portal:<email>`, `onboarding`; null for old keys. */
  createdBy: z.string().nullable(),
  lastUsedAt: timestamp.nullable(),
  graceEndsAt: timestamp.nullable(),
  expiresInDays: z.number().int().nullable(),
  /** "expires in N days", "expired" or "never expires". */
  expiresIn: z.string(),
});

/** One catalog type as partners read it (config/event-types.yaml, bundled). */
export const eventTypeView = z.object({
  /** The EventBridge detail-type a webhook's `events` names, e.g. `LockCreated` or `Shadow Update`. */
  name: z.string(),
  /** The EventBridge source it comes from, e.g. `spk.api`. */
  source: z.string(),
  description: z.string(),
  /** JSON Schema (draft-07) of the event's `detail`. */
  schema: z.record(z.string(), z.unknown()),
  /** One `detail` that validates against `schema`. */
  example: z.record(z.string(), z.unknown()),
});

export const failedDeliveryView = z.object({
  eventId: z.string(),
  detailType: z.string(),
  source: z.string(),
  /** When the event happened; lists go newest first by it, and "replay since" compares with it. */
  eventTime: timestamp,
  failedAt: timestamp,
  /** The endpoint's HTTP status where EventBridge names one. */
  httpStatus: z.number().int().nullable(),
  errorCode: z.string(),
  errorMessage: z.string(),
  /** How many times this event ended in the dead-letter queue (a replay that fails again counts up). */
  failures: z.number().int(),
  /** `replayed` once a replay re-published it; back to `failed` if that delivery fails too. */
  status: z.enum(['failed', 'replayed']),
  replayedAt: timestamp.nullable(),
  /** The event as the producer put it: what a replay delivers (with `detail.replayFor` and `detail.replayOf`). */
  event: z.record(z.string(), z.unknown()),
});

export const failureListing = z.object({ failures: z.array(failedDeliveryView), nextCursor: z.string().nullable() });

const failureQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(2048).optional(),
});

/** `{since}` or `{eventIds}`, and the request id that makes the replay happen once. */
export const replayBody = z
  .strictObject({
    requestId: resourceId,
    since: timestamp.optional(),
    eventIds: z
      .array(z.string().regex(/^[\w-]{1,128}$/))
      .min(1)
      .max(100)
      .optional(),
  })
  .refine((body) => (body.since === undefined) !== (body.eventIds === undefined), {
    message: 'give exactly one of since, eventIds',
  });

export const replayView = z.object({
  replayId: z.string(),
  state: z.enum(['in_progress', 'completed']),
  /** Events re-published onto the webhook's shard bus. */
  published: z.number().int(),
  failedToPublish: z.number().int(),
  requestedAt: timestamp,
  /** True when this requestId had been replayed already: nothing was published again. */
  duplicate: z.boolean(),
});

/**
 * Re-enabling replays nothing unless asked: `replaySince` re-delivers the
 * failures since then (the replay route's rules), once per `requestId`.
 */
export const enableBody = z
  .strictObject({ replaySince: timestamp.optional(), requestId: resourceId.optional() })
  .refine((body) => (body.replaySince === undefined) === (body.requestId === undefined), {
    message: 'give replaySince and requestId together, or neither',
  })
  .optional();

export const enableView = z.object({ webhook: webhookView, replay: replayView.nullable() });

const teamRole = z.enum(TEAM_ROLES);

/** One entry of an org's activity log: never a token, key or secret. */
export const activityView = z.object({
  at: timestamp,
  action: z.enum(ACTIVITY_ACTIONS),
  /** `portal:<email>` for a portal member. */
  actor: z.string(),
  subject: z.string().nullable(),
  role: teamRole.nullable(),
  previousRole: teamRole.nullable(),
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
});

const statusClasses = z.object(
  Object.fromEntries(STATUS_CLASSES.map((name) => [name, z.number().int()])) as Record<
    (typeof STATUS_CLASSES)[number],
    z.ZodNumber
  >,
);
/** HTTP status code -> requests answered with it. */
const byStatus = z.record(z.string(), z.number().int());

/** One key's usage over a range, counted from the API access logs (cached authorizer answers included). */
export const usageView = z.object({
  orgId,
  keyId: z.string(),
  granularity: z.enum(USAGE_GRANULARITIES),
  /** The range, widened to whole buckets: `from` inclusive, `to` exclusive. */
  from: timestamp,
  to: timestamp,
  /** The key's newest request, whenever it was (not only in the range). */
  lastUsedAt: timestamp.nullable(),
  /** The per-org partner API limit in force, where the answering function knows it. */
  rateLimit: z.object({ requestsPerSecond: z.number(), burst: z.number().int() }).nullable(),
  totals: z.object({
    requests: z.number().int(),
    statusClasses,
    byStatus,
    /** (4xx + 5xx) / requests; 0 without requests. */
    errorRate: z.number(),
  }),
  /** Every bucket of the range, oldest first, zeros included. */
  buckets: z.array(z.object({ start: timestamp, requests: z.number().int(), statusClasses, byStatus })),
});

/** `from`/`to` are ISO 8601; at most 90 days apart. @default the last day by the hour, the last 30 days by the day */
const usageQuery = z.strictObject({
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
  granularity: z.enum(USAGE_GRANULARITIES).optional(),
});

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

const orgParams = z.strictObject({ orgId });
const webhookParams = z.strictObject({ orgId, id: resourceId });
const idParams = z.strictObject({ id: resourceId });

/** Admin routes: the admin API key and an admin JWT, checked in the admin handler. */
export const adminRoutes = {
  registerTenant: defineRoute({
    method: 'POST',
    path: '/tenants/{orgId}/register',
    auth: 'admin',
    summary: 'Register a tenant, owned by ownerEmail (their first portal sign-in with that verified email)',
    status: 201,
    params: orgParams,
    body: z.strictObject({ orgName, ownerEmail: email }),
    response: tenantView,
    errors: [403, 409],
  }),
  listTenants: defineRoute({
    method: 'GET',
    path: '/tenants',
    auth: 'admin',
    summary: "List tenants with each one's masked active key",
    status: 200,
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(100).optional(),
      cursor: z.string().max(2048).optional(),
    }),
    response: z.object({ tenants: z.array(tenantView), nextCursor: z.string().nullable() }),
    errors: [403],
  }),
  issueApiKey: defineRoute({
    method: 'POST',
    path: '/api-keys',
    auth: 'admin',
    summary:
      "Issue a tenant's API key (shown once) with a name, environment and expiry; 409 key_limit_reached at the environment's limit",
    status: 201,
    body: z
      .strictObject({ orgId, orgName, expiresAt: timestamp.optional(), ...newKeyFields })
      .refine((body) => body.expiresAt === undefined || body.expiry === undefined, {
        message: 'give either expiresAt or expiry, not both',
      }),
    response: issuedKeyView,
    errors: [403, 404, 409],
  }),
  listApiKeys: defineRoute({
    method: 'GET',
    path: '/tenants/{orgId}/api-keys',
    auth: 'admin',
    summary: "A tenant's API keys, masked: name, environment, created, expires, last used, status, createdBy",
    status: 200,
    params: orgParams,
    response: z.object({ apiKeys: z.array(credentialView) }),
    errors: [403, 404],
  }),
  createWebhook: defineRoute({
    method: 'POST',
    path: '/tenants/{orgId}/webhooks',
    auth: 'admin',
    summary: 'Create a webhook (pending until its URL verifies)',
    status: 201,
    params: orgParams,
    body: z.strictObject({ url: webhookUrl, events: eventTypes, secret: webhookSecret.optional() }),
    response: webhookMutation,
    errors: [403, 404],
  }),
  listWebhooks: defineRoute({
    method: 'GET',
    path: '/tenants/{orgId}/webhooks',
    auth: 'admin',
    summary: "List a tenant's webhooks",
    status: 200,
    params: orgParams,
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(100).optional(),
      offset: z.coerce.number().int().min(0).optional(),
    }),
    response: z.object({
      webhooks: z.array(webhookView),
      total: z.number().int(),
      limit: z.number().int(),
      offset: z.number().int(),
    }),
    errors: [403],
  }),
  updateWebhook: defineRoute({
    method: 'PUT',
    path: '/tenants/{orgId}/webhooks/{id}',
    auth: 'admin',
    summary: 'Change a webhook; a new URL is verified again before use',
    status: 200,
    params: webhookParams,
    body: z
      .strictObject({ url: webhookUrl.optional(), events: eventTypes.optional(), secret: webhookSecret.optional() })
      .refine((body) => body.url !== undefined || body.events !== undefined || body.secret !== undefined, {
        message: 'give at least one of url, events, secret',
      }),
    response: webhookMutation,
    errors: [403, 404, 409],
  }),
  listWebhookFailures: defineRoute({
    method: 'GET',
    path: '/tenants/{orgId}/webhooks/{id}/failures',
    auth: 'admin',
    summary: "A webhook's failed deliveries, newest first (paginated)",
    status: 200,
    params: webhookParams,
    query: failureQuery,
    response: failureListing,
    errors: [403, 404],
  }),
  replayWebhookFailures: defineRoute({
    method: 'POST',
    path: '/tenants/{orgId}/webhooks/{id}/replay',
    auth: 'admin',
    summary: "Re-deliver a webhook's failed deliveries (since a time, or by event id); once per requestId",
    status: 200,
    params: webhookParams,
    body: replayBody,
    response: replayView,
    errors: [403, 404],
  }),
  enableWebhook: defineRoute({
    method: 'POST',
    path: '/tenants/{orgId}/webhooks/{id}/enable',
    auth: 'admin',
    summary: 'Re-enable a webhook endpoint health disabled; replays nothing unless replaySince is given',
    status: 200,
    params: webhookParams,
    body: enableBody,
    response: enableView,
    errors: [403, 404],
  }),
  listTenantActivity: defineRoute({
    method: 'GET',
    path: '/tenants/{orgId}/activity',
    auth: 'admin',
    summary: "A tenant's activity log (team invitations, acceptances, role changes, removals), newest first",
    status: 200,
    params: orgParams,
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).optional() }),
    response: z.object({ activity: z.array(activityView) }),
    errors: [403, 404],
  }),
  getApiKeyUsage: defineRoute({
    method: 'GET',
    path: '/tenants/{orgId}/api-keys/{id}/usage',
    auth: 'admin',
    summary: "A tenant's key usage by hour or day: requests, status classes and codes, error rate, last use",
    status: 200,
    params: webhookParams,
    query: usageQuery,
    response: usageView,
    errors: [403, 404],
  }),
  deleteWebhook: defineRoute({
    method: 'DELETE',
    path: '/tenants/{orgId}/webhooks/{id}',
    auth: 'admin',
    summary: 'Delete a webhook',
    status: 200,
    params: webhookParams,
    response: z.object({ success: z.literal(true), aggregateId: z.string() }),
    errors: [403, 404],
  }),
} as const satisfies Record<string, RouteSpec>;

/**
 * Partner routes: `X-API-Key`, checked by the REQUEST authorizer before the
 * handler runs; `public` ones need no key and are the same for every caller.
 */
export const partnerRoutes = {
  listEventTypes: defineRoute({
    method: 'GET',
    path: EVENT_TYPES_PATH,
    auth: 'public',
    summary:
      'The event catalog: every type a webhook may subscribe to, with its source, the JSON Schema of its detail and an example (no API key needed)',
    status: 200,
    response: z.object({ eventTypes: z.array(eventTypeView) }),
    cacheSeconds: 300,
  }),
  authProbe: defineRoute({
    method: 'GET',
    path: '/partner-auth-probe',
    auth: 'partner',
    summary: 'Check a partner API key: its org, name, environment (development or production) and status',
    status: 200,
    response: z.object({
      orgId,
      keyPrefix: z.string(),
      name: z.string(),
      environment: keyEnvironment,
      status: apiKeyStatus,
      expiresAt: timestamp.nullable(),
    }),
  }),
  partnerMe: defineRoute({
    method: 'GET',
    path: '/v1/partner/me',
    auth: 'partner',
    summary: "The caller's tenant",
    status: 200,
    response: z.object({
      orgId,
      orgName: z.string(),
      status: z.enum(['active', 'disabled']),
      key: z.object({
        id: z.string(),
        keyPrefix: z.string(),
        name: z.string(),
        environment: keyEnvironment,
        status: apiKeyStatus,
        expiresAt: timestamp.nullable(),
      }),
    }),
  }),
  listCredentials: defineRoute({
    method: 'GET',
    path: '/v1/partner/credentials',
    auth: 'partner',
    summary: "The caller's API keys, masked",
    status: 200,
    response: z.object({ credentials: z.array(credentialView) }),
  }),
  createCredential: defineRoute({
    method: 'POST',
    path: '/v1/partner/credentials',
    auth: 'partner',
    summary:
      "Issue a key with a name, environment and expiry (shown once); 409 key_limit_reached at the environment's limit",
    status: 201,
    body: z.strictObject(newKeyFields).optional(),
    response: issuedKeyView,
    errors: [403, 409],
  }),
  rotateCredential: defineRoute({
    method: 'POST',
    path: '/v1/partner/credentials/{id}/rotate',
    auth: 'partner',
    summary: 'Rotate the active key; the old one keeps working for the grace window',
    status: 201,
    params: idParams,
    body: z.strictObject({ graceHours: z.union([z.literal(0), z.literal(24), z.literal(48), z.literal(72)]) }),
    response: z.object({ newKey: issuedKeyView, oldKey: credentialView }),
    errors: [403, 404, 409],
  }),
  revokeCredential: defineRoute({
    method: 'POST',
    path: '/v1/partner/credentials/{id}/revoke',
    auth: 'partner',
    summary: 'Revoke a key at once',
    status: 200,
    params: idParams,
    body: z.strictObject({}).optional(),
    response: credentialView,
    errors: [403, 404, 409],
  }),
  getCredentialUsage: defineRoute({
    method: 'GET',
    path: '/v1/partner/credentials/{id}/usage',
    auth: 'partner',
    summary:
      "One of the caller's keys' usage by hour or day (every request that passed the authorizer, cached ones included)",
    status: 200,
    params: idParams,
    query: usageQuery,
    response: usageView,
    errors: [404],
  }),
  listOwnWebhooks: defineRoute({
    method: 'GET',
    path: '/v1/partner/webhooks',
    auth: 'partner',
    summary: "The caller's webhooks with their status, delivery state and owner (the ids PATCH /webhooks/{id} takes)",
    status: 200,
    response: z.object({ webhooks: z.array(webhookView) }),
  }),
  listOwnWebhookFailures: defineRoute({
    method: 'GET',
    path: '/v1/partner/webhooks/{id}/failures',
    auth: 'partner',
    summary: "One of the caller's webhooks' failed deliveries, newest first (paginated)",
    status: 200,
    params: idParams,
    query: failureQuery,
    response: failureListing,
    errors: [404],
  }),
  replayOwnWebhookFailures: defineRoute({
    method: 'POST',
    path: '/v1/partner/webhooks/{id}/replay',
    auth: 'partner',
    summary:
      "Re-deliver one of the caller's webhooks' failed deliveries (since a time, or by event id); once per requestId",
    status: 200,
    params: idParams,
    body: replayBody,
    response: replayView,
    errors: [403, 404],
  }),
  enableOwnWebhook: defineRoute({
    method: 'POST',
    path: '/v1/partner/webhooks/{id}/enable',
    auth: 'partner',
    summary:
      "Re-enable one of the caller's webhooks that endpoint health disabled; replays nothing unless replaySince is given",
    status: 200,
    params: idParams,
    body: enableBody,
    response: enableView,
    errors: [403, 404],
  }),
  updateOwnWebhookUrl: defineRoute({
    method: 'PATCH',
    path: '/webhooks/{id}',
    auth: 'partner',
    summary: "Change one of the caller's webhook URLs (verified before use)",
    status: 200,
    params: idParams,
    body: z.strictObject({ url: webhookUrl }),
    response: webhookMutation,
    errors: [403, 404, 409],
  }),
} as const satisfies Record<string, RouteSpec>;

/** Every route; ids are unique across both APIs. */
export const routes = { ...adminRoutes, ...partnerRoutes } as const satisfies Record<string, RouteSpec>;

export type AdminRoutes = typeof adminRoutes;
export type PartnerRoutes = typeof partnerRoutes;
export type Routes = typeof routes;
export type RouteId = keyof Routes;
