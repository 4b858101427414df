/** The EventBridge adapter: request shapes and error paths, with the SDK mocked. */
import { EventBridgeClient, EventBridgeServiceException, UpdateConnectionCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { ConnectionUpdateError, EventBridgeConnectionUpdater } from '../../lambda/shared/connection-updater';
import { WEBHOOK_PREVIOUS_SECRET_HEADER, WEBHOOK_SECRET_HEADER } from '../../lambda/shared/webhook-headers';

const events = mockClient(EventBridgeClient);
const updater = new EventBridgeConnectionUpdater(new EventBridgeClient({ region: 'us-east-1' }));

beforeEach(() => events.reset());

describe('EventBridgeConnectionUpdater', () => {
  it('sets the new key and the previous secret as a secret invocation header', async () => {
    events.on(UpdateConnectionCommand).resolves({});
    await updater.updateApiKeyConnection({
      connectionName: 'pp-dev-s0-acme-primary',
      apiKeyName: WEBHOOK_SECRET_HEADER,
      apiKeyValue: 'new-secret',
      extraHeaders: [{ name: WEBHOOK_PREVIOUS_SECRET_HEADER, value: 'old-secret' }],
    });
    expect(events.commandCalls(UpdateConnectionCommand)[0].args[0].input).toEqual({
      Name: 'pp-dev-s0-acme-primary',
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: { ApiKeyName: WEBHOOK_SECRET_HEADER, ApiKeyValue: 'new-secret' },
        InvocationHttpParameters: {
          HeaderParameters: [{ Key: WEBHOOK_PREVIOUS_SECRET_HEADER, Value: 'old-secret', IsValueSecret: true }],
        },
      },
    });
  });

  it('removing the previous header leaves the key alone and sends an empty header list', async () => {
    events.on(UpdateConnectionCommand).resolves({});
    await updater.updateApiKeyConnection({ connectionName: 'c', apiKeyName: WEBHOOK_SECRET_HEADER, extraHeaders: [] });
    expect(events.commandCalls(UpdateConnectionCommand)[0].args[0].input.AuthParameters).toEqual({
      InvocationHttpParameters: { HeaderParameters: [] },
    });
  });

  it('an UpdateConnection failure names the connection and the error, never the secret', async () => {
    events.on(UpdateConnectionCommand).rejects(
      new EventBridgeServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
        message: 'slow down',
      }),
    );
    const error = await updater
      .updateApiKeyConnection({ connectionName: 'c', apiKeyName: 'h', apiKeyValue: 'new-secret', extraHeaders: [] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionUpdateError);
    expect((error as Error).message).toBe('UpdateConnection for c failed (ThrottlingException)');
    expect((error as Error).message).not.toContain('new-secret');
  });
});
