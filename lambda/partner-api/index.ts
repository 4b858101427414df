/**
 * Lambda entry point of the partner API (API Gateway proxy integration,
 * behind the partner REQUEST authorizer).
 *
 * Environment: TENANTS_TABLE, API_KEYS_TABLE, WEBHOOKS_TABLE (table names),
 * ENVIRONMENT_NAME and ALLOW_HTTP_WEBHOOKS (`true` refused outside dev);
 * PARTNER_API_ID and PARTNER_API_STAGE (the stage whose authorizer cache a
 * revoke or rotation flushes); PARTNER_RATE_LIMIT_PER_SECOND and
 * PARTNER_RATE_LIMIT_BURST (each org's token bucket, counted in the tenants table);
 * USAGE_TABLE (per-key usage, read only).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { systemClock } from '../core/clock';
import { OrgRateLimit, partnerRateLimitEnvironment, partnerRateLimitOf } from '../repositories/org-rate-limit';
import { platformRepositories, platformTablesEnvironment } from '../repositories/platform-repositories';
import { usageFromEnv, usageReadEnvironment } from '../repositories/usage-repository';
import { authorizerCacheFlusherFromEnv } from '../shared/authorizer-cache';
import { awsClients } from '../shared/aws-clients';
import { devOnlyHttpWebhooks, readEnv, webhookUrlEnvironment } from '../shared/env';
import { failureReplayEnvironment, failureReplayFromEnv } from '../shared/failure-replay';
import { createObservability, publishMetrics } from '../shared/observability';
import { type PartnerApi, createPartnerApi } from './partner-handlers';

const { logger, metrics } = createObservability('partner-api');

export const partnerApiEnvironment = devOnlyHttpWebhooks(
  z.object({
    ...platformTablesEnvironment,
    ...webhookUrlEnvironment,
    ...failureReplayEnvironment,
    ...partnerRateLimitEnvironment,
    ...usageReadEnvironment,
  }),
);

let api: PartnerApi | undefined;

function resolveApi(): PartnerApi {
  if (api !== undefined) return api;
  const env = readEnv(partnerApiEnvironment);
  const { doc, eventBridge } = awsClients();
  const clock = systemClock;
  const repositories = platformRepositories(doc, env, clock, {
    flushAuthorizerCache: authorizerCacheFlusherFromEnv(process.env, logger),
  });
  api = createPartnerApi({
    ...repositories,
    usage: usageFromEnv(env, doc, repositories.keys, clock),
    urlPolicy: { allowHttp: env.ALLOW_HTTP_WEBHOOKS },
    clock,
    logger,
    failureReplay: failureReplayFromEnv(env, { doc, eventBridge }, clock),
    rateLimit: new OrgRateLimit(doc, env.TENANTS_TABLE, partnerRateLimitOf(env), clock),
  });
  return api;
}

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    return await resolveApi()(event);
  } finally {
    publishMetrics(metrics);
  }
}
