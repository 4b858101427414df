/**
 * The REST API on the API port: the template's methods and authorizer
 * served by {@link LocalApiGateway}, over the real admin API, partner API
 * and partner authorizer handlers.
 */
import { createAdminApi } from '../../lambda/admin-api/admin-handlers';
import { authorizePartner } from '../../lambda/authorizer/partner-authorizer';
import { createPartnerApi } from '../../lambda/partner-api/partner-handlers';
import { ApiKeyLookup } from '../../lambda/repositories/api-key-lookup';
import { localGetItemClient } from '../dynamodb-local';
import { LocalApiGateway, loadApiModel } from '../api-gateway';
import { startHttpServer } from '../http-server';
import type { FailureReplayPort } from '../../lambda/shared/failure-replay';
import type { AdminIdentity } from './admin-identity';
import type { RuntimeContext } from './context';
import { listen } from './ports';

export interface LocalApi {
  readonly url: string;
  readonly gateway: LocalApiGateway;
}

export async function startApi(
  ctx: RuntimeContext,
  admin: AdminIdentity,
  failureReplay?: FailureReplayPort,
): Promise<LocalApi> {
  const { secrets, webhookSecretPrefix, urlPolicy, clock } = ctx;
  const shared = { ...ctx.tables.repositories, urlPolicy, clock, ...(failureReplay ? { failureReplay } : {}) };
  // The Lambda authorizer's own lookup: the signed GetItem (no SDK) against DynamoDB Local.
  const keys = new ApiKeyLookup(localGetItemClient(ctx.tables.endpoint), ctx.tables.names.apiKeys);
  const adminApi = createAdminApi(
    { ...shared, secrets: secrets.store, webhookSecretPrefix, logger: ctx.logger('admin-api') },
    admin.auth,
  );
  const partnerApi = createPartnerApi({ ...shared, logger: ctx.logger('partner-api') });
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
  });
  ctx.authorizerCache.attach(gateway);
  const port = ctx.ports.api;
  const server = ctx.stoppables.add(
    await listen('the API', port, () => startHttpServer(port, (request) => gateway.handle(request))),
  );
  return { url: server.url, gateway };
}
