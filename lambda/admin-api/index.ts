/**
 * Lambda entry point of the admin API (API Gateway proxy integration).
 *
 * Environment: TENANTS_TABLE, API_KEYS_TABLE, WEBHOOKS_TABLE (table names),
 * WEBHOOK_SECRET_PREFIX, ADMIN_API_KEY_SECRET_ARN (the secret holding the
 * admin API key), ADMIN_JWT_ISSUER, ADMIN_JWT_AUDIENCE, ADMIN_JWKS_URI,
 * ADMIN_EMAIL_DOMAIN, ADMIN_EMAIL_SUBDOMAINS (comma-separated, optional),
 * ADMIN_MAX_TOKEN_AGE_SECONDS and ADMIN_MAX_TOKEN_LIFETIME_SECONDS (default
 * 12 h each), ENVIRONMENT_NAME and ALLOW_HTTP_WEBHOOKS (`true` refused outside dev).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { adminTokenLimitsFrom } from '../api/admin-auth';
import { systemClock } from '../core/clock';
import { platformRepositories } from '../repositories/platform-repositories';
import { usageFromEnv } from '../repositories/usage-repository';
import { awsClients } from '../shared/aws-clients';
import { readEnv } from '../shared/env';
import { failureReplayFromEnv } from '../shared/failure-replay';
import { createObservability, publishMetrics } from '../shared/observability';
import { SecretsManagerSecretStore } from '../shared/secret-store';
import { type AdminApi, createAdminApi } from './admin-handlers';
import { adminApiEnvironment } from './environment';

const { logger, metrics } = createObservability('admin-api');

let api: AdminApi | undefined;

function resolveApi(): AdminApi {
  if (api !== undefined) return api;
  const env = readEnv(adminApiEnvironment);
  const { doc, secretsManager, eventBridge } = awsClients();
  const clock = systemClock;
  const secrets = new SecretsManagerSecretStore(secretsManager);
  let adminKey: Promise<string> | undefined;
  const adminApiKey = () => {
    adminKey ??= secrets.getSecretValue(env.ADMIN_API_KEY_SECRET_ARN).then((version) => {
      if (version === undefined) throw new Error('the admin API key secret has no value');
      return version.value;
    });
    // A failed read is retried by the next request instead of being cached.
    adminKey.catch(() => (adminKey = undefined));
    return adminKey;
  };
  const repositories = platformRepositories(doc, env, clock);
  api = createAdminApi(
    {
      ...repositories,
      usage: usageFromEnv(env, doc, repositories.keys, clock),
      secrets,
      webhookSecretPrefix: env.WEBHOOK_SECRET_PREFIX,
      urlPolicy: { allowHttp: env.ALLOW_HTTP_WEBHOOKS },
      clock,
      logger,
      failureReplay: failureReplayFromEnv(env, { doc, eventBridge }, clock),
    },
    {
      adminApiKey,
      keySet: createRemoteJWKSet(new URL(env.ADMIN_JWKS_URI)),
      verify: jwtVerify,
      issuer: env.ADMIN_JWT_ISSUER,
      audience: env.ADMIN_JWT_AUDIENCE,
      adminEmailDomain: env.ADMIN_EMAIL_DOMAIN,
      ...adminTokenLimitsFrom(env),
    },
  );
  return api;
}

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    return await resolveApi()(event);
  } finally {
    publishMetrics(metrics);
  }
}
