/**
 * The slice of EventBridge the rotation handler changes at run time: the
 * connection's auth (secret rotation; templates only reference the secret,
 * so this never makes a template lie). An interface, so tests and the local runtime use
 * `InMemoryConnectionUpdater` instead of a mocked SDK.
 */
import {
  type ConnectionHeaderParameter,
  type EventBridgeClient,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';

export interface ConnectionHeader {
  readonly name: string;
  readonly value: string;
}

export interface UpdateApiKeyConnectionInput {
  readonly connectionName: string;
  /** The header that carries the key, e.g. `x-partner-platform-secret`. */
  readonly apiKeyName: string;
  /** The new key. Omit to leave it unchanged. */
  readonly apiKeyValue?: string;
  /**
   * Extra secret headers sent with every invocation. They replace the
   * connection's current extra headers: `[]` removes them all.
   */
  readonly extraHeaders: readonly ConnectionHeader[];
}

export interface ConnectionUpdater {
  updateApiKeyConnection(input: UpdateApiKeyConnectionInput): Promise<void>;
}

/** Names the connection or destination, never the values sent. */
export class ConnectionUpdateError extends Error {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectionUpdateError';
  }
}

/** EventBridge behind `ConnectionUpdater`. */
export class EventBridgeConnectionUpdater implements ConnectionUpdater {
  public constructor(private readonly client: EventBridgeClient) {}

  public async updateApiKeyConnection(input: UpdateApiKeyConnectionInput): Promise<void> {
    const headers: ConnectionHeaderParameter[] = input.extraHeaders.map((header) => ({
      Key: header.name,
      Value: header.value,
      IsValueSecret: true,
    }));
    try {
      await this.client.send(
        new UpdateConnectionCommand({
          Name: input.connectionName,
          AuthorizationType: 'API_KEY',
          AuthParameters: {
            ...(input.apiKeyValue === undefined
              ? {}
              : { ApiKeyAuthParameters: { ApiKeyName: input.apiKeyName, ApiKeyValue: input.apiKeyValue } }),
            InvocationHttpParameters: { HeaderParameters: headers },
          },
        }),
      );
    } catch (error) {
      throw new ConnectionUpdateError(`UpdateConnection for ${input.connectionName} failed (${errorName(error)})`, {
        cause: error,
      });
    }
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}

export interface InMemoryConnection {
  apiKeyName?: string;
  apiKeyValue?: string;
  extraHeaders: ConnectionHeader[];
}

/** Connections in memory, for tests and the local runtime. */
export class InMemoryConnectionUpdater implements ConnectionUpdater {
  public readonly connections = new Map<string, InMemoryConnection>();

  public async updateApiKeyConnection(input: UpdateApiKeyConnectionInput): Promise<void> {
    const current = this.connections.get(input.connectionName) ?? { extraHeaders: [] };
    this.connections.set(input.connectionName, {
      apiKeyName: input.apiKeyName,
      apiKeyValue: input.apiKeyValue ?? current.apiKeyValue,
      extraHeaders: input.extraHeaders.map((header) => ({ ...header })),
    });
  }
}
