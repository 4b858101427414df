/**
 * The local EventBridge control plane through the real EventBridge client:
 * the templates' resources are visible through Describe and List, run-time
 * connections, destinations, rules and targets behave as AWS's do (shapes,
 * exception classes, paging, quotas), and events are delivered through
 * run-time rules to real receivers on 127.0.0.1 with the connection's
 * secret header, retries and the shard's dead-letter queue.
 */
import { localEventBridgeClient } from '../../local/eventbridge-client';
import { mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DeleteRuleCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  InvalidEventPatternException,
  LimitExceededException,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import { LocalEventBus } from '../../local/event-bus';
import { EventBridgeServer } from '../../local/eventbridge-server';
import { listenOnLoopback } from '../../local/loopback';
import { type CloudAssemblyView, readCloudAssembly, resourcesOfType } from '../../local/cloud-assembly';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';
import { RecordingReceiver } from './recording-receiver';

const PLATFORM_BUS = 'partner-platform-dev';
const SECRET_HEADER = 'x-partner-platform-secret';
/** EventBridge's input errors are not a modelled class: the client raises its service exception named so. */
const VALIDATION = { name: 'ValidationException', $fault: 'client' };

describe('local EventBridge control plane through the real EventBridge client', () => {
  let assembly: CloudAssemblyView;
  const secrets: Record<string, string> = {};
  let bus: LocalEventBus;
  let server: EventBridgeServer;
  let client: EventBridgeClient;
  let shardBus: string;
  let shardQueueArn: string;
  let shardQueueId: string;
  const receivers: RecordingReceiver[] = [];

  const receiver = async () => {
    const created = new RecordingReceiver();
    receivers.push(created);
    return { receiver: created, url: await created.start() };
  };

  const start = async (options: { limits?: Record<string, number>; resourcesFile?: string } = {}) => {
    bus = new LocalEventBus({ assembly, secrets, retryBaseDelayMs: 5, retryMaxDelayMs: 20, ...options });
    server = new EventBridgeServer(bus);
    await server.start();
    client = localEventBridgeClient(server.url, { maxAttempts: 1 });
  };
  const stop = async () => {
    client?.destroy();
    await server?.stop();
  };

  beforeAll(async () => {
    const root = workspaceWithPartners([{ orgId: 'initech', webhooks: [{ id: 'primary' }] }]);
    assembly = readCloudAssembly(synthesize(loadWorkspace(root)).outdir);
    for (const stack of assembly.stacks) {
      for (const [, secret] of resourcesOfType(stack.template, 'AWS::SecretsManager::Secret')) {
        const name = secret.Properties?.Name;
        if (typeof name === 'string') secrets[name] = `template-secret-${name.length}`;
      }
    }
  }, 120_000);

  beforeEach(async () => {
    await start();
    const routes = await client.send(new ListRulesCommand({ EventBusName: PLATFORM_BUS }));
    const route = routes.Rules!.find((rule) => rule.Name!.includes('-route-'))!;
    const [target] = (await client.send(new ListTargetsByRuleCommand({ Rule: route.Name, EventBusName: PLATFORM_BUS })))
      .Targets!;
    shardBus = target.Arn!.split(':event-bus/')[1];
    shardQueueArn = target.DeadLetterConfig!.Arn!;
    shardQueueId = bus.model.deadLetterQueues.find((queue) => queue.startsWith(`${shardBus}/`))!;
  });

  afterEach(stop);
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
  });

  /** A connection, a destination at `url`, a rule for `orgId` on the shard bus and its target; the route on the platform bus. */
  const provision = async (orgId: string, url: string, retries = 2) => {
    const name = `pp-dev-s000-rt-${orgId}`;
    const connection = await client.send(
      new CreateConnectionCommand({
        Name: name,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: SECRET_HEADER, ApiKeyValue: `secret-of-${orgId}` } },
      }),
    );
    const destination = await client.send(
      new CreateApiDestinationCommand({
        Name: name,
        ConnectionArn: connection.ConnectionArn,
        InvocationEndpoint: url,
        HttpMethod: 'POST',
        InvocationRateLimitPerSecond: 50,
      }),
    );
    await client.send(
      new PutRuleCommand({
        Name: 'pp-dev-s000-rt-route',
        EventBusName: PLATFORM_BUS,
        EventPattern: JSON.stringify({ source: ['spk.api'], detail: { partnerId: ['acme', 'acme-evil'] } }),
      }),
    );
    await client.send(
      new PutTargetsCommand({
        Rule: 'pp-dev-s000-rt-route',
        EventBusName: PLATFORM_BUS,
        Targets: [{ Id: 'shard-bus', Arn: `arn:aws:events:us-east-1:000000000000:event-bus/${shardBus}` }],
      }),
    );
    await client.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: shardBus,
        EventPattern: JSON.stringify({
          source: ['spk.api'],
          'detail-type': ['LockCreated'],
          detail: { partnerId: [orgId] },
        }),
      }),
    );
    await client.send(
      new PutTargetsCommand({
        Rule: name,
        EventBusName: shardBus,
        Targets: [
          {
            Id: 'webhook',
            Arn: destination.ApiDestinationArn,
            RetryPolicy: { MaximumRetryAttempts: retries, MaximumEventAgeInSeconds: 60 },
            DeadLetterConfig: { Arn: shardQueueArn },
          },
        ],
      }),
    );
    return { name, connectionArn: connection.ConnectionArn!, destinationArn: destination.ApiDestinationArn! };
  };

  const publish = async (partnerId: string, detailType = 'LockCreated', seq = 1) => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'spk.api',
            DetailType: detailType,
            Detail: JSON.stringify({ partnerId, seq }),
            EventBusName: PLATFORM_BUS,
          },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
    await server.whenIdle();
  };

  it('shows the templates’ rules, targets, destinations and connections (never the key value)', async () => {
    const rules = await client.send(new ListRulesCommand({ EventBusName: shardBus }));
    const webhookRule = rules.Rules!.find((rule) => rule.Name!.includes('initech-primary'))!;
    expect(webhookRule).toMatchObject({ State: 'ENABLED', EventBusName: shardBus });
    expect(JSON.parse(webhookRule.EventPattern!).detail).toEqual({
      partnerId: ['initech'],
      replayFor: [{ exists: false }, 'primary'],
    });
    const { Targets } = await client.send(
      new ListTargetsByRuleCommand({ Rule: webhookRule.Name, EventBusName: shardBus }),
    );
    expect(Targets![0].Arn).toMatch(
      /^arn:aws:events:us-east-1:000000000000:api-destination\/pp-dev-s000-initech-primary-/,
    );
    const destination = await client.send(new DescribeApiDestinationCommand({ Name: webhookRule.Name }));
    expect(destination.InvocationEndpoint).toBe('https://initech.example/hooks/primary');
    expect(destination.CreationTime).toBeInstanceOf(Date);
    const connection = await client.send(new DescribeConnectionCommand({ Name: webhookRule.Name }));
    expect(connection.AuthParameters).toEqual({ ApiKeyAuthParameters: { ApiKeyName: SECRET_HEADER } });
    expect(JSON.stringify(connection)).not.toContain('template-secret');
  });

  it('raises the exception classes AWS raises', async () => {
    await expect(
      client.send(new DescribeRuleCommand({ Name: 'missing', EventBusName: shardBus })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new DescribeConnectionCommand({ Name: 'missing' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      client.send(new PutRuleCommand({ Name: 'x', EventBusName: 'no-such-bus', EventPattern: '{"source":["a"]}' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(new PutRuleCommand({ Name: 'x', EventBusName: shardBus, EventPattern: '{"source":"not-a-list"}' })),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(client.send(new PutRuleCommand({ Name: 'x', EventBusName: shardBus }))).rejects.toMatchObject(
      VALIDATION,
    );
    await expect(
      client.send(new PutRuleCommand({ Name: 'bad name!', EventBusName: shardBus, EventPattern: '{"source":["a"]}' })),
    ).rejects.toMatchObject(VALIDATION);
    const { name, connectionArn } = await provision('acme', 'https://acme.example/hook');
    await expect(
      client.send(
        new CreateConnectionCommand({
          Name: name,
          AuthorizationType: 'API_KEY',
          AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: SECRET_HEADER, ApiKeyValue: 'v' } },
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(
      client.send(
        new CreateApiDestinationCommand({
          Name: name,
          ConnectionArn: connectionArn,
          InvocationEndpoint: 'https://x.example',
          HttpMethod: 'POST',
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(
      client.send(
        new CreateApiDestinationCommand({
          Name: 'other',
          ConnectionArn: `${connectionArn}-gone`,
          InvocationEndpoint: 'https://x.example',
          HttpMethod: 'POST',
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new DeleteRuleCommand({ Name: name, EventBusName: shardBus }))).rejects.toThrow(
      "Rule can't be deleted since it has targets.",
    );
    await expect(client.send(new DeleteRuleCommand({ Name: name, EventBusName: shardBus }))).rejects.toMatchObject(
      VALIDATION,
    );
    // Deleting a rule that does not exist succeeds, as in AWS.
    await expect(
      client.send(new DeleteRuleCommand({ Name: 'never-made', EventBusName: shardBus })),
    ).resolves.toBeDefined();
  });

  it('refuses past the quotas with LimitExceededException', async () => {
    await stop();
    await start({ limits: { rulesPerEventBus: 3, targetsPerRule: 2, connectionsPerAccount: 2 } });
    const rulesNow = (await client.send(new ListRulesCommand({ EventBusName: shardBus }))).Rules!.length;
    for (let index = rulesNow; index < 3; index += 1) {
      await client.send(
        new PutRuleCommand({ Name: `fill-${index}`, EventBusName: shardBus, EventPattern: '{"source":["a"]}' }),
      );
    }
    await expect(
      client.send(
        new PutRuleCommand({ Name: 'one-too-many', EventBusName: shardBus, EventPattern: '{"source":["a"]}' }),
      ),
    ).rejects.toBeInstanceOf(LimitExceededException);
    // Updating an existing rule on a full bus is no new rule.
    await client.send(new PutRuleCommand({ Name: 'fill-2', EventBusName: shardBus, EventPattern: '{"source":["b"]}' }));
    const target = (id: string) => ({ Id: id, Arn: `arn:aws:events:us-east-1:000000000000:event-bus/${shardBus}` });
    await client.send(
      new PutTargetsCommand({ Rule: 'fill-2', EventBusName: shardBus, Targets: [target('a'), target('b')] }),
    );
    await expect(
      client.send(new PutTargetsCommand({ Rule: 'fill-2', EventBusName: shardBus, Targets: [target('c')] })),
    ).rejects.toBeInstanceOf(LimitExceededException);
    const apiKey = { ApiKeyAuthParameters: { ApiKeyName: SECRET_HEADER, ApiKeyValue: 'v' } };
    const existing = (await client.send(new ListConnectionsCommand({}))).Connections!.length;
    for (let index = existing; index < 2; index += 1) {
      await client.send(
        new CreateConnectionCommand({ Name: `c-${index}`, AuthorizationType: 'API_KEY', AuthParameters: apiKey }),
      );
    }
    await expect(
      client.send(
        new CreateConnectionCommand({ Name: 'over-quota', AuthorizationType: 'API_KEY', AuthParameters: apiKey }),
      ),
    ).rejects.toBeInstanceOf(LimitExceededException);
  });

  it('pages ListRules by NamePrefix and Limit, and PutRule replaces the whole rule', async () => {
    for (let index = 0; index < 7; index += 1) {
      await client.send(
        new PutRuleCommand({
          Name: `pp-dev-s000-page-${index}`,
          EventBusName: shardBus,
          EventPattern: '{"source":["a"]}',
        }),
      );
    }
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new ListRulesCommand({ EventBusName: shardBus, NamePrefix: 'pp-dev-s000-page-', Limit: 3, NextToken: token }),
      );
      names.push(...page.Rules!.map((rule) => rule.Name!));
      token = page.NextToken;
      pages += 1;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(names).toEqual(Array.from({ length: 7 }, (_, index) => `pp-dev-s000-page-${index}`));

    await client.send(new DisableRuleCommand({ Name: 'pp-dev-s000-page-0', EventBusName: shardBus }));
    expect(
      (await client.send(new DescribeRuleCommand({ Name: 'pp-dev-s000-page-0', EventBusName: shardBus }))).State,
    ).toBe('DISABLED');
    await client.send(
      new PutRuleCommand({ Name: 'pp-dev-s000-page-0', EventBusName: shardBus, EventPattern: '{"source":["b"]}' }),
    );
    const replaced = await client.send(new DescribeRuleCommand({ Name: 'pp-dev-s000-page-0', EventBusName: shardBus }));
    expect(replaced).toMatchObject({ State: 'ENABLED', EventPattern: '{"source":["b"]}' });
    expect(replaced.Arn).toBe(`arn:aws:events:us-east-1:000000000000:rule/${shardBus}/pp-dev-s000-page-0`);
  });

  it('delivers through run-time rules only the tenant’s events, with its secret header, and stops when disabled or deleted', async () => {
    const { receiver: acme, url } = await receiver();
    const { name } = await provision('acme', url);
    await publish('acme', 'LockCreated', 1);
    await publish('acme-evil', 'LockCreated', 2);
    await publish('acme', 'KeyAdded', 3);
    expect(acme.received.map((r) => r.body.detail)).toEqual([{ partnerId: 'acme', seq: 1 }]);
    expect(acme.received[0].headers[SECRET_HEADER]).toBe('secret-of-acme');

    await client.send(new DisableRuleCommand({ Name: name, EventBusName: shardBus }));
    await publish('acme', 'LockCreated', 4);
    await client.send(new EnableRuleCommand({ Name: name, EventBusName: shardBus }));
    await client.send(
      new UpdateConnectionCommand({
        Name: name,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: SECRET_HEADER, ApiKeyValue: 'rotated' } },
      }),
    );
    await publish('acme', 'LockCreated', 5);
    expect(acme.received.map((r) => r.body.detail.seq)).toEqual([1, 5]);
    expect(acme.received[1].headers[SECRET_HEADER]).toBe('rotated');

    await client.send(new RemoveTargetsCommand({ Rule: name, EventBusName: shardBus, Ids: ['webhook'] }));
    await client.send(new DeleteRuleCommand({ Name: name, EventBusName: shardBus }));
    await client.send(new DeleteApiDestinationCommand({ Name: name }));
    await client.send(new DeleteConnectionCommand({ Name: name }));
    await publish('acme', 'LockCreated', 6);
    expect(acme.received).toHaveLength(2);
    const left = await client.send(new ListRulesCommand({ EventBusName: shardBus, NamePrefix: name }));
    expect(left.Rules).toEqual([]);
    expect((await client.send(new ListApiDestinationsCommand({ NamePrefix: name }))).ApiDestinations).toEqual([]);
    // Every call above changed run-time resources only.
    expect(bus.store.mutations().filter((m) => m.origin === 'template')).toEqual([]);
  });

  it('retries a failing receiver by the target’s policy, then dead-letters into the shard’s queue', async () => {
    const { receiver: failing, url } = await receiver();
    failing.status = 503;
    await provision('acme', url, 2);
    await publish('acme');
    expect(failing.totalAttempts).toBe(3);
    const [letter] = bus.deadLetters(shardQueueId);
    expect(letter).toMatchObject({ queue: shardQueueId, attempts: 3, status: 503, targetId: 'webhook' });
    failing.status = 200;
    expect(bus.replayDeadLetters(shardQueueId)).toBe(1);
    await server.whenIdle();
    expect(failing.received).toHaveLength(1);
  });

  it('never follows a redirect, so the secret header never reaches the redirect target', async () => {
    const { receiver: elsewhere, url: elsewhereUrl } = await receiver();
    const redirector = await listenOnLoopback(
      createServer((request, response) => {
        request.resume();
        response.writeHead(307, { location: elsewhereUrl }).end();
      }),
    );
    try {
      await provision('acme', `${redirector.url}/hook`);
      await publish('acme');
      expect(elsewhere.totalAttempts).toBe(0);
      const [letter] = bus.deadLetters(shardQueueId);
      expect(letter).toMatchObject({ status: 307, attempts: 1 });
      expect(letter.error).toContain('redirects are not followed');
    } finally {
      await redirector.stop();
    }
  });

  it('refuses and records any change to a template’s destination, rule or connection; only its secret may rotate', async () => {
    const template = bus.store
      .listRules(shardBus)
      .find((rule) => rule.origin === 'template' && rule.Name.includes('initech'))!;
    const destinationBefore = bus.store.apiDestinations.get(template.Name);
    const denied = { name: 'AccessDeniedException', message: expect.stringContaining('which template') };
    await expect(
      client.send(
        new UpdateApiDestinationCommand({ Name: template.Name, InvocationEndpoint: 'https://moved.example/h' }),
      ),
    ).rejects.toMatchObject(denied);
    await expect(client.send(new DeleteApiDestinationCommand({ Name: template.Name }))).rejects.toMatchObject(denied);
    await expect(
      client.send(
        new PutRuleCommand({ Name: template.Name, EventBusName: shardBus, EventPattern: '{"source":["x"]}' }),
      ),
    ).rejects.toMatchObject(denied);
    await expect(
      client.send(new RemoveTargetsCommand({ Rule: template.Name, EventBusName: shardBus, Ids: ['x'] })),
    ).rejects.toMatchObject(denied);
    await expect(
      client.send(
        new UpdateConnectionCommand({
          Name: template.Name,
          AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-other-header' } },
        }),
      ),
    ).rejects.toMatchObject(denied);
    expect(bus.store.apiDestinations.get(template.Name)).toEqual(destinationBefore);
    expect(bus.store.rule(shardBus, template.Name)).toEqual(template);
    expect(bus.store.mutations().map((m) => [m.operation, m.origin, m.refused])).toEqual([
      ['UpdateApiDestination', 'template', true],
      ['DeleteApiDestination', 'template', true],
      ['PutRule', 'template', true],
      ['RemoveTargets', 'template', true],
      ['UpdateConnection', 'template', true],
    ]);

    // A webhook secret rotation: the template references the secret, so the new value keeps it true.
    await client.send(
      new UpdateConnectionCommand({
        Name: template.Name,
        AuthParameters: {
          ApiKeyAuthParameters: { ApiKeyName: SECRET_HEADER, ApiKeyValue: 'rotated-secret-value' },
          InvocationHttpParameters: {
            HeaderParameters: [{ Key: 'x-partner-platform-previous-secret', Value: 'old', IsValueSecret: true }],
          },
        },
      }),
    );
    expect(bus.store.connections.get(template.Name)?.AuthParameters.ApiKeyAuthParameters?.ApiKeyValue).toBe(
      'rotated-secret-value',
    );
    expect(bus.store.mutations().at(-1)).toMatchObject({ operation: 'UpdateConnection', origin: 'template' });
    expect(bus.store.mutations().at(-1)?.refused).toBeUndefined();
  });

  it('lets EnableRule and DisableRule change a template rule’s State and nothing else, kept across a restart', async () => {
    await stop();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'eventbridge-')), 'eventbridge.json');
    await start({ resourcesFile: file });
    const template = bus.store
      .listRules(shardBus)
      .find((rule) => rule.origin === 'template' && rule.Name.includes('initech'))!;
    await client.send(new DisableRuleCommand({ Name: template.Name, EventBusName: shardBus }));
    expect(bus.store.rule(shardBus, template.Name)).toEqual({ ...template, State: 'DISABLED' });
    expect(bus.store.mutations().at(-1)).toMatchObject({ operation: 'DisableRule', origin: 'template' });
    expect(bus.store.mutations().at(-1)?.refused).toBeUndefined();
    // PutRule may change the pattern too, so it stays refused even when only State differs.
    await expect(
      client.send(
        new PutRuleCommand({
          Name: template.Name,
          EventBusName: shardBus,
          EventPattern: template.EventPattern,
          State: 'ENABLED',
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await stop();
    await start({ resourcesFile: file });
    expect(bus.store.rule(shardBus, template.Name)?.State).toBe('DISABLED');
    await client.send(new EnableRuleCommand({ Name: template.Name, EventBusName: shardBus }));
    expect(bus.store.rule(shardBus, template.Name)).toEqual(template);
  });

  it('keeps run-time resources in the data file (mode 0600) across a restart; template resources come from the templates', async () => {
    await stop();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'eventbridge-')), 'eventbridge.json');
    await start({ resourcesFile: file });
    const { url } = await receiver();
    const { name } = await provision('acme', url);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await stop();
    await start({ resourcesFile: file });
    const rule = await client.send(new DescribeRuleCommand({ Name: name, EventBusName: shardBus }));
    expect(rule.Name).toBe(name);
    expect(
      (await client.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: shardBus }))).Targets,
    ).toHaveLength(1);
    const templateRules = bus.store.listRules(shardBus).filter((r) => r.origin === 'template');
    expect(templateRules.length).toBeGreaterThan(0);
  });
});
