/**
 * `npm run bench:keys`: how fast the platform verifies an API key (SHA-256 of
 * the presented key + the authorizer's signed, strongly consistent GetItem +
 * the usability rule, exactly the authorizer's path) against DynamoDB Local; the authorizer's
 * cold start (module init, then init plus a first real authorization against
 * DynamoDB Local), interleaved run by run with the SDK-client authorizer of
 * `BENCH_AUTHORIZER_BASELINE` (a git ref; default the last commit that had
 * it); and how big and how quick to load each Lambda bundle is. Prints the
 * load average with the figures; asserts nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { hashApiKey, isKeyUsable } from '../lambda/core/api-keys';
import { systemClock } from '../lambda/core/clock';
import { ApiKeyLookup } from '../lambda/repositories/api-key-lookup';
import { ApiKeysRepository } from '../lambda/repositories/api-keys-repository';
import { TenantsRepository } from '../lambda/repositories/tenants-repository';
import { localDynamoClients, localGetItemClient, startDynamoDbLocal } from '../local/dynamodb-local';
import { bundleLambda } from '../scripts/lib/lambda-bundle';
import { QUIET_SDK_ENV } from '../scripts/preload';
import { createPlatformTables } from '../scripts/lib/platform-tables';

const ORGS = Number(process.env.BENCH_ORGS ?? 500);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 4000);
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 9);
const HANDLERS = ['onboarding', 'rotation', 'verification'];
/** The last commit whose authorizer read its key with the SDK's DynamoDB client. */
const AUTHORIZER_BASELINE = process.env.BENCH_AUTHORIZER_BASELINE ?? 'bec2f75';
const REPO_ROOT = path.join(__dirname, '..');

/** Environment of every measured process: a Lambda-like one pointing at DynamoDB Local. */
function lambdaEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...QUIET_SDK_ENV,
    ENVIRONMENT_NAME: 'dev',
    TENANTS_TABLE: 't',
    API_KEYS_TABLE: 'k',
    WEBHOOKS_TABLE: 'w',
    PICKUP_SECRET_PREFIX: 'p/',
    AUTHORIZER_CACHE_TTL_SECONDS: '30',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'us-east-1',
    // DynamoDB Local's dummy credentials, as Lambda would set real ones.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
    ...extra,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

interface Seeded {
  readonly endpoint: string;
  readonly apiKeysTable: string;
  readonly plaintexts: string[];
}

async function seed(endpoint: string): Promise<Seeded> {
  const { client, doc } = localDynamoClients(endpoint);
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
  return { endpoint, apiKeysTable: tables.apiKeys, plaintexts };
}

/** The authorizer's own lookup (signed GetItem, projection, hand parsing), as the local runtime runs it. */
async function verificationThroughput({ endpoint, apiKeysTable, plaintexts }: Seeded): Promise<string[]> {
  const keys = new ApiKeyLookup(localGetItemClient(endpoint), apiKeysTable);
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
  return rows;
}

interface ColdStart {
  /** `require` of the module, wall and CPU (user + system) ms. */
  readonly initMs: number;
  readonly initCpuMs: number;
  /** The require plus the first `handler(event)` with a live key, wall and CPU ms. */
  readonly firstMs: number;
  readonly firstCpuMs: number;
}

/**
 * One fresh node process: require `target` (timed), then, when it is an
 * authorizer, authorize `BENCH_KEY` once (timed from before the require).
 */
function coldStart(target: string, env: NodeJS.ProcessEnv, authorize: boolean): ColdStart {
  const script = `
    const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;
    const cpu = (from) => { const u = process.cpuUsage(from); return (u.user + u.system) / 1000; };
    const t = process.hrtime.bigint(), c = process.cpuUsage();
    const m = require(${JSON.stringify(target)});
    const initMs = ms(t), initCpuMs = cpu(c);
    const event = { type: 'REQUEST', methodArn: 'arn:aws:execute-api:us-east-1:1:api/dev/GET/p', headers: { 'X-API-Key': process.env.BENCH_KEY } };
    (${authorize} ? m.handler(event) : Promise.resolve({ principalId: 'none' })).then((result) => {
      if (!result.principalId) throw new Error('not allowed');
      process.stdout.write(JSON.stringify({ initMs, initCpuMs, firstMs: ms(t), firstCpuMs: cpu(c) }));
    });`;
  const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${target} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as ColdStart;
}

