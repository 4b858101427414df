/**
 * `npm run bench:delivery`: events/s and PutEvents-to-receipt latency through
 * the local EventBridge endpoint (local/eventbridge-server.ts), with the real
 * EventBridge client publishing and HTTP receivers on 127.0.0.1. The routing
 * is the synthesized one: platform bus -> shard bus -> webhook rule -> API
 * destination. Prints numbers; asserts nothing.
 */
import { localEventBridgeClient } from '../local/eventbridge-client';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LocalEventBus } from '../local/event-bus';
import { EventBridgeServer } from '../local/eventbridge-server';
import { readCloudAssembly, resourcesOfType } from '../local/cloud-assembly';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../scripts/lib/workspace';

const PARTNERS = Number(process.env.BENCH_PARTNERS ?? 20);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 3000);
const BATCH = 10;
const IN_FLIGHT_BATCHES = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const orgIds = Array.from({ length: PARTNERS }, (_, i) => `bench-partner-${i}`);
  const { outdir } = synthesize(
    loadWorkspace(
      workspaceWithPartners(orgIds.map((orgId) => ({ orgId, webhooks: [{ id: 'primary', rateLimitPerSecond: 300 }] }))),
    ),
  );
  const assembly = readCloudAssembly(outdir);
  const secrets: Record<string, string> = {};
  for (const stack of assembly.stacks) {
    for (const [, secret] of resourcesOfType(stack.template, 'AWS::SecretsManager::Secret')) {
      const name = (secret as any).Properties?.Name;
      if (typeof name === 'string') secrets[name] = `local-${name}`;
    }
  }

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let lastReceipt = 0;
  const servers: Server[] = [];
  const urlOverrides: Record<string, string> = {};
  for (const orgId of orgIds) {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const now = performance.now();
        const { detail } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        latencies.push(now - (sentAt.get(detail.seq) ?? now));
        lastReceipt = now;
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urlOverrides[`https://${orgId}.example/hooks/primary`] =
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  }

  const bus = new LocalEventBus({ assembly, secrets, urlOverrides });
  const endpoint = new EventBridgeServer(bus);
  await endpoint.start();
  const client = localEventBridgeClient(endpoint.url);

  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT_BATCHES }, async () => {
      while (next < EVENTS) {
        const entries = [];
        for (let i = 0; i < BATCH && next < EVENTS; i += 1, next += 1) {
          const seq = String(next);
          sentAt.set(seq, performance.now());
          entries.push({
            Source: 'spk.api',
            DetailType: 'LockCreated',
            Detail: JSON.stringify({ partnerId: orgIds[next % orgIds.length], seq }),
          });
        }
        await client.send(new PutEventsCommand({ Entries: entries }));
      }
    }),
  );
  await endpoint.whenIdle();
  const seconds = (lastReceipt - started) / 1000;
  latencies.sort((a, b) => a - b);

  console.log(
    `## Local delivery: ${EVENTS} events, ${PARTNERS} partners, batches of ${BATCH}, ${IN_FLIGHT_BATCHES} PutEvents in flight\n`,
  );
  console.log('| delivered | events/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|');
  console.log(
    `| ${latencies.length} | ${Math.round(latencies.length / seconds)} | ${percentile(latencies, 50).toFixed(1)} | ${percentile(latencies, 99).toFixed(1)} |`,
  );
  client.destroy();
  await endpoint.stop();
  for (const server of servers) server.close();
  if (latencies.length !== EVENTS) {
    console.error(`only ${latencies.length} of ${EVENTS} events arrived`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
