/**
 * `npm run bench:provision`: run-time webhooks end to end against the local
 * runtime (started in-process, as `npm run local` starts it): tenants
 * registered through the admin API, webhooks created through the admin API
 * pointing at HTTP receivers on 127.0.0.1 that answer the challenge, then
 * events put on the platform bus with the real EventBridge client. Prints
 * the time from create to `live` (the provisioner fed by DynamoDB Local's
 * stream has made the connection, API destination, rule and route) and from
 * PutEvents to receipt. Prints numbers; asserts nothing but completeness.
 */
import { createServer } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { repositoriesFor } from '../lambda/repositories/platform-repositories';
import { localEventBridgeClient } from '../local/eventbridge-client';
import { listenOnLoopback, type LoopbackServer } from '../local/loopback';
import { type LocalRuntime, startLocalRuntime } from '../local/runtime';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../scripts/lib/workspace';

export interface ProvisionBenchOptions {
  readonly webhooks: number;
  readonly tenants: number;
  /** Events put per tenant once every webhook is live; each reaches all of the tenant's webhooks. */
  readonly eventsPerTenant: number;
  /** Admin API requests in flight while creating. @default 8 */
  readonly concurrency?: number;
  /** Give up waiting for `live` or for deliveries after this long. @default 600000 */
  readonly timeoutMs?: number;
}

export interface ProvisionBenchReport {
  readonly webhooks: number;
  readonly tenants: number;
  /** ms from the create request to `live`, one per webhook that went live, sorted. */
  readonly toLive: readonly number[];
  /** ms from PutEvents to first receipt, one per (event, webhook), sorted. */
  readonly toReceipt: readonly number[];
  /** Deliveries that arrived again (EventBridge delivers at least once: a slow answer is retried). */
  readonly duplicates: number;
  readonly expectedDeliveries: number;
  /** ms from the first create to the last webhook live. */
  readonly provisionWallMs: number;
  readonly deliveryWallMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One receiver per tenant; every webhook of it has its own path. Answers the challenge by echoing it. */
class BenchReceiver {
  readonly receipts: Array<{ seq: string; path: string; at: number }> = [];
  private server?: LoopbackServer;

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const at = performance.now();
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (request.headers['webhook-signature'] !== undefined) {
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ challenge: body.challenge }));
          return;
        }
        this.receipts.push({ seq: String(body.detail?.seq), path: request.url ?? '', at });
        response.writeHead(200).end();
      });
    });
    this.server = await listenOnLoopback(server);
    return this.server.url;
  }

  stop(): Promise<void> {
    return this.server?.stop() ?? Promise.resolve();
  }
}

