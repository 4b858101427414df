/**
 * The REST API on the API port: the template's methods and authorizer
 * served by {@link LocalApiGateway}, over the real admin API, partner API
 * and partner authorizer handlers. The partner API takes each org's token
 * bucket with the template's PARTNER_RATE_LIMIT_* (config/<env>.yaml's
 * `partnerApi.rateLimit`), as the deployed function does.
 */
import { z } from 'zod';
import { createAdminApi } from '../../lambda/admin-api/admin-handlers';
import { authorizePartner } from '../../lambda/authorizer/partner-authorizer';
import { DEFAULT_PARTNER_RATE_LIMIT, type RateLimitPolicy } from '../../lambda/core/rate-limit';
import { createPartnerApi } from '../../lambda/partner-api/partner-handlers';
import {
  OrgRateLimit,
  PARTNER_RATE_LIMIT_ENV,
  partnerRateLimitEnvironment,
  partnerRateLimitOf,
} from '../../lambda/repositories/org-rate-limit';
import { ApiKeyLookup } from '../../lambda/repositories/api-key-lookup';
import { readEnv } from '../../lambda/shared/env';
import { localGetItemClient } from '../dynamodb-local';
import { LocalApiGateway, loadApiModel } from '../api-gateway';
import { startHttpServer } from '../http-server';
import type { FailureReplayPort } from '../../lambda/shared/failure-replay';
import type { AdminIdentity } from './admin-identity';
import { functionEnvironment } from './assembly';
import type { RuntimeContext } from './context';
import { listen } from './ports';
import { type LocalUsage, localUsageRepository } from './usage';

export interface LocalApi {
  readonly url: string;
  readonly gateway: LocalApiGateway;
}

/** The partner API function's service name in the template (POWERTOOLS_SERVICE_NAME). */
const PARTNER_API_SERVICE = 'partner-api';

/**
 * The partner API function's variables in the template; a template
 * synthesized before they existed gets the default.
 */
export function partnerRateLimitFor(ctx: RuntimeContext): RateLimitPolicy {
  const variables = functionEnvironment(ctx.platform, PARTNER_API_SERVICE);
  if (variables[PARTNER_RATE_LIMIT_ENV.requestsPerSecond] === undefined) return DEFAULT_PARTNER_RATE_LIMIT;
  const strings = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(value)]));
  return partnerRateLimitOf(readEnv(z.object(partnerRateLimitEnvironment), strings));
}

export async function startApi(
  ctx: RuntimeContext,
  admin: AdminIdentity,
  failureReplay?: FailureReplayPort,
  usage?: LocalUsage,
): Promise<LocalApi> {
  const { secrets, webhookSecretPrefix, urlPolicy, clock } = ctx;
  const shared = {
    ...ctx.tables.repositories,
    urlPolicy,
    clock,
    usage: localUsageRepository(ctx),
    ...(failureReplay ? { failureReplay } : {}),
  };
  // The Lambda authorizer's own lookup: the signed GetItem (no SDK) against DynamoDB Local.
  const keys = new ApiKeyLookup(localGetItemClient(ctx.tables.endpoint), ctx.tables.names.apiKeys);
  const adminApi = createAdminApi(
    { ...shared, secrets: secrets.store, webhookSecretPrefix, logger: ctx.logger('admin-api') },
    admin.auth,
  );
  const rateLimit = new OrgRateLimit(ctx.tables.doc, ctx.tables.names.tenants, partnerRateLimitFor(ctx), clock);
  const partnerApi = createPartnerApi({ ...shared, rateLimit, logger: ctx.logger('partner-api') });
  const model = loadApiModel(ctx.assembly);
  // The template's TTL, so the authorizer refuses keys that end within it, as in AWS.
  const cacheTtlSeconds = model.methods.find((method) => method.authorizer !== undefined)?.authorizer?.ttlSeconds;
  const gateway = new LocalApiGateway({
    model,
    functions: { 'admin-api': adminApi, 'partner-api': partnerApi },
    authorizers: {
      'partner-authorizer': (event) => authorizePartner(event, { keys, clock, cacheTtlSeconds }),
    },
    now: () => clock.now().getTime(),
    ...(usage === undefined ? {} : { onAccessLog: usage.write }),
  });
  ctx.authorizerCache.attach(gateway);
  const port = ctx.ports.api;
  const server = ctx.stoppables.add(
    await listen('the API', port, () => startHttpServer(port, (request) => gateway.handle(request))),
  );
  return { url: server.url, gateway };
}
