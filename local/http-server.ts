/**
 * A small request/response HTTP server on 127.0.0.1 for the local runtime's
 * API: whole bodies in and out, so a handler is a plain async function.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { listenOnLoopback, type LoopbackServer } from './loopback';

export interface PlainRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  /** Header names as sent; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface PlainResponse {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

export type StartedServer = LoopbackServer;

/** Bodies beyond this are refused with 413 before the handler runs. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Listens on 127.0.0.1 (0 picks a free port); rejects with EADDRINUSE when the port is taken. */
export async function startHttpServer(
  port: number,
  handle: (request: PlainRequest) => Promise<PlainResponse>,
): Promise<StartedServer> {
  const server = createServer((request, response) => {
    readBody(request)
      .then(async (body) => {
        if (body === undefined) return { statusCode: 413, body: JSON.stringify({ message: 'Request too large' }) };
        return handle({ method: request.method ?? 'GET', url: request.url ?? '/', headers: flatten(request), body });
      })
      .catch(() => ({ statusCode: 500, body: JSON.stringify({ message: 'Internal server error' }) }))
      .then((result: PlainResponse) => {
        response.writeHead(result.statusCode, {
          'content-type': 'application/json',
          ...result.headers,
          'content-length': Buffer.byteLength(result.body),
        });
        response.end(result.body);
      });
  });
  return listenOnLoopback(server, port);
}

function flatten(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index];
    const value = request.rawHeaders[index + 1];
    const existing = Object.keys(headers).find((known) => known.toLowerCase() === name.toLowerCase());
    if (existing === undefined) headers[name] = value;
    else headers[existing] = `${headers[existing]}, ${value}`;
  }
  return headers;
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
