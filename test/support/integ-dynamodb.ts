/**
 * How an integration test reaches DynamoDB Local: normally the one instance
 * the jest global setup started and published in DYNAMODB_ENDPOINT; when a
 * file runs without that setup, it starts a private instance instead, so
 * `npx jest test/integ/x.integ.test.ts` works on its own.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DynamoDbLocal, localDynamoClients, startDynamoDbLocal } from '../../local/dynamodb-local';

/** The variable the global setup sets; an already set value is used as is. */
export const DYNAMODB_ENDPOINT_ENV = 'DYNAMODB_ENDPOINT';

export interface IntegDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** Destroys the clients, and stops DynamoDB Local if this call started it. */
  close(): Promise<void>;
}

export async function connectToDynamoDbLocal(): Promise<IntegDynamoDb> {
  let endpoint = process.env[DYNAMODB_ENDPOINT_ENV];
  let own: DynamoDbLocal | undefined;
  if (!endpoint) {
    own = await startDynamoDbLocal();
    endpoint = own.endpoint;
  }
  const { client, doc } = localDynamoClients(endpoint);
  return {
    endpoint,
    client,
    doc,
    close: async () => {
      doc.destroy();
      client.destroy();
      await own?.stop();
    },
  };
}
