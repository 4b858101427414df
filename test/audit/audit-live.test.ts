/**
 * `npm run audit -- --live` over the local EventBridge endpoint with the
 * real client: runtime-owned webhooks are listed with their live resources
 * (the secret as a reference only), resources under the platform's prefixes
 * that no template and no record explains are flagged, and so are records
 * whose live resources differ from what they ask for.
 */
import { localEventBridgeClient } from '../../local/eventbridge-client';
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { LocalEventBus } from '../../local/event-bus';
import { EventBridgeServer } from '../../local/eventbridge-server';
import {
  buildLiveAudit,
  type LiveWebhookRecord,
  liveProblems,
  readLiveEventBridge,
  renderLiveMarkdown,
  templateNames,
} from '../../scripts/lib/audit-live';
import { type CloudAssemblyView, readCloudAssembly, resourcesOfType } from '../../local/cloud-assembly';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

const SHARD_BUS = 'partner-platform-dev-shard-000';
const placement = (orgId: string, webhookId: string) => ({
  name: `pp-dev-s000-_${orgId}-${webhookId}`,
  busName: SHARD_BUS,
});

describe('live audit', () => {
  let assembly: CloudAssemblyView;
  let server: EventBridgeServer;
  let client: EventBridgeClient;

  beforeAll(async () => {
    assembly = readCloudAssembly(synthesize(loadWorkspace(workspaceWithPartners([{ orgId: 'initech' }]))).outdir);
    const secrets: Record<string, string> = {};
    for (const stack of assembly.stacks) {
      for (const [, secret] of resourcesOfType(stack.template, 'AWS::SecretsManager::Secret')) {
        if (typeof secret.Properties?.Name === 'string') secrets[secret.Properties.Name] = 'template-secret-value';
      }
    }
    server = new EventBridgeServer(new LocalEventBus({ assembly, secrets }));
    await server.start();
    client = localEventBridgeClient(server.url);
    const make = async (name: string, endpoint: string) => {
      const { ConnectionArn } = await client.send(
        new CreateConnectionCommand({
          Name: name,
          AuthorizationType: 'API_KEY',
          AuthParameters: {
            ApiKeyAuthParameters: { ApiKeyName: 'x-partner-platform-secret', ApiKeyValue: 'runtime-secret-value' },
          },
        }),
      );
      const { ApiDestinationArn } = await client.send(
        new CreateApiDestinationCommand({
          Name: name,
          ConnectionArn,
          InvocationEndpoint: endpoint,
          HttpMethod: 'POST',
        }),
      );
      await client.send(
        new PutRuleCommand({ Name: name, EventBusName: SHARD_BUS, EventPattern: '{"detail":{"partnerId":["acme"]}}' }),
      );
      await client.send(
        new PutTargetsCommand({
          Rule: name,
          EventBusName: SHARD_BUS,
          Targets: [{ Id: 'webhook', Arn: ApiDestinationArn }],
        }),
      );
    };
    await make('pp-dev-s000-_acme-primary', 'https://acme.example/hook');
    await make('pp-dev-s000-_acme-moved', 'https://acme.example/old');
    await make('pp-dev-s000-_ghost-orphan', 'https://ghost.example/hook');
  }, 120_000);

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  const records: LiveWebhookRecord[] = [
    {
      orgId: 'acme',
      webhookId: 'primary',
      source: 'api',
      url: 'https://acme.example/hook',
      verifiedUrl: 'https://acme.example/hook',
      events: ['LockCreated'],
      status: 'active',
      secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:partner-platform/dev/webhooks/acme/primary',
      delivery: { state: 'live' },
    },
    {
      orgId: 'acme',
      webhookId: 'moved',
      source: 'portal',
      url: 'https://acme.example/new',
      verifiedUrl: 'https://acme.example/new',
      events: ['*'],
      status: 'active',
      delivery: { state: 'live' },
    },
    {
      orgId: 'acme',
      webhookId: 'missing',
      source: 'api',
      url: 'https://acme.example/missing',
      verifiedUrl: 'https://acme.example/missing',
      events: ['*'],
      status: 'active',
      delivery: { state: 'live' },
    },
    {
      orgId: 'initech',
      webhookId: 'primary',
      source: 'config',
      url: 'https://initech.example/hooks/primary',
      events: ['*'],
      status: 'active',
    },
  ];

  it('lists runtime webhooks, flags what nothing explains and what differs, and never prints a secret value', async () => {
    const names = templateNames(assembly);
    const live = await readLiveEventBridge(client, [...names.buses, 'default'], ['pp-dev-']);
    const audit = buildLiveAudit({
      assembly,
      live,
      records,
      placement,
      isRuntimeRoute: (name) => /-route-rt\d+$/.test(name),
    });

    expect(audit.runtimeWebhooks.map((w) => `${w.orgId}/${w.webhookId}`)).toEqual([
      'acme/missing',
      'acme/moved',
      'acme/primary',
    ]);
    expect(audit.runtimeWebhooks.find((w) => w.webhookId === 'primary')).toMatchObject({
      source: 'api',
      deliveryState: 'live',
      secretReference: records[0].secretArn,
      rule: { bus: SHARD_BUS, name: 'pp-dev-s000-_acme-primary', state: 'ENABLED' },
      destination: { endpoint: 'https://acme.example/hook' },
      connection: { authorizationType: 'API_KEY' },
    });
    // The template's initech resources are explained; the ghost's are not.
    expect(audit.unexplained).toEqual([
      { kind: 'api-destination', name: 'pp-dev-s000-_ghost-orphan' },
      { kind: 'connection', name: 'pp-dev-s000-_ghost-orphan' },
      { kind: 'rule', name: 'pp-dev-s000-_ghost-orphan', bus: SHARD_BUS },
    ]);
    expect(audit.drift).toEqual([
      { orgId: 'acme', webhookId: 'missing', problem: 'delivery is live but no rule exists' },
      { orgId: 'acme', webhookId: 'missing', problem: 'delivery is live but no API destination exists' },
      { orgId: 'acme', webhookId: 'missing', problem: 'delivery is live but no connection exists' },
      {
        orgId: 'acme',
        webhookId: 'moved',
        problem:
          "API destination delivers to https://acme.example/old, the record's verified URL is https://acme.example/new",
      },
    ]);
    const markdown = renderLiveMarkdown(audit, 'local');
    expect(liveProblems(audit)).toHaveLength(7);
    for (const text of [markdown, JSON.stringify(audit)]) {
      expect(text).not.toContain('runtime-secret-value');
      expect(text).not.toContain('template-secret-value');
    }
    expect(markdown).toContain('| acme | primary | api | LockCreated | https://acme.example/hook | live |');
  });

  it('names a template rule endpoint health switched off disabled-by-health, and one switched off without it drift', async () => {
    const names = templateNames(assembly);
    const key = [...names.rules].find((rule) => rule.startsWith(`${SHARD_BUS}/`) && rule.includes('initech'))!;
    const [bus, name] = [SHARD_BUS, key.slice(SHARD_BUS.length + 1)];
    await client.send(new DisableRuleCommand({ Name: name, EventBusName: bus }));
    try {
      const live = await readLiveEventBridge(client, [...names.buses, 'default'], ['pp-dev-']);
      const configPlacement = () => ({ name, busName: bus });
      const health = { state: 'disabled', disabledAt: '2026-04-07T10:15:00.000Z', disabledAfterHours: 120 };
      const withHealth = records.map((record) => (record.orgId === 'initech' ? { ...record, health } : record));
      const input = { assembly, live, placement, configPlacement, isRuntimeRoute: () => false };
      const audit = buildLiveAudit({ ...input, records: withHealth });
      expect(audit.disabledByHealth).toEqual([
        {
          orgId: 'initech',
          webhookId: 'primary',
          owner: 'config',
          rule: `${bus}/${name}`,
          state: 'DISABLED',
          disabledAt: health.disabledAt,
          disabledAfterHours: 120,
        },
      ]);
      expect(audit.drift.filter((d) => d.orgId === 'initech')).toEqual([]);
      expect(renderLiveMarkdown(audit, 'local')).toContain('| DISABLED (disabled-by-health) |');
      const silent = buildLiveAudit({ ...input, records });
      expect(silent.disabledByHealth).toEqual([]);
      expect(silent.drift.filter((d) => d.orgId === 'initech')).toEqual([
        {
          orgId: 'initech',
          webhookId: 'primary',
          problem: expect.stringContaining('endpoint health did not disable it'),
        },
      ]);
    } finally {
      await client.send(new EnableRuleCommand({ Name: name, EventBusName: bus }));
    }
  });
});
