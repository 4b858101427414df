/**
 * Lambda entry point of the partner portal (behind a Function URL or API
 * Gateway; hono's adapter reads both event shapes).
 *
 * Environment: TENANTS_TABLE, API_KEYS_TABLE, WEBHOOKS_TABLE (table names);
 * PORTAL_ISSUER_URL, PORTAL_CLIENT_ID; PORTAL_CLIENT_SECRET_ID and
 * PORTAL_SESSION_SECRET_ID (Secrets Manager secret ids whose SecretString is
 * the OIDC client secret, and a random string of at least 32 characters);
 * PORTAL_BASE_URL (the public origin) or PORTAL_BASE_URL_SOURCE=function-url
 * (the function's own Function URL, as Lambda names it in the event; never
 * a Host header); ALLOW_HTTP_WEBHOOKS (optional "true"); and
 * WEBHOOK_SECRET_PREFIX (optional: where a partner's first webhook gets its
 * signing secret; without it the portal only changes existing webhooks);
 * PLATFORM_BUS_NAME (optional: where "Send test event" publishes) and
 * TEST_EVENTS_PER_MINUTE (optional, default 10 per org); FAILED_DELIVERIES_TABLE,
 * ENVIRONMENT_NAME and FAILURE_RETENTION_DAYS (set together by
 * `DeadLetterConsumer.grantReplay`: the failed-deliveries page and replay);
 * MAIL_SENDER and MAIL_CONFIGURATION_SET (optional: invitations go out
 * through Amazon SES from that sender; without it the Team page cannot invite).
 *
 * Settings are validated on every request (see config.ts). jose and
 * openid-client are ESM-only; esbuild inlines them into the bundle.
 */
import { handle } from 'hono/aws-lambda';
import * as jose from 'jose';
import * as openid from 'openid-client';
import { systemClock } from '../core/clock';
import { authorizerCacheFlusherFromEnv } from '../shared/authorizer-cache';
import { awsClients } from '../shared/aws-clients';
import { failureReplayFromEnv } from '../shared/failure-replay';
import { sesMailerFromEnv } from '../shared/mailer';
import { createObservability } from '../shared/observability';
import { SecretsManagerSecretStore } from '../shared/secret-store';
import { type PortalDependencies, createPortalApp } from './app';
import { z } from 'zod';
import { ApiKeysRepository } from '../repositories/api-keys-repository';
import {
  PARTNER_RATE_LIMIT_ENV,
  partnerRateLimitEnvironment,
  partnerRateLimitOf,
} from '../repositories/org-rate-limit';
import { usageFromEnv } from '../repositories/usage-repository';
import { readEnv } from '../shared/env';
import { openIdClientFactory } from './oidc';
import { environmentSettingsSource, functionUrlDomainOf } from './settings-source';

const { logger } = createObservability('portal');
const { doc, secretsManager, eventBridge } = awsClients();
const secrets = new SecretsManagerSecretStore(secretsManager);

/** Fixed by the first Function URL invocation; Lambda routes only this function's URL here. */
let functionUrlDomain: string | undefined;

export const app = createPortalApp({
  settings: environmentSettingsSource(secrets, systemClock, process.env, () => functionUrlDomain),
  doc,
  oidc: openIdClientFactory(openid),
  jose,
  secrets,
  clock: systemClock,
  logger,
  flushAuthorizerCache: authorizerCacheFlusherFromEnv(process.env, logger),
  eventBridge,
  failureReplay: failureReplayFromEnv(process.env, { doc, eventBridge }, systemClock),
  mailer: sesMailerFromEnv(process.env),
  ...portalUsageFromEnv(process.env),
});

/** The usage page's reader (USAGE_TABLE) and the partner API's limit (PARTNER_RATE_LIMIT_*), where set. */
function portalUsageFromEnv(env: NodeJS.ProcessEnv): Pick<PortalDependencies, 'usage' | 'partnerRateLimit'> {
  const keys = new ApiKeysRepository({
    doc,
    apiKeysTableName: env.API_KEYS_TABLE ?? '',
    tenantsTableName: env.TENANTS_TABLE ?? '',
    clock: systemClock,
  });
  const usage = usageFromEnv(
    { USAGE_TABLE: env.USAGE_TABLE || undefined, API_KEYS_TABLE: env.API_KEYS_TABLE ?? '' },
    doc,
    keys,
    systemClock,
  );
  const limit =
    env[PARTNER_RATE_LIMIT_ENV.requestsPerSecond] === undefined
      ? undefined
      : partnerRateLimitOf(readEnv(z.object(partnerRateLimitEnvironment), env));
  return { ...(usage === undefined ? {} : { usage }), ...(limit === undefined ? {} : { partnerRateLimit: limit }) };
}

const serve = handle(app);

export const handler: typeof serve = (event, lambdaContext) => {
  functionUrlDomain ??= functionUrlDomainOf(event);
  return serve(event, lambdaContext);
};
