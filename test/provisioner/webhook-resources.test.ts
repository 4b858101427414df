/**
 * A create that loses to another invocation (the stream retry and the
 * reconcile converging one webhook at once): EventBridge answers
 * ResourceAlreadyExistsException, and the provisioner describes what the
 * other made and updates only what differs. The SDK is mocked: this error
 * path needs an exact interleaving (the integration race test holds a real
 * one too).
 */
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { desiredWebhook } from '../../lambda/core/provisioning';
import { webhookEventPattern } from '../../lambda/core/event-catalog';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { EventBridgeResources } from '../../lambda/provisioner/event-bridge-resources';
import { QuotaLedger } from '../../lambda/provisioner/quota-ledger';
import { WebhookResources } from '../../lambda/provisioner/webhook-resources';
import { WEBHOOK_SECRET_HEADER } from '../../lambda/shared/webhook-headers';
import { LIMITS, TOPOLOGY } from './provisioner-world';

const events = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'eu-west-1' });
const resources = new EventBridgeResources(client);
const webhookResources = new WebhookResources(resources, TOPOLOGY, async () => 'the-secret-value');

const named = (name: string) => Object.assign(new Error(`${name} (mocked)`), { name });
const DESIRED = desiredWebhook(
  {
    orgId: 'acme',
    webhookId: 'wh_alreadyexists000000',
    url: 'https://acme.example/new',
    verifiedUrl: 'https://acme.example/new',
    events: ['LockCreated'],
    status: 'active',
    source: 'api',
    createdAt: '2026-03-01T00:00:00.000Z',
    updatedAt: '2026-03-01T00:00:00.000Z',
    attempts: 1,
    secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme',
  },
  true,
  TOPOLOGY,
  (orgId, types) => webhookEventPattern(orgId, types, PLATFORM_EVENT_CATALOG),
)!;
const CONNECTION_ARN = `arn:aws:events:eu-west-1:111111111111:connection/${DESIRED.name}/other`;
const DESTINATION_ARN = `arn:aws:events:eu-west-1:111111111111:api-destination/${DESIRED.name}/other`;

beforeEach(() => {
  events.reset();
  events.on(ListConnectionsCommand).resolves({ Connections: [] });
  events.on(ListApiDestinationsCommand).resolves({ ApiDestinations: [] });
  events.on(ListRulesCommand).resolves({ Rules: [] });
  events.on(DescribeRuleCommand).rejects(named('ResourceNotFoundException'));
  events.on(ListTargetsByRuleCommand).resolves({ Targets: [] });
  events.on(PutRuleCommand).resolves({});
  events.on(PutTargetsCommand).resolves({ FailedEntryCount: 0 });
  events.on(UpdateConnectionCommand).resolves({});
  events.on(UpdateApiDestinationCommand).resolves({ ApiDestinationArn: DESTINATION_ARN });
  events.on(CreateConnectionCommand).rejects(named('ResourceAlreadyExistsException'));
  events.on(CreateApiDestinationCommand).rejects(named('ResourceAlreadyExistsException'));
});

const ledger = () => new QuotaLedger(resources, LIMITS, TOPOLOGY.env);

describe('a create that finds the name already taken', () => {
  it('takes the connection and destination another invocation made, updating only what differs', async () => {
    events
      .on(DescribeConnectionCommand)
      .rejectsOnce(named('ResourceNotFoundException'))
      .resolves({ ConnectionArn: CONNECTION_ARN, AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-old' } } });
    events.on(DescribeApiDestinationCommand).rejectsOnce(named('ResourceNotFoundException')).resolves({
      ApiDestinationArn: DESTINATION_ARN,
      ConnectionArn: CONNECTION_ARN,
      InvocationEndpoint: 'https://acme.example/old',
      InvocationRateLimitPerSecond: DESIRED.rateLimitPerSecond,
    });

    await expect(webhookResources.ensure(DESIRED, ledger())).resolves.toBeUndefined();

    expect(events.commandCalls(UpdateConnectionCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({
        Name: DESIRED.name,
        AuthParameters: {
          ApiKeyAuthParameters: { ApiKeyName: WEBHOOK_SECRET_HEADER, ApiKeyValue: 'the-secret-value' },
        },
      }),
    ]);
    expect(events.commandCalls(UpdateApiDestinationCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({
        Name: DESIRED.name,
        ConnectionArn: CONNECTION_ARN,
        InvocationEndpoint: DESIRED.endpoint,
      }),
    ]);
    expect(events.commandCalls(PutTargetsCommand)[0].args[0].input.Targets?.[0].Arn).toBe(DESTINATION_ARN);
  });

  it('changes nothing of what the other invocation made when it is already as wanted', async () => {
    events
      .on(DescribeConnectionCommand)
      .rejectsOnce(named('ResourceNotFoundException'))
      .resolves({
        ConnectionArn: CONNECTION_ARN,
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: WEBHOOK_SECRET_HEADER } },
      });
    events.on(DescribeApiDestinationCommand).rejectsOnce(named('ResourceNotFoundException')).resolves({
      ApiDestinationArn: DESTINATION_ARN,
      ConnectionArn: CONNECTION_ARN,
      InvocationEndpoint: DESIRED.endpoint,
      InvocationRateLimitPerSecond: DESIRED.rateLimitPerSecond,
    });

    await expect(webhookResources.ensure(DESIRED, ledger())).resolves.toBeUndefined();

    expect(events.commandCalls(UpdateConnectionCommand)).toHaveLength(0);
    expect(events.commandCalls(UpdateApiDestinationCommand)).toHaveLength(0);
    expect(events.commandCalls(PutTargetsCommand)[0].args[0].input.Targets?.[0].Arn).toBe(DESTINATION_ARN);
  });

  it('a name taken and gone again is an error for the retry, not a webhook left half made and marked live', async () => {
    events.on(DescribeConnectionCommand).rejects(named('ResourceNotFoundException'));
    events.on(DescribeApiDestinationCommand).rejects(named('ResourceNotFoundException'));

    await expect(webhookResources.ensure(DESIRED, ledger())).rejects.toThrow(/taken and is gone again/);
    expect(events.commandCalls(PutRuleCommand)).toHaveLength(0);
  });
});
