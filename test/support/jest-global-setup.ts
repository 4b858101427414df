/**
 * Starts the one DynamoDB Local that every `*.integ.test.ts` file shares and
 * publishes its endpoint in DYNAMODB_ENDPOINT, which the test workers inherit.
 * When DYNAMODB_ENDPOINT is already set (an instance you run yourself), that
 * one is used and nothing is started.
 */
import '../../scripts/preload';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local';
import { DYNAMODB_ENDPOINT_ENV } from './integ-dynamodb';

/** Jest hands globals set here to the global teardown, in the same process. */
export interface DynamoDbLocalGlobal {
  __dynamoDbLocal?: DynamoDbLocal;
}

export default async function globalSetup(): Promise<void> {
  if (process.env[DYNAMODB_ENDPOINT_ENV]) return;
  const dynamoDbLocal = await startDynamoDbLocal();
  (globalThis as DynamoDbLocalGlobal).__dynamoDbLocal = dynamoDbLocal;
  process.env[DYNAMODB_ENDPOINT_ENV] = dynamoDbLocal.endpoint;
}
