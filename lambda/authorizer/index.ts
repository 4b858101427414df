/**
 * Lambda entry point of the partner API's REQUEST authorizer.
 *
 * Environment: API_KEYS_TABLE, TENANTS_TABLE (table names), AUTHORIZER_CACHE_TTL_SECONDS
 * (the authorizer's result TTL on the stage, so no cached answer outlives a key).
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { z } from 'zod';
import { PARTNER_AUTHORIZER_CACHE_SECONDS } from '../api/partner-context';
import { systemClock } from '../core/clock';
import { ApiKeysRepository } from '../repositories/api-keys-repository';
import { awsClients } from '../shared/aws-clients';
import { readEnv, requiredString } from '../shared/env';
import { createObservability, loggableError } from '../shared/observability';
import { AuthorizerUnauthorized, authorizePartner, type PartnerAuthorizerDependencies } from './partner-authorizer';

const { logger } = createObservability('partner-authorizer');

export const authorizerEnvironment = z.object({
  API_KEYS_TABLE: requiredString,
  TENANTS_TABLE: requiredString,
  AUTHORIZER_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(PARTNER_AUTHORIZER_CACHE_SECONDS),
});

let dependencies: PartnerAuthorizerDependencies | undefined;

function resolveDependencies(): PartnerAuthorizerDependencies {
  if (dependencies !== undefined) return dependencies;
  const env = readEnv(authorizerEnvironment);
  const { doc } = awsClients();
  dependencies = {
    keys: new ApiKeysRepository({
      doc,
      apiKeysTableName: env.API_KEYS_TABLE,
      tenantsTableName: env.TENANTS_TABLE,
      clock: systemClock,
    }),
    clock: systemClock,
    cacheTtlSeconds: env.AUTHORIZER_CACHE_TTL_SECONDS,
  };
  return dependencies;
}

export async function handler(event: APIGatewayRequestAuthorizerEvent) {
  try {
    const result = await authorizePartner(event, resolveDependencies());
    logger.info('partner key accepted', { orgId: result.context.orgId, keyPrefix: result.context.keyPrefix });
    return result;
  } catch (error) {
    if (error instanceof AuthorizerUnauthorized) {
      logger.info('partner key refused', { outcome: 'unauthorized' });
    } else {
      logger.error('authorizer failed', { error: loggableError(error) });
    }
    throw error;
  }
}
