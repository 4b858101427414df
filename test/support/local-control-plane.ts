/**
 * The local EventBridge control plane (local/eventbridge-control-plane.ts)
 * behind its own HTTP endpoint on 127.0.0.1, for tests that drive it with
 * the real `@aws-sdk/client-eventbridge` client but need no event bus: the
 * same JSON 1.1 protocol and error names the local runtime's endpoint
 * answers with. Every call is counted, so tests can assert on them.
 */
import { createServer } from 'node:http';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeControlPlane } from '../../local/eventbridge-control-plane';
import { EventBridgeApiError } from '../../local/eventbridge-errors';
import { type EventBridgeLimits, EventBridgeStore } from '../../local/eventbridge-store';
import { listenOnLoopback, type LoopbackServer } from '../../local/loopback';

export interface LocalControlPlane {
  readonly store: EventBridgeStore;
  readonly url: string;
  /** Every operation called, in order, e.g. `CreateConnection`. */
  readonly calls: string[];
  /** A real client pointed at this endpoint. */
  client(): EventBridgeClient;
  stop(): Promise<void>;
}

export async function startLocalControlPlane(
  options: { readonly buses?: readonly string[]; readonly limits?: Partial<EventBridgeLimits> } = {},
): Promise<LocalControlPlane> {
  const store = new EventBridgeStore({ account: '111111111111', region: 'eu-west-1', limits: options.limits });
  for (const bus of options.buses ?? []) store.buses.add(bus);
  const plane = new EventBridgeControlPlane(store);
  const calls: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
      calls.push(operation);
      let status = 200;
      let body: unknown;
      try {
        body = plane.call(operation, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch (error) {
        if (!(error instanceof EventBridgeApiError)) throw error;
        status = error.status;
        body = { __type: error.type, message: error.message };
      }
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body ?? {}));
    });
  });
  const listening: LoopbackServer = await listenOnLoopback(server);
  return {
    store,
    url: listening.url,
    calls,
    client: () =>
      new EventBridgeClient({
        endpoint: listening.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      }),
    stop: () => listening.stop(),
  };
}
