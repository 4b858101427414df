/**
 * A partner endpoint for tests: a real node:http server on 127.0.0.1 (random
 * port) that checks every request's Standard Webhooks signature with the
 * `standardwebhooks` library, records what arrived and counts TCP
 * connections, so a test can prove that nothing reached it at all. By
 * default it answers as the receiver contract asks: 200, echoing a
 * verification challenge as `{"challenge":"<value>"}`.
 */
import { once } from 'node:events';
import { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { challengeAnswer } from '../../lambda/core/verification';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The signature checked out against the receiver's secret. */
  readonly signatureValid: boolean;
  /** The parsed body when the signature was valid. */
  readonly payload?: unknown;
}

/** What the endpoint does with a request; the default answers 200 and echoes a challenge (`respondWithEcho`). */
export type Respond = (request: IncomingMessage, response: ServerResponse, received: ReceivedRequest) => void;

export interface Receiver {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: ReceivedRequest[];
  /** TCP connections accepted, whether or not a request followed. */
  connections(): number;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** The webhook secret the endpoint expects, in the platform's plain form. */
  readonly secret?: string;
  readonly respond?: Respond;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let connectionCount = 0;
  const respond: Respond = options.respond ?? respondWithEcho;

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const { signatureValid, payload } = checkSignature(options.secret, request.headers, body);
      const received: ReceivedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        signatureValid,
        payload,
      };
      requests.push(received);
      respond(request, response, received);
    });
  });
  server.on('connection', (socket: Socket) => {
    connectionCount += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connectionCount,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The check a partner writes with the library alone, using the documented key
 * mapping `whsec_` + base64(utf8(secret)); deliberately not the platform's
 * helper, so a mistake in that helper cannot hide a bad signature.
 */
function checkSignature(
  secret: string | undefined,
  headers: IncomingHttpHeaders,
  body: string,
): { signatureValid: boolean; payload?: unknown } {
  if (secret === undefined) return { signatureValid: false };
  const single: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') single[name] = value;
  try {
    const key = `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`;
    return { signatureValid: true, payload: new Webhook(key).verify(body, single) };
  } catch {
    return { signatureValid: false };
  }
}

/** The challenge echo for a body that is a verification challenge; `ok` for anything else. */
function echoOf(body: string): string {
  try {
    return challengeAnswer(JSON.parse(body)) ?? 'ok';
  } catch {
    return 'ok';
  }
}

/** Answers 200 and echoes the challenge without checking the signature (a receiver that trusts everything). */
export const respondWithEcho: Respond = (_request, response, received) => {
  response.writeHead(200, { 'content-type': 'application/json' }).end(echoOf(received.body));
};

/** Answers 200 with the challenge echoed when the signature is valid and 401 when it is not, as a careful partner would. */
export const respondBySignature: Respond = (_request, response, received) => {
  if (!received.signatureValid) {
    response.writeHead(401).end();
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' }).end(echoOf(received.body));
};
