/**
 * Lambda entry point of key rotation, webhook secret rotation and the
 * scheduled sweep. Invoked directly (by the APIs, admins) and by the
 * EventBridge schedule. Clients, logger and metrics live at module scope;
 * the environment is read and checked on the first invocation.
 *
 * Environment: TENANTS_TABLE, API_KEYS_TABLE, WEBHOOKS_TABLE (table names).
 */
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { systemClock } from '../core/clock';
import { platformRepositories, platformTablesEnvironment } from '../repositories/platform-repositories';
import { authorizerCacheFlusherFromEnv } from '../shared/authorizer-cache';
import { awsClients } from '../shared/aws-clients';
import { EventBridgeConnectionUpdater } from '../shared/connection-updater';
import { readEnv } from '../shared/env';
import { createObservability, loggableError, publishMetrics } from '../shared/observability';
import { SecretsManagerSecretStore } from '../shared/secret-store';
import { handleRotationEvent, type RotationDependencies, type RotationResult } from './rotation-handler';

const { logger, metrics } = createObservability('key-rotation');

export const rotationEnvironment = z.object({
  ...platformTablesEnvironment,
});

/** Stop sweeping with this much time left, so the invocation ends cleanly and the next run continues. */
const SWEEP_SAFETY_MARGIN_MS = 20_000;

let dependencies: RotationDependencies | undefined;

function resolveDependencies(): RotationDependencies {
  if (dependencies !== undefined) return dependencies;
  const env = readEnv(rotationEnvironment);
  const { doc, secretsManager, eventBridge } = awsClients();
  const clock = systemClock;
  dependencies = {
    ...platformRepositories(doc, env, clock, {
      flushAuthorizerCache: authorizerCacheFlusherFromEnv(process.env, logger),
    }),
    secrets: new SecretsManagerSecretStore(secretsManager),
    connections: new EventBridgeConnectionUpdater(eventBridge),
    clock,
    logger,
    metrics,
  };
  return dependencies;
}

export async function handler(event: unknown, context?: Context): Promise<RotationResult> {
  try {
    return await handleRotationEvent(event, resolveDependencies(), {
      shouldStop: () => context !== undefined && context.getRemainingTimeInMillis() < SWEEP_SAFETY_MARGIN_MS,
    });
  } catch (error) {
    logger.error('rotation failed', { error: loggableError(error), outcome: 'failed' });
    throw error;
  } finally {
    publishMetrics(metrics);
  }
}
