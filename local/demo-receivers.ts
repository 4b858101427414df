/**
 * `npm run local -- --demo`: one webhook receiver on 127.0.0.1 per webhook
 * URL of the synthesized partners, so the configured (unreachable) example
 * URLs are answered locally. Each receiver answers 200, tells a
 * verification challenge (Standard Webhooks headers) from an event, echoes
 * the challenge as the receiver contract asks, and reports what it got.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { challengeAnswer } from '../lambda/core/verification';

export interface ReceivedRequest {
  /** `orgId/webhookId` */
  readonly webhook: string;
  readonly kind: 'challenge' | 'event';
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
}

export interface DemoWebhook {
  readonly orgId: string;
  readonly id: string;
  readonly url: string;
}

export interface DemoReceivers {
  /** Configured URL -> receiver URL, for the runtime's `urlOverrides`. */
  readonly urlOverrides: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startDemoReceivers(
  webhooks: readonly DemoWebhook[],
  onRequest: (request: ReceivedRequest) => void,
): Promise<DemoReceivers> {
  const servers: Server[] = [];
  const urlOverrides: Record<string, string> = {};
  const byUrl = new Map<string, DemoWebhook[]>();
  for (const webhook of webhooks) byUrl.set(webhook.url, [...(byUrl.get(webhook.url) ?? []), webhook]);
  for (const [url, sharing] of byUrl) {
    const name = sharing.map((webhook) => `${webhook.orgId}/${webhook.id}`).join(', ');
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        const kind = request.headers['webhook-signature'] === undefined ? 'event' : 'challenge';
        onRequest({ webhook: name, kind, headers: request.headers, body });
        const answer = kind === 'challenge' ? challengeAnswer(body) : undefined;
        response.writeHead(200, { 'content-type': 'application/json' }).end(answer ?? '{"ok":true}');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    servers.push(server);
    const { pathname, search } = new URL(url);
    urlOverrides[url] = `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}${search}`;
  }
  return {
    urlOverrides,
    stop: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}
