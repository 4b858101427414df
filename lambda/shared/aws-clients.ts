/**
 * The AWS SDK clients a handler uses, created once per execution environment
 * (module scope survives between invocations, so connections are reused).
 *
 * Endpoints: the SDK itself honours `AWS_ENDPOINT_URL` and the per-service
 * `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SECRETS_MANAGER` and
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`. They are read here explicitly as well, so
 * the local runtime's DynamoDB Local endpoint applies however the SDK's
 * shared-config loading is set up; in Lambda none of them is set.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { endpointFor, type EndpointEnvironment } from './endpoints';

export { endpointFor, type EndpointEnvironment } from './endpoints';

function withEndpoint(endpoint: string | undefined): { endpoint?: string } {
  return endpoint === undefined ? {} : { endpoint };
}

/** A document client that drops `undefined` attributes, so optional record fields need no cleaning. */
export function createDocumentClient(env: EndpointEnvironment = process.env): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...withEndpoint(endpointFor('DYNAMODB', env)) });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSecretsManagerClient(env: EndpointEnvironment = process.env): SecretsManagerClient {
  return new SecretsManagerClient({ ...withEndpoint(endpointFor('SECRETS_MANAGER', env)) });
}

export function createEventBridgeClient(env: EndpointEnvironment = process.env): EventBridgeClient {
  return new EventBridgeClient({ ...withEndpoint(endpointFor('EVENTBRIDGE', env)) });
}

export interface AwsClients {
  readonly doc: DynamoDBDocumentClient;
  readonly secretsManager: SecretsManagerClient;
  readonly eventBridge: EventBridgeClient;
}

let shared: AwsClients | undefined;

/**
 * The execution environment's clients, created on first use. Creating a
 * client opens no connection, so a handler that never calls Secrets Manager
 * pays nothing for it.
 */
export function awsClients(): AwsClients {
  shared ??= {
    doc: createDocumentClient(),
    secretsManager: createSecretsManagerClient(),
    eventBridge: createEventBridgeClient(),
  };
  return shared;
}
