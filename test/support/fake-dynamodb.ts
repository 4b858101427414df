/**
 * A real HTTP server on 127.0.0.1 that answers like DynamoDB's JSON
 * protocol, for the authorizer's signed GetItem: it records every request
 * (method, path, headers, body) and the connections they came on, and
 * answers from a queue of DynamoDB-shaped responses (an item, throttling, a
 * 500, an authentication failure, or no answer at all).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Which connection (0, 1, ...) it came on. */
  readonly connection: number;
}

export type FakeAnswer =
  | { readonly status: number; readonly body: unknown }
  /** Never answers, so the client's deadline must end the attempt. */
  | 'hang';

export const answers = {
  item: (item: Record<string, unknown>): FakeAnswer => ({ status: 200, body: { Item: item } }),
  noItem: (): FakeAnswer => ({ status: 200, body: {} }),
  error: (status: number, type: string, message: string): FakeAnswer => ({
    status,
    body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message },
  }),
  throttled: (): FakeAnswer =>
    answers.error(
      400,
      'ProvisionedThroughputExceededException',
      'The level of configured provisioned throughput for the table was exceeded.',
    ),
  internal: (): FakeAnswer => answers.error(500, 'InternalServerError', 'Internal server error'),
};

export interface FakeDynamoDb {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** Answers for the next requests, in order; when empty, the default answer. */
  readonly queue: FakeAnswer[];
  /** Forgets requests, queued answers and connection numbering. */
  reset(defaultAnswer?: FakeAnswer): void;
  close(): Promise<void>;
}

export async function startFakeDynamoDb(): Promise<FakeDynamoDb> {
  const requests: RecordedRequest[] = [];
  const queue: FakeAnswer[] = [];
  let fallback: FakeAnswer = answers.noItem();
  let connections = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        method: String(request.method),
        path: String(request.url),
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        connection: (request.socket as { fakeId?: number }).fakeId ?? -1,
      });
      const answer = queue.shift() ?? fallback;
      if (answer === 'hang') return;
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(answer.body));
    });
  });
  server.on('connection', (socket) => {
    (socket as { fakeId?: number }).fakeId = connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    queue,
    reset(defaultAnswer = answers.noItem()) {
      requests.length = 0;
      queue.length = 0;
      fallback = defaultAnswer;
      connections = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
