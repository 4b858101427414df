/**
 * A webhook receiver on 127.0.0.1 for the failed-delivery test and the replay
 * benchmark: answers verification challenges (echoing them, as the receiver
 * contract asks), answers an event 500 while `failing(event)` holds and 200
 * otherwise, and records what it accepted.
 */
import { createServer } from 'node:http';
import { challengeAnswer } from '../../lambda/core/verification';
import { listenOnLoopback, type LoopbackServer } from '../../local/loopback';

export class SwitchableReceiver {
  /** Which events to refuse with 500; all of them until told otherwise. */
  failing: (event: any) => boolean = () => true;
  /** Events answered 200, in arrival order. */
  readonly delivered: any[] = [];
  /** Every event request, refused ones included. */
  attempts = 0;
  private server?: LoopbackServer;

  /** Starts listening; returns the URL to point a webhook at. */
  async start(): Promise<string> {
    this.server = await listenOnLoopback(
      createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (request.headers['webhook-signature'] !== undefined) {
            response.writeHead(200).end(challengeAnswer(body));
            return;
          }
          this.attempts += 1;
          const fail = this.failing(body);
          if (!fail) this.delivered.push(body);
          response.writeHead(fail ? 500 : 200).end();
        });
      }),
    );
    return `${this.server.url}/receive`;
  }

  stop(): Promise<void> {
    return this.server?.stop() ?? Promise.resolve();
  }
}
