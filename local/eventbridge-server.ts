/**
 * An HTTP endpoint on 127.0.0.1 that speaks the EventBridge JSON 1.1
 * protocol, so the real `@aws-sdk/client-eventbridge` client (with
 * `endpoint` set to {@link EventBridgeServer.url}) publishes to the
 * {@link LocalEventBus} (`AWSEvents.PutEvents`) and manages connections, API
 * destinations, rules and targets through its control plane (the
 * operations {@link EventBridgeControlPlane} serves), with EventBridge's
 * error names in `__type`, so the client raises the same exception classes.
 * A PutEvents response is sent once the entries are accepted; delivery
 * continues in the background ({@link EventBridgeServer.whenIdle}).
 * Request signatures are not checked: the server only listens on loopback.
 *
 * Local-only control routes (not part of EventBridge) let `npm run local --
 * dlq` reach the running engine: `GET /_local/dlq` lists the dead-letter
 * queues and their messages, `POST /_local/dlq/replay?queue=ID` replays one
 * queue (or all without `queue`).
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { LocalEventBus, PutEventsEntry } from './event-bus';
import { EventBridgeApiError } from './eventbridge-errors';
import { listenOnLoopback, type LoopbackServer } from './loopback';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const MAX_BODY_BYTES = 1024 * 1024;
/** EventBridge accepts at most 10 entries per PutEvents call. */
const MAX_ENTRIES = 10;
const TARGET_PREFIX = 'AWSEvents.';
/** Paths under this prefix are the local runtime's own, never EventBridge operations. */
export const CONTROL_PREFIX = '/_local';

export interface EventBridgeServerOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export class EventBridgeServer {
  private listening?: LoopbackServer;

  constructor(readonly bus: LocalEventBus) {}

  /** Starts listening on 127.0.0.1; rejects (e.g. EADDRINUSE) when the port is taken. */
  async start(options: EventBridgeServerOptions = {}): Promise<string> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error) =>
        reply(response, 500, { __type: 'InternalException', message: String(error) }),
      );
    });
    this.listening = await listenOnLoopback(server, options.port ?? 0);
    return this.url;
  }

  get url(): string {
    if (!this.listening) throw new Error('EventBridge server not started');
    return this.listening.url;
  }

  /** Resolves when every accepted event has been delivered or dead-lettered. */
  whenIdle(): Promise<void> {
    return this.bus.whenIdle();
  }

  async stop(): Promise<void> {
    const listening = this.listening;
    this.listening = undefined;
    await listening?.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith(CONTROL_PREFIX)) return this.control(request.method ?? 'GET', url, response);
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST') {
      return reply(response, 405, { __type: 'UnknownOperationException', message: 'Use POST' });
    }
    const body = await readBody(request);
    if (body === undefined) {
      return reply(response, 413, { __type: 'ValidationException', message: 'Request body too large' });
    }
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (operation !== 'PutEvents' && !this.bus.controlPlane.supports(operation)) {
      return reply(response, 400, {
        __type: 'UnknownOperationException',
        message: `Operation ${target || '(none)'} is not supported locally; supported: PutEvents, ${this.bus.controlPlane.operationNames.join(', ')}`,
      });
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return reply(response, 400, { __type: 'SerializationException', message: 'Body is not valid JSON' });
    }
    if (operation === 'PutEvents') return this.putEvents(input, response);
    try {
      return reply(response, 200, this.bus.controlPlane.call(operation, input));
    } catch (error) {
      if (!(error instanceof EventBridgeApiError)) throw error;
      return reply(response, error.status, { __type: error.type, message: error.message });
    }
  }

  private putEvents(input: { Entries?: unknown }, response: ServerResponse): void {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      return reply(response, 400, {
        __type: 'ValidationException',
        message: `Entries must hold 1 to ${MAX_ENTRIES} entries`,
      });
    }
    return reply(response, 200, this.bus.putEvents(entries as PutEventsEntry[]));
  }

  private control(method: string, url: URL, response: ServerResponse): void {
    const queue = url.searchParams.get('queue') ?? undefined;
    if (method === 'GET' && url.pathname === `${CONTROL_PREFIX}/dlq`) {
      return reply(response, 200, { queues: this.bus.deadLetterQueues(), deadLetters: this.bus.deadLetters(queue) });
    }
    if (method === 'POST' && url.pathname === `${CONTROL_PREFIX}/dlq/replay`) {
      return reply(response, 200, { replayed: this.bus.replayDeadLetters(queue) });
    }
    return reply(response, 404, { __type: 'NotFound', message: `No local control route ${method} ${url.pathname}` });
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
