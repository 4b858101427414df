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
  /** Set when the setup chose JAVA_TOOL_OPTIONS, so the teardown unsets it. */
  __javaToolOptions?: string;
}

/**
 * JVM settings for the DynamoDB Local that a test's local runtime starts for
 * itself (the workers inherit them; an explicit JAVA_TOOL_OPTIONS wins). It
 * lives for one file and serves a few hundred requests, so the client
 * compiler alone and the serial collector suit it: its start took 2.7 s less
 * CPU and half the wall time on a loaded 2-core machine. The shared instance
 * this setup starts serves the whole run and keeps the JVM's defaults.
 */
export const SHORT_LIVED_JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

export default async function globalSetup(): Promise<void> {
  if (!process.env[DYNAMODB_ENDPOINT_ENV]) {
    const dynamoDbLocal = await startDynamoDbLocal();
    (globalThis as DynamoDbLocalGlobal).__dynamoDbLocal = dynamoDbLocal;
    process.env[DYNAMODB_ENDPOINT_ENV] = dynamoDbLocal.endpoint;
  }
  if (process.env.JAVA_TOOL_OPTIONS === undefined) {
    process.env.JAVA_TOOL_OPTIONS = SHORT_LIVED_JVM_OPTIONS;
    (globalThis as DynamoDbLocalGlobal).__javaToolOptions = SHORT_LIVED_JVM_OPTIONS;
  }
}
