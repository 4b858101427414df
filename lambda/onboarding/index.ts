/**
 * Lambda entry point of the onboarding custom resource (Provider framework
 * `onEventHandler`). Clients, logger and metrics live at module scope; the
 * environment is read and checked on the first invocation, so a wiring
 * mistake fails that invocation with a message naming the variable, which
 * CloudFormation shows as the resource's failure reason.
 *
 * Environment:
 * - TENANTS_TABLE, API_KEYS_TABLE, WEBHOOKS_TABLE  table names
 * - PICKUP_SECRET_PREFIX                            e.g. partner-platform/dev/pickup/
 * - ENVIRONMENT_NAME, ALLOW_HTTP_WEBHOOKS          plain http:// webhook URLs ("true" refused outside dev)
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { systemClock } from '../core/clock';
import { platformRepositories, platformTablesEnvironment } from '../repositories/platform-repositories';
import { authorizerCacheFlusherFromEnv } from '../shared/authorizer-cache';
import { awsClients } from '../shared/aws-clients';
import { devOnlyHttpWebhooks, readEnv, requiredString, webhookUrlEnvironment } from '../shared/env';
import { createObservability, loggableError, publishMetrics } from '../shared/observability';
import { SecretsManagerSecretStore } from '../shared/secret-store';
import { handleOnboardingEvent, type OnboardingDependencies, type OnboardingResponse } from './onboarding-handler';

const { logger, metrics } = createObservability('onboarding');

export const onboardingEnvironment = devOnlyHttpWebhooks(
  z.object({ ...platformTablesEnvironment, PICKUP_SECRET_PREFIX: requiredString, ...webhookUrlEnvironment }),
);

let dependencies: OnboardingDependencies | undefined;

function resolveDependencies(): OnboardingDependencies {
  if (dependencies !== undefined) return dependencies;
  const env = readEnv(onboardingEnvironment);
  const { doc, secretsManager } = awsClients();
  const clock = systemClock;
  dependencies = {
    ...platformRepositories(doc, env, clock, {
      flushAuthorizerCache: authorizerCacheFlusherFromEnv(process.env, logger),
    }),
    secrets: new SecretsManagerSecretStore(secretsManager),
    clock,
    logger,
    metrics,
    pickupSecretPrefix: env.PICKUP_SECRET_PREFIX,
    // Never loopback in a deployed Lambda: only the local runtime and tests allow it, by passing urlPolicy themselves.
    urlPolicy: { allowHttp: env.ALLOW_HTTP_WEBHOOKS },
  };
  return dependencies;
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<OnboardingResponse> {
  try {
    return await handleOnboardingEvent(event, resolveDependencies());
  } catch (error) {
    // Name and message only: never the event, whose properties a reader need not see in logs.
    logger.error('onboarding failed', { error: loggableError(error), outcome: 'failed' });
    throw error;
  } finally {
    publishMetrics(metrics);
  }
}
