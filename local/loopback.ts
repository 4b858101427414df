/**
 * Every server of the local runtime listens on 127.0.0.1 only, and stops
 * without waiting for idle keep-alive connections.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Closes every connection and the listener. Safe to call twice. */
  stop(): Promise<void>;
}

/** Listens on 127.0.0.1 (`0` picks a free port); rejects with EADDRINUSE when the port is taken. */
export async function listenOnLoopback(server: Server, port = 0): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}

/** A port nothing listens on right now (bound on 127.0.0.1, read, released). */
export async function freePort(): Promise<number> {
  const probe = await listenOnLoopback(createServer());
  await probe.stop();
  return probe.port;
}
