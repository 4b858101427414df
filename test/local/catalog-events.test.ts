/**
 * Producers are checked against the event catalog: the shared publisher
 * refuses a bad event before PutEvents, `npm run local -- put-events` refuses
 * it before sending, and the local bus in strict mode refuses and reports it
 * whoever sent it. Real EventBridge clients, a real local endpoint, real
 * receivers on 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { findEventType } from '../../lambda/core/event-catalog';
import { EventRejectedError } from '../../lambda/core/event-validation';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { EventPublisher } from '../../lambda/shared/event-publisher';
import { readCloudAssembly } from '../../local/cloud-assembly';
import { EVENT_SCHEMA_VIOLATION, type EventRejection, LocalEventBus } from '../../local/event-bus';
import { EventBridgeServer } from '../../local/eventbridge-server';
import { freePort } from '../../local/loopback';
import { EventValidator } from '../../lambda/core/event-validation';
import { RecordingReceiver } from './recording-receiver';
import { LOCAL_CLI } from '../support/local-cli';
import { loadWorkspace, REPO_ROOT, synthesize, workspaceWithPartners } from '../support/workspace';

const run = promisify(execFile);
const BUS = 'partner-platform-dev';
const lockCreated = findEventType(PLATFORM_EVENT_CATALOG, 'LockCreated')!;
const shadow = findEventType(PLATFORM_EVENT_CATALOG, 'Shadow Update')!;

interface World {
  readonly server: EventBridgeServer;
  readonly bus: LocalEventBus;
  readonly client: EventBridgeClient;
  readonly port: number;
}

let receiver: RecordingReceiver;
let assemblyDir: string;
const rejections: EventRejection[] = [];
const worlds: World[] = [];

async function world(strict: boolean): Promise<World> {
  const url = 'https://acme-corp.example/hooks/all';
  const bus = new LocalEventBus({
    assembly: readCloudAssembly(assemblyDir),
    secrets: { 'partner-platform/dev/webhooks/acme-corp/all': 'test-secret' },
    urlOverrides: { [url]: receiverUrl },
    ...(strict
      ? { eventValidator: new EventValidator(PLATFORM_EVENT_CATALOG), onRejected: (r) => rejections.push(r) }
      : {}),
  });
  const server = new EventBridgeServer(bus);
  const port = await freePort();
  await server.start({ port });
  const client = new EventBridgeClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const created = { server, bus, client, port };
  worlds.push(created);
  return created;
}

let receiverUrl: string;

beforeAll(async () => {
  receiver = new RecordingReceiver();
  receiverUrl = await receiver.start();
  const root = workspaceWithPartners([{ orgId: 'acme-corp', webhooks: [{ id: 'all', events: ['*'] }] }]);
  assemblyDir = synthesize(loadWorkspace(root)).outdir;
}, 60_000);

afterAll(async () => {
  for (const { client, server } of worlds) {
    client.destroy();
    await server.stop();
  }
  await receiver.stop();
});

beforeEach(() => {
  receiver.received.length = 0;
  rejections.length = 0;
});

const badDetail = { partnerId: 'acme-corp', lockId: 7 };

describe('EventPublisher', () => {
  it('publishes a catalog event through the real rules to the partner', async () => {
    const { client, bus } = await world(false);
    const publisher = new EventPublisher({ client, busName: BUS });
    const ids = await publisher.publish([
      { source: shadow.source, detailType: shadow.name, detail: { ...shadow.example, partnerId: 'acme-corp' } },
    ]);
    await bus.whenIdle();
    expect(ids).toHaveLength(1);
    expect(receiver.received.map((r) => r.body)).toEqual([
      expect.objectContaining({ id: ids[0], source: 'spk.iot.shadow', 'detail-type': 'Shadow Update' }),
    ]);
  });

  it('refuses the whole batch before PutEvents when one event breaks the catalog', async () => {
    const { client, bus } = await world(false);
    const publisher = new EventPublisher({ client, busName: BUS });
    const good = { source: lockCreated.source, detailType: lockCreated.name, detail: lockCreated.example };
    await expect(
      publisher.publish([good, { source: 'spk.api', detailType: 'LockCreated', detail: badDetail }]),
    ).rejects.toThrow(EventRejectedError);
    await expect(publisher.publish([{ ...good, source: 'spk.iot.shadow' }])).rejects.toThrow(
      /source LockCreated is published by spk\.api, not spk\.iot\.shadow/,
    );
    await expect(publisher.publish([{ ...good, detailType: 'LockDeleted' }])).rejects.toThrow(
      /not in the event catalog/,
    );
    await bus.whenIdle();
    expect(receiver.received).toEqual([]);
  });
});

describe('the local bus in strict mode', () => {
  it('refuses and reports an event that breaks its schema, and delivers the rest', async () => {
    const { client, bus } = await world(true);
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'spk.api', DetailType: 'LockCreated', Detail: JSON.stringify(badDetail), EventBusName: BUS },
          {
            Source: 'spk.api',
            DetailType: 'LockCreated',
            Detail: JSON.stringify(lockCreated.example),
            EventBusName: BUS,
          },
        ],
      }),
    );
    await bus.whenIdle();
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]).toMatchObject({ ErrorCode: EVENT_SCHEMA_VIOLATION });
    expect(result.Entries?.[0].ErrorMessage).toMatch(/detail\.lockId must be string/);
    expect(rejections).toEqual([
      { source: 'spk.api', detailType: 'LockCreated', problems: expect.arrayContaining([expect.anything()]) },
    ]);
    expect(receiver.received).toHaveLength(1);
  });

  it('accepts the same event without strict mode, as EventBridge does', async () => {
    const { client, bus } = await world(false);
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'spk.api', DetailType: 'LockCreated', Detail: JSON.stringify(badDetail), EventBusName: BUS },
        ],
      }),
    );
    await bus.whenIdle();
    expect(result.FailedEntryCount).toBe(0);
    expect(rejections).toEqual([]);
    expect(receiver.received).toHaveLength(1);
  });
});

describe('npm run local -- put-events', () => {
  const cli = (args: string[]) =>
    run(LOCAL_CLI[0], [...LOCAL_CLI.slice(1), 'put-events', ...args], { cwd: REPO_ROOT }).then(
      (out) => ({ code: 0, ...out }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('sends the type example from its own source, and refuses an event that breaks the catalog', async () => {
    const { port, bus } = await world(false);
    const apiPort = String(port - 1);
    const sent = await cli(['--partner', 'acme-corp', '--type', 'Shadow Update', '--port', apiPort]);
    expect({ stdout: sent.stdout, stderr: sent.stderr }).toEqual({
      stdout: expect.stringContaining('accepted 1 of 1 event(s)'),
      stderr: '',
    });
    await bus.whenIdle();
    expect(receiver.received.map((r) => [r.body.source, r.body['detail-type'], r.body.detail.thingName])).toEqual([
      ['spk.iot.shadow', 'Shadow Update', shadow.example.thingName],
    ]);

    const refused = await cli([
      '--partner',
      'acme-corp',
      '--type',
      'LockCreated',
      '--detail',
      '{"lockId":7}',
      '--port',
      apiPort,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not sent: the event breaks the event catalog.*detail\.lockId must be string/);
    const wrongSource = await cli([
      '--partner',
      'acme-corp',
      '--type',
      'LockCreated',
      '--source',
      'spk.iot.shadow',
      '--port',
      apiPort,
    ]);
    expect(wrongSource.stderr).toMatch(/source LockCreated is published by spk\.api/);
    await bus.whenIdle();
    expect(receiver.received).toHaveLength(1);
  }, 60_000);
});
