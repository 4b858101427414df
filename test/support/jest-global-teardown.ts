/** Stops the DynamoDB Local that the global setup started, if it started one, and unsets what it set. */
import { DYNAMODB_ENDPOINT_ENV } from './integ-dynamodb';
import type { DynamoDbLocalGlobal } from './jest-global-setup';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as DynamoDbLocalGlobal;
  if (holder.__javaToolOptions !== undefined && process.env.JAVA_TOOL_OPTIONS === holder.__javaToolOptions) {
    delete process.env.JAVA_TOOL_OPTIONS;
  }
  delete holder.__javaToolOptions;
  const dynamoDbLocal = holder.__dynamoDbLocal;
  if (dynamoDbLocal === undefined) return;
  delete holder.__dynamoDbLocal;
  delete process.env[DYNAMODB_ENDPOINT_ENV];
  await dynamoDbLocal.stop();
}
