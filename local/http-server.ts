/**
 * A small request/response HTTP server on 127.0.0.1 for the local runtime's
 * API: whole bodies in and out, so a handler is a plain async function.
 * Its own refusals (a body over 1 MB, headers over Node's limit, a request
 * it cannot parse, a handler that throws) answer in the APIs'
 * `{error:{code,message}}` shape, as the deployed API's gateway responses do.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ApiErrorCode, errorResponse } from '../lambda/api/http';
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
        if (body === undefined) return refusal('payload_too_large', 'Request too large');
        return handle({ method: request.method ?? 'GET', url: request.url ?? '/', headers: flatten(request), body });
      })
      .catch(() => refusal('internal_error', 'Internal server error'))
      .then((result: PlainResponse) => {
        response.writeHead(result.statusCode, {
          'content-type': 'application/json',
          ...result.headers,
          'content-length': Buffer.byteLength(result.body),
        });
        response.end(result.body);
      });
  });
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => refuseMalformed(error, socket));
  return listenOnLoopback(server, port);
}

/** The server's own refusal, in the APIs' shape. */
function refusal(code: ApiErrorCode, message: string): PlainResponse {
  const { statusCode, body } = errorResponse(code, message);
  return { statusCode, body };
}

/**
 * Node's answer to a request it could not parse is a bare status line; this
 * one carries the JSON error. Headers past Node's limit (16 KB) are 431.
 */
function refuseMalformed(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [code, message]: [ApiErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['headers_too_large', 'Request headers too large']
      : ['bad_request', 'Malformed HTTP request'];
  const { statusCode, body } = refusal(code, message);
  const reason = code === 'headers_too_large' ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${statusCode} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
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
