/**
 * `npm run bench:usage`: usage accounting against DynamoDB Local, through the
 * code AWS runs.
 *
 * 1. Ingestion throughput: BENCH_USAGE_LINES access-log lines (default
 *    20,000) over BENCH_USAGE_KEYS keys (default 20) and the last two hours,
 *    sent in CloudWatch Logs subscription events of BENCH_USAGE_BATCH lines
 *    (default 1,000; base64 gzip, as AWS sends them) to the real Lambda
 *    handler (lambda/usage-ingest/index.ts: decode, parse, aggregate, the
 *    marker transactions and lastUsedAt), one batch after another as one
 *    subscription delivers them. Reported: log lines per second end to end.
 * 2. The usage query for one key with 90 days of hourly data (2,160 items):
 *    the usage route's own code (lambda/api/usage-handlers.ts: key lookup,
 *    one paged Query, roll-up, filled series), by the hour and by the day,
 *    BENCH_USAGE_QUERIES times each (default 200): p50 and p99.
 *
 * Prints the load average with the figures (the machine may be shared) and
 * writes them to bench/results/usage.md. Asserts nothing.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { keyUsage } from '../lambda/api/usage-handlers';
import { type AccessLogLine, formatAccessLogLine } from '../lambda/core/access-log';
import { HOUR_MS, systemClock } from '../lambda/core/clock';
import { aggregateKeyRequests } from '../lambda/core/usage';
import { repositoriesFor } from '../lambda/repositories/platform-repositories';
import { UsageRepository } from '../lambda/repositories/usage-repository';
import { encodeSubscriptionEvent } from '../lambda/usage-ingest/subscription-event';
import { localDynamoClients, startDynamoDbLocal } from '../local/dynamodb-local';
import { createPlatformTables } from '../scripts/lib/platform-tables';
import { QUIET_SDK_ENV } from '../scripts/preload';

const LINES = Number(process.env.BENCH_USAGE_LINES ?? 20_000);
const KEYS = Number(process.env.BENCH_USAGE_KEYS ?? 20);
const BATCH = Number(process.env.BENCH_USAGE_BATCH ?? 1_000);
const QUERIES = Number(process.env.BENCH_USAGE_QUERIES ?? 200);
const STATUSES = ['200', '200', '200', '201', '204', '400', '404', '429', '500'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

function accessLine(orgId: string, keyId: string, at: number, index: number): string {
  const line: AccessLogLine = {
    requestId: `bench-${index}`,
    requestTimeEpoch: String(at),
    apiId: 'bench',
    stage: 'dev',
    httpMethod: 'GET',
    resourcePath: '/partner-auth-probe',
    status: STATUSES[index % STATUSES.length],
    responseLatency: '7',
    orgId,
    keyId,
    keyEnvironment: 'production',
  };
  return formatAccessLogLine(line);
}

async function ingestion(keys: readonly { orgId: string; keyId: string }[]): Promise<{ seconds: number }> {
  // The handler reads its tables and endpoint from the environment at its first call, as in Lambda.
  const { handler } = await import('../lambda/usage-ingest/index');
  const now = Date.now();
  const started = performance.now();
  for (let first = 0; first < LINES; first += BATCH) {
    const count = Math.min(BATCH, LINES - first);
    const logEvents = Array.from({ length: count }, (_, offset) => {
      const index = first + offset;
      const key = keys[index % keys.length];
      const at = now - 2 * HOUR_MS + Math.floor((index / LINES) * 2 * HOUR_MS);
      return { id: `bench-${index}`, timestamp: at, message: accessLine(key.orgId, key.keyId, at, index) };
    });
    const event = encodeSubscriptionEvent({
      messageType: 'DATA_MESSAGE',
      owner: '000000000000',
      logGroup: 'bench/api-access',
      logStream: 'bench',
      subscriptionFilters: ['usage'],
      logEvents,
    });
    await handler(event);
  }
  return { seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const { client, doc } = localDynamoClients(dynamo.endpoint);
  try {
    const tables = await createPlatformTables(client, 'benchusage');
    Object.assign(process.env, QUIET_SDK_ENV, {
      USAGE_TABLE: tables.usage,
      API_KEYS_TABLE: tables.apiKeys,
      TENANTS_TABLE: tables.tenants,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const repositories = repositoriesFor(doc, tables, systemClock);
    const keys: { orgId: string; keyId: string }[] = [];
    for (let index = 0; index < KEYS; index++) {
      const orgId = `bench-usage-${index}`;
      await repositories.tenants.create({ orgId, orgName: orgId, ownerEmail: `owner@${orgId}.example` });
      const issued = await repositories.keys.issue({ orgId, validityDays: 'never' });
      keys.push({ orgId, keyId: issued.record.keyId });
    }

    console.log(`load average before: ${load()}`);
    const { seconds } = await ingestion(keys);
    const linesPerSecond = LINES / seconds;
    console.log(`ingestion: ${LINES} lines in ${seconds.toFixed(2)} s = ${linesPerSecond.toFixed(0)} lines/s`);

    // 90 days of hourly data for one key: one request an hour, stored as the ingestion stores it.
    const usage = new UsageRepository({
      doc,
      usageTableName: tables.usage,
      apiKeysTableName: tables.apiKeys,
      keys: repositories.keys,
      clock: systemClock,
    });
    const target = keys[0];
    const hourNow = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const requests = Array.from({ length: 90 * 24 }, (_, hour) => ({
      requestId: `seed-${hour}`,
      orgId: target.orgId,
      keyId: target.keyId,
      at: new Date(hourNow - hour * HOUR_MS),
      status: 200,
    }));
    await usage.recordBatch('bench-seed', aggregateKeyRequests(requests));
    const deps = { keys: repositories.keys, usage, clock: systemClock };
    const to = new Date(hourNow).toISOString();
    const from = new Date(hourNow - 90 * 24 * HOUR_MS).toISOString();
    const timings: Record<'hour' | 'day', number[]> = { hour: [], day: [] };
    let buckets = 0;
    for (let run = 0; run < QUERIES; run++) {
      for (const granularity of ['hour', 'day'] as const) {
        const started = performance.now();
        const view = await keyUsage(deps, target.orgId, target.keyId, { from, to, granularity });
        timings[granularity].push(performance.now() - started);
        if (granularity === 'hour') buckets = view.buckets.length;
      }
    }
    const stats = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    };
    const hour = stats(timings.hour);
    const day = stats(timings.day);
    console.log(
      `query, 90 days by the hour (${buckets} buckets): p50 ${hour.p50.toFixed(1)} ms, p99 ${hour.p99.toFixed(1)} ms`,
    );
    console.log(`query, 90 days by the day: p50 ${day.p50.toFixed(1)} ms, p99 ${day.p99.toFixed(1)} ms`);
    const after = load();
    console.log(`load average after: ${after}`);

    const report = `# bench:usage

Measured by \`npm run bench:usage\` against DynamoDB Local (one process, this machine; load average ${after}).

| what | figure |
| --- | --- |
| ingestion through the real handler (${LINES} lines, ${KEYS} keys, batches of ${BATCH}) | ${linesPerSecond.toFixed(0)} lines/s (${seconds.toFixed(2)} s) |
| usage query, one key, 90 days by the hour (${buckets} buckets from 2,160 stored hours) | p50 ${hour.p50.toFixed(1)} ms, p99 ${hour.p99.toFixed(1)} ms (${QUERIES} runs) |
| usage query, same key and range by the day | p50 ${day.p50.toFixed(1)} ms, p99 ${day.p99.toFixed(1)} ms (${QUERIES} runs) |
`;
    writeFileSync(path.join(__dirname, 'results', 'usage.md'), report);
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