async function adminCall(runtime: LocalRuntime, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method: 'POST',
    headers: {
      'X-Admin-API-Key': runtime.admin.apiKey,
      Authorization: `Bearer ${await runtime.admin.token()}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Runs `count` tasks with at most `concurrency` in flight. */
async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

interface Created {
  readonly orgId: string;
  readonly webhookId: string;
  readonly requestedAt: number;
}

/**
 * Waits until every created webhook is live; returns ms to live per webhook.
 * The runtime's in-process EventBridge store says when a webhook's API
 * destination exists (free to look at); only then is its record read, so
 * the bench does not load DynamoDB Local with polls of its own.
 */
async function awaitLive(runtime: LocalRuntime, created: readonly Created[], deadline: number): Promise<number[]> {
  const { webhooks } = repositoriesFor(runtime.doc, runtime.tables, runtime.clock);
  const pending = new Map(created.map((hook) => [hook.webhookId, hook]));
  const toLive: number[] = [];
  const destinations = () => [...runtime.bus.store.apiDestinations.values()].map((destination) => destination.Name);
  while (pending.size > 0 && performance.now() < deadline) {
    const made = destinations();
    const ready = [...pending.values()].filter((hook) => made.some((name) => name.includes(hook.webhookId)));
    const records = await Promise.all(ready.map((hook) => webhooks.get(hook.orgId, hook.webhookId)));
    const now = performance.now();
    for (const record of records) {
      if (record?.delivery?.state !== 'live' || record.status !== 'active') continue;
      toLive.push(now - pending.get(record.webhookId)!.requestedAt);
      pending.delete(record.webhookId);
    }
    if (pending.size > 0) await sleep(50);
  }
  return toLive;
}

async function createAll(
  runtime: LocalRuntime,
  options: ProvisionBenchOptions,
  orgIds: readonly string[],
  urls: readonly string[],
): Promise<Created[]> {
  const created: Created[] = [];
  await inParallel(options.webhooks, options.concurrency ?? 8, async (index) => {
    const tenant = index % orgIds.length;
    const requestedAt = performance.now();
    const body = await adminCall(runtime, `/tenants/${orgIds[tenant]}/webhooks`, {
      url: `${urls[tenant]}/hooks/${index}`,
      events: ['*'],
    });
    created.push({ orgId: orgIds[tenant], webhookId: body.aggregateId, requestedAt });
  });
  return created;
}

async function publishAll(
  runtime: LocalRuntime,
  orgIds: readonly string[],
  eventsPerTenant: number,
  sentAt: Map<string, number>,
): Promise<void> {
  const client = localEventBridgeClient(runtime.eventBridgeUrl);
  try {
    const events = orgIds.flatMap((orgId) => Array.from({ length: eventsPerTenant }, () => orgId));
    await inParallel(Math.ceil(events.length / 10), 4, async (batch) => {
      const entries = events.slice(batch * 10, batch * 10 + 10).map((partnerId, offset) => {
        const seq = String(batch * 10 + offset);
        sentAt.set(seq, performance.now());
        return { Source: 'spk.api', DetailType: 'LockCreated', Detail: JSON.stringify({ partnerId, seq }) };
      });
      const result = await client.send(new PutEventsCommand({ Entries: entries }));
      if ((result.FailedEntryCount ?? 0) > 0) throw new Error(`PutEvents failed ${result.FailedEntryCount} entries`);
    });
  } finally {
    client.destroy();
  }
}

async function measure(
  runtime: LocalRuntime,
  options: ProvisionBenchOptions,
  receivers: readonly BenchReceiver[],
  urls: readonly string[],
): Promise<ProvisionBenchReport> {
  const orgIds = receivers.map((_, index) => `bench-tenant-${index}`);
  for (const orgId of orgIds) {
    await adminCall(runtime, `/tenants/${orgId}/register`, { orgName: orgId, ownerEmail: `owner@${orgId}.example` });
  }
  const deadline = performance.now() + (options.timeoutMs ?? 600_000);
  const started = performance.now();
  const created = await createAll(runtime, options, orgIds, urls);
  const toLive = await awaitLive(runtime, created, deadline);
  const provisionWallMs = performance.now() - started;

  const hooksPerTenant = orgIds.map((_, tenant) => created.filter((hook) => hook.orgId === orgIds[tenant]).length);
  const expectedDeliveries = hooksPerTenant.reduce((sum, hooks) => sum + hooks * options.eventsPerTenant, 0);
  const sentAt = new Map<string, number>();
  const publishedAt = performance.now();
  await publishAll(runtime, orgIds, options.eventsPerTenant, sentAt);
  // Distinct (event, webhook) pairs: repeated deliveries must not end the wait early.
  const received = () =>
    new Set(receivers.flatMap((r, tenant) => r.receipts.map((x) => `${tenant}${x.path}#${x.seq}`))).size;
  while (received() < expectedDeliveries && performance.now() < deadline) await sleep(20);
  const all = receivers.flatMap((receiver, tenant) => receiver.receipts.map((r) => ({ ...r, tenant })));
  const firsts = new Map<string, (typeof all)[number]>();
  for (const receipt of all) {
    const key = `${receipt.tenant}${receipt.path}#${receipt.seq}`;
    if (!firsts.has(key)) firsts.set(key, receipt);
  }
  const receipts = [...firsts.values()];
  const lastReceipt = Math.max(publishedAt, ...receipts.map((receipt) => receipt.at));
  return {
    webhooks: created.length,
    tenants: orgIds.length,
    toLive: toLive.sort((a, b) => a - b),
    toReceipt: receipts.map((receipt) => receipt.at - (sentAt.get(receipt.seq) ?? receipt.at)).sort((a, b) => a - b),
    duplicates: all.length - receipts.length,
    expectedDeliveries,
    provisionWallMs,
    deliveryWallMs: lastReceipt - publishedAt,
  };
}

/** Synthesizes a dev app, starts the local runtime in-process and measures. */
export async function runProvisionBench(options: ProvisionBenchOptions): Promise<ProvisionBenchReport> {
  const { outdir } = synthesize(loadWorkspace(workspaceWithPartners([{ orgId: 'bench-config' }])));
  const receivers = Array.from({ length: options.tenants }, () => new BenchReceiver());
  const urls = await Promise.all(receivers.map((receiver) => receiver.start()));
  const runtime = await startLocalRuntime({
    assemblyDir: outdir,
    port: 0,
    retryBaseDelayMs: 20,
    logLevel: (process.env.BENCH_LOG_LEVEL as any) ?? 'WARN',
  });
  try {
    return await measure(runtime, options, receivers, urls);
  } finally {
    await runtime.stop();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
  }
}

export function formatReport(report: ProvisionBenchReport): string {
  const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : value.toFixed(0));
  const live = report.toLive;
  const receipt = report.toReceipt;
  return [
    `## Run-time webhooks: ${report.webhooks} webhooks for ${report.tenants} tenants, admin API -> live -> delivery`,
    '',
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    '',
    '| measure | n | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|',
    `| create -> live | ${live.length}/${report.webhooks} | ${ms(percentile(live, 50))} | ${ms(percentile(live, 99))} | ${ms(live.at(-1) ?? Number.NaN)} |`,
    `| PutEvents -> receipt | ${receipt.length}/${report.expectedDeliveries} | ${ms(percentile(receipt, 50))} | ${ms(percentile(receipt, 99))} | ${ms(receipt.at(-1) ?? Number.NaN)} |`,
    '',
    `all ${report.webhooks} live after ${(report.provisionWallMs / 1000).toFixed(1)} s; ` +
      `${receipt.length} deliveries (+${report.duplicates} repeated) in ${(report.deliveryWallMs / 1000).toFixed(1)} s; ` +
      `load average ${loadavg()[0].toFixed(1)}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const report = await runProvisionBench({
    webhooks: Number(process.env.BENCH_WEBHOOKS ?? 200),
    tenants: Number(process.env.BENCH_TENANTS ?? 40),
    eventsPerTenant: Number(process.env.BENCH_EVENTS_PER_TENANT ?? 5),
  });
  console.log(formatReport(report));
  if (report.toLive.length !== report.webhooks || report.toReceipt.length !== report.expectedDeliveries) {
    console.error('not every webhook went live or not every delivery arrived');
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
