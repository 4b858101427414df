/**
 * `npm run bench:replay`: how fast 1,000 dead letters are recorded and
 * replayed in the local runtime, through the real path: events published
 * with the real EventBridge client to a receiver answering 500 (no retries),
 * dead-lettered, recorded by the DLQ consumer; then the receiver heals and
 * one `POST /v1/partner/webhooks/{id}/replay {since}` over HTTP re-publishes
 * them all onto the shard bus, through the webhook's rule and API
 * destination (rate limit 300/s, the most a destination allows) to the
 * receiver. Prints numbers; asserts only that every event arrived once.
 * Run it under `flock /tmp/heavy.lock`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { localEventBridgeClient } from '../local/eventbridge-client';
import { startLocalRuntime } from '../local/runtime';
import { SwitchableReceiver } from '../scripts/lib/switchable-receiver';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../scripts/lib/workspace';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const HOOK_URL = 'https://bench-replay.example/hooks/primary';

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function main(): Promise<void> {
  const root = workspaceWithPartners(
    [
      {
        orgId: 'bench-replay',
        webhooks: [{ id: 'primary', url: HOOK_URL, events: ['LockCreated'], rateLimitPerSecond: 300 }],
      },
    ],
    { environmentOverrides: { delivery: { retryAttempts: 0 } } },
  );
  const { outdir } = synthesize(loadWorkspace(root));
  const receiver = new SwitchableReceiver();
  const receiverUrl = await receiver.start();
  const replayed = () => new Set(receiver.delivered.map((event) => event.detail.replayOf)).size;
  const runtime = await startLocalRuntime({
    assemblyDir: outdir,
    dataDir: mkdtempSync(path.join(tmpdir(), 'pp-bench-replay-')),
    port: 0,
    urlOverrides: { [HOOK_URL]: receiverUrl },
    verificationIntervalMs: 3_600_000,
  });
  const client = localEventBridgeClient(runtime.eventBridgeUrl);
  try {
    const started = performance.now();
    for (let seq = 0; seq < EVENTS; seq += 10) {
      const Entries = Array.from({ length: Math.min(10, EVENTS - seq) }, (_, i) => ({
        Source: 'spk.api',
        DetailType: 'LockCreated',
        Detail: JSON.stringify({ partnerId: 'bench-replay', seq: seq + i }),
      }));
      await client.send(new PutEventsCommand({ Entries }));
    }
    await runtime.bus.whenIdle();
    await runtime.failures!.whenConsumed();
    const recordedMs = performance.now() - started;

    receiver.failing = () => false;
    const key = runtime.partners[0].initialApiKey!;
    const replayStart = performance.now();
    const response = await fetch(`${runtime.apiUrl}/v1/partner/webhooks/primary/replay`, {
      method: 'POST',
      headers: { 'X-API-Key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ requestId: 'bench-1', since: '2000-01-01T00:00:00Z' }),
    });
    const replay = (await response.json()) as { published: number };
    const publishedMs = performance.now() - replayStart;
    await until(() => receiver.delivered.length >= replay.published);
    const deliveredMs = performance.now() - replayStart;
    if (replay.published !== EVENTS || replayed() !== EVENTS || receiver.delivered.length !== EVENTS) {
      throw new Error(`replayed ${replay.published}, delivered ${receiver.delivered.length}, expected ${EVENTS}`);
    }
    const rate = (ms: number) => Math.round((EVENTS / ms) * 1000);
    console.log(`dead letters: ${EVENTS}`);
    console.log(`publish -> dead-lettered -> recorded: ${Math.round(recordedMs)} ms (${rate(recordedMs)} events/s)`);
    console.log(
      `replay request (query, mark, PutEvents): ${Math.round(publishedMs)} ms (${rate(publishedMs)} events/s)`,
    );
    console.log(`replay to every event delivered once: ${Math.round(deliveredMs)} ms (${rate(deliveredMs)} events/s)`);
  } finally {
    client.destroy();
    await runtime.stop();
    await receiver.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
