/**
 * Lambda entry point of the partner API's REQUEST authorizer.
 *
 * Environment: see ./environment.ts, plus what the Lambda runtime sets
 * (AWS_REGION and the function's credentials, which sign the GetItem) and,
 * in the local runtime, AWS_ENDPOINT_URL_DYNAMODB.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { systemClock } from '../core/clock';
import { ApiKeyLookup } from '../repositories/api-key-lookup';
import { dynamoDbGetItemFromEnvironment } from '../shared/dynamodb-get-item';
import { JsonLogger } from '../shared/json-logger';
import { loggableError } from '../shared/redaction';
import { readAuthorizerEnvironment } from './environment';
import { AuthorizerUnauthorized, authorizePartner, type PartnerAuthorizerDependencies } from './partner-authorizer';

// Narrow imports only (no zod, no Powertools, no AWS SDK client, no barrels): this runs on
// every partner request; test/api/authorizer-bundle.test.ts holds the size and load budget.
const logger = new JsonLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'partner-authorizer' });

let dependencies: PartnerAuthorizerDependencies | undefined;

function resolveDependencies(): PartnerAuthorizerDependencies {
  if (dependencies !== undefined) return dependencies;
  const env = readAuthorizerEnvironment();
  dependencies = {
    keys: new ApiKeyLookup(dynamoDbGetItemFromEnvironment(), env.API_KEYS_TABLE),
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
