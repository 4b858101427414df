/**
 * `npm run bench:keys`: how fast the platform verifies an API key (SHA-256 of
 * the presented key + one strongly consistent GetItem + the usability rule,
 * exactly the authorizer's path) against DynamoDB Local, and how big and how
 * quick to load each Lambda bundle is. Prints numbers; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { hashApiKey, isKeyUsable } from '../lambda/core/api-keys';
import { systemClock } from '../lambda/core/clock';
import { ApiKeysRepository } from '../lambda/repositories/api-keys-repository';
import { TenantsRepository } from '../lambda/repositories/tenants-repository';
import { localDynamoClients, startDynamoDbLocal } from '../local/dynamodb-local';
import { bundleLambda } from '../scripts/lib/lambda-bundle';
import { QUIET_SDK_ENV } from '../scripts/preload';
import { createPlatformTables } from '../scripts/lib/platform-tables';

const ORGS = Number(process.env.BENCH_ORGS ?? 500);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 4000);
const HANDLERS = ['authorizer', 'onboarding', 'rotation', 'verification'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function verificationThroughput(): Promise<string[]> {
  const dynamo = await startDynamoDbLocal();
  try {
    const { client, doc } = localDynamoClients(dynamo.endpoint);
    const tables = await createPlatformTables(client, 'bench');
    const tenants = new TenantsRepository({ doc, tableName: tables.tenants, clock: systemClock });
    const keys = new ApiKeysRepository({
      doc,
      apiKeysTableName: tables.apiKeys,
      tenantsTableName: tables.tenants,
      clock: systemClock,
    });
    const plaintexts: string[] = [];
    for (let i = 0; i < ORGS; i += 1) {
      const orgId = `bench-org-${i}`;
      await tenants.create({ orgId, orgName: `Bench ${i}`, ownerEmail: `owner@bench${i}.example` });
      plaintexts.push((await keys.issue({ orgId })).plaintext);
    }
    const rows: string[] = [];
    for (const concurrency of [1, 8, 32]) {
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < LOOKUPS) {
            const key = plaintexts[next++ % plaintexts.length];
            const t0 = performance.now();
            const record = await keys.getByHash(hashApiKey(key));
            if (!record || !isKeyUsable(record, new Date())) throw new Error('a valid key was refused');
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      rows.push(
        `| ${concurrency} | ${LOOKUPS} | ${Math.round(LOOKUPS / seconds)} | ${percentile(latencies, 50).toFixed(2)} | ${percentile(latencies, 99).toFixed(2)} |`,
      );
    }
    client.destroy();
    return rows;
  } finally {
    await dynamo.stop();
  }
}

const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 9);

/** Median ms of `INIT_RUNS` fresh node processes each timing `require(target)`. */
function medianRequireMs(target: string, env: NodeJS.ProcessEnv): number {
  const samples: number[] = [];
  for (let run = 0; run < INIT_RUNS; run += 1) {
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `const t=process.hrtime.bigint();require(${JSON.stringify(target)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`,
      ],
      { env, encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`${target} failed to load: ${child.stderr}`);
    samples.push(Number(child.stdout));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function bundleRows(): string[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pp-bundles-'));
  const env = {
    ...process.env,
    ...QUIET_SDK_ENV,
    ENVIRONMENT_NAME: 'dev',
    TENANTS_TABLE: 't',
    API_KEYS_TABLE: 'k',
    WEBHOOKS_TABLE: 'w',
    PICKUP_SECRET_PREFIX: 'p/',
    AWS_REGION: 'us-east-1',
    NODE_PATH: path.join(__dirname, '..', 'node_modules'),
  };
  const rows = HANDLERS.map((handler) => {
    const outfile = path.join(outdir, handler, 'index.js');
    const { bytes } = bundleLambda(handler, outfile);
    return `| ${handler} | ${(bytes / 1024).toFixed(1)} KB | ${medianRequireMs(outfile, env).toFixed(0)} ms |`;
  });
  // What no bundle can cut: the runtime's DynamoDB client (external, as in Lambda), loaded alone.
  const sdk = medianRequireMs('@aws-sdk/client-dynamodb', env);
  return [...rows, `| (@aws-sdk/client-dynamodb alone) | external | ${sdk.toFixed(0)} ms |`];
}

async function main(): Promise<void> {
  console.log(`## API key verification (hash + GetItem + rule) against DynamoDB Local, ${ORGS} orgs\n`);
  console.log('| concurrency | lookups | lookups/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|---|');
  for (const row of await verificationThroughput()) console.log(row);
  console.log(
    `\n## Lambda bundles (as lib/platform-function.ts bundles them: minified, @aws-sdk external; module init = median of ${INIT_RUNS} requires, each in a fresh node process)\n`,
  );
  console.log('| handler | bundle | module init |');
  console.log('|---|---|---|');
  for (const row of bundleRows()) console.log(row);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
