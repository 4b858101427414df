/**
 * A webhook receiver on 127.0.0.1 for the local delivery tests: answers
 * `status` (settable, to fail and then heal), records the events it
 * accepted, every attempt per event id, and verification challenges
 * (requests with Standard Webhooks signature headers) apart, which it
 * answers with the challenge echoed, as the receiver contract asks.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { challengeAnswer } from '../../lambda/core/verification';
import { listenOnLoopback, type LoopbackServer } from '../../local/loopback';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
}

export class RecordingReceiver {
  status = 200;
  /** Events answered with 200, in arrival order. */
  readonly received: Received[] = [];
  readonly challenges: IncomingHttpHeaders[] = [];
  /** Attempts per event id, failed ones included. */
  readonly attempts = new Map<string, number>();
  private listening?: LoopbackServer;

  /** Starts listening; returns the URL to point a webhook at. */
  async start(): Promise<string> {
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (request.headers['webhook-signature'] !== undefined) {
          this.challenges.push(request.headers);
          response.writeHead(this.status, { 'content-type': 'application/json' }).end(challengeAnswer(body));
          return;
        }
        this.attempts.set(body.id, (this.attempts.get(body.id) ?? 0) + 1);
        if (this.status === 200) this.received.push({ headers: request.headers, body });
        response.writeHead(this.status).end();
      });
    });
    this.listening = await listenOnLoopback(server);
    return `${this.listening.url}/receive`;
  }

  /** Every attempt at every event. */
  get totalAttempts(): number {
    return [...this.attempts.values()].reduce((sum, count) => sum + count, 0);
  }

  async stop(): Promise<void> {
    await this.listening?.stop();
  }
}