/** The baseline's authorizer sources, from git, bundled the same way as today's. */
function baselineAuthorizer(outdir: string): { file: string; bytes: number } | undefined {
  const root = path.join(outdir, 'baseline-src');
  mkdirSync(root, { recursive: true });
  try {
    const archive = execFileSync('git', ['-C', REPO_ROOT, 'archive', AUTHORIZER_BASELINE, 'lambda']);
    execFileSync('tar', ['-x', '-C', root], { input: archive });
  } catch {
    return undefined;
  }
  const file = path.join(outdir, 'baseline', 'index.js');
  return { file, bytes: bundleLambda('authorizer', file, root).bytes };
}

/** Cold starts of today's authorizer, the baseline's and the SDK client alone, interleaved run by run. */
function authorizerColdStarts(world: Seeded): string[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pp-authorizer-bench-'));
  const current = { file: path.join(outdir, 'current', 'index.js'), bytes: 0 };
  current.bytes = bundleLambda('authorizer', current.file).bytes;
  const baseline = baselineAuthorizer(outdir);
  const env = lambdaEnv({
    API_KEYS_TABLE: world.apiKeysTable,
    AWS_ENDPOINT_URL_DYNAMODB: world.endpoint,
    BENCH_KEY: world.plaintexts[0],
  });
  const runs: Record<'current' | 'baseline' | 'sdk', ColdStart[]> = { current: [], baseline: [], sdk: [] };
  for (let run = 0; run < INIT_RUNS; run += 1) {
    runs.current.push(coldStart(current.file, env, true));
    if (baseline) runs.baseline.push(coldStart(baseline.file, env, true));
    runs.sdk.push(coldStart('@aws-sdk/client-dynamodb', env, false));
  }
  const row = (name: string, bytes: string, samples: ColdStart[], first: boolean) => {
    const m = (key: keyof ColdStart) => median(samples.map((sample) => sample[key])).toFixed(1);
    const tail = first ? `${m('firstMs')} | ${m('firstCpuMs')}` : '- | -';
    return `| ${name} | ${bytes} | ${m('initMs')} | ${m('initCpuMs')} | ${tail} |`;
  };
  return [
    row('today (signed GetItem, no SDK)', `${(current.bytes / 1024).toFixed(1)} KB`, runs.current, true),
    baseline === undefined
      ? `| baseline ${AUTHORIZER_BASELINE} | (not in this checkout's git history) | - | - | - | - |`
      : row(
          `baseline ${AUTHORIZER_BASELINE} (SDK DynamoDB client)`,
          `${(baseline.bytes / 1024).toFixed(1)} KB`,
          runs.baseline,
          true,
        ),
    row('`@aws-sdk/client-dynamodb` alone', '(runtime)', runs.sdk, false),
  ];
}

/** Median ms of `INIT_RUNS` fresh node processes each timing `require(target)`. */
function medianRequireMs(target: string, env: NodeJS.ProcessEnv): number {
  return median(Array.from({ length: INIT_RUNS }, () => coldStart(target, env, false).initMs));
}

function bundleRows(): string[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pp-bundles-'));
  const env = lambdaEnv({});
  return HANDLERS.map((handler) => {
    const outfile = path.join(outdir, handler, 'index.js');
    const { bytes } = bundleLambda(handler, outfile);
    return `| ${handler} | ${(bytes / 1024).toFixed(1)} KB | ${medianRequireMs(outfile, env).toFixed(0)} ms |`;
  });
}

async function main(): Promise<void> {
  console.log(`load average (1 / 5 / 15 min) at start: ${load()}\n`);
  const dynamo = await startDynamoDbLocal();
  try {
    const world = await seed(dynamo.endpoint);
    console.log(`## API key verification (hash + GetItem + rule) against DynamoDB Local, ${ORGS} orgs\n`);
    console.log('| concurrency | lookups | lookups/s | p50 ms | p99 ms |');
    console.log('|---|---|---|---|---|');
    for (const row of await verificationThroughput(world)) console.log(row);
    console.log(
      `\n## Authorizer cold start (medians of ${INIT_RUNS} fresh node processes, the three interleaved run by run; ` +
        'first authorization = module init + one handler call with a live key against DynamoDB Local)\n',
    );
    console.log(
      '| authorizer | bundle | module init ms | module init CPU ms | init + first authorization ms | CPU ms |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const row of authorizerColdStarts(world)) console.log(row);
    console.log(`\nload average after the cold starts: ${load()}`);
  } finally {
    await dynamo.stop();
  }
  console.log(
    `\n## Other Lambda bundles (as lib/platform-function.ts bundles them: minified, @aws-sdk external; module init = median of ${INIT_RUNS} requires, each in a fresh node process)\n`,
  );
  console.log('| handler | bundle | module init |');
  console.log('|---|---|---|');
  for (const row of bundleRows()) console.log(row);
  console.log(`\nload average at the end: ${load()}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
