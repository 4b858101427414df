/**
 * Per-partner throttling over HTTP against the local runtime (issue 13 step
 * 5): the limit comes from config/<env>.yaml (`partnerApi.rateLimit`)
 * through the synthesized template, as in AWS. A burst of calls with one
 * key gets 429 `rate_limited` with Retry-After past the org's burst (every
 * call after the first is answered from the gateway's authorizer cache, so
 * they are counted by the handler, not the authorizer); a refused call
 * changes no table; another org and the public catalog are unaffected; and
 * after Retry-After the key works again.
 */
import { performance } from 'node:perf_hooks';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { scanPlatformTables } from '../support/platform-tables';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

/** One request every 5 s per org, bursts of 3: slow enough that a loaded machine does not refill it mid-test. */
const POLICY = { requestsPerSecond: 0.2, burst: 3 };
const INTERVAL_MS = 1_000 / POLICY.requestsPerSecond;
let runtime: LocalRuntime;

beforeAll(async () => {
  const root = workspaceWithPartners([{ orgId: 'bursty' }, { orgId: 'neighbour' }], {
    environmentOverrides: { partnerApi: { rateLimit: POLICY } },
  });
  runtime = await startLocalRuntime({
    assemblyDir: synthesize(loadWorkspace(root)).outdir,
    port: 0,
    verificationIntervalMs: 3_600_000,
    reconcileIntervalMs: 3_600_000,
  });
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
});

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly contentType: string | null;
  readonly body: unknown;
}

async function call(path: string, apiKey?: string): Promise<Answer> {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    headers: apiKey === undefined ? {} : { 'X-API-Key': apiKey },
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    contentType: response.headers.get('content-type'),
    body: await response.json(),
  };
}

const keyOf = (orgId: string) => runtime.partners.find((partner) => partner.orgId === orgId)!.initialApiKey!;
/**
 * The tables, without the key's lastUsedAt: usage ingestion (every call that
 * passed the authorizer, 429s included) moves it in the background.
 */
const snapshot = () => scanPlatformTables(runtime.doc, runtime.tables, ['lastUsedAt']);

describe('per-partner throttling over HTTP against the local runtime', () => {
  let refused: Answer;

  it('a burst of calls with one key: the burst passes, the rest are 429 rate_limited with Retry-After', async () => {
    const start = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => call('/v1/partner/credentials', keyOf('bursty'))),
    );
    const elapsedMs = performance.now() - start;
    const admitted = answers.filter((answer) => answer.status === 200).length;
    // The whole burst, plus at most what the rate refilled while the calls were in flight.
    expect(admitted).toBeGreaterThanOrEqual(POLICY.burst);
    expect(admitted).toBeLessThanOrEqual(POLICY.burst + Math.floor(elapsedMs / INTERVAL_MS));
    const limited = answers.filter((answer) => answer.status !== 200);
    expect(limited.length).toBe(12 - admitted);
    for (const answer of limited) {
      // One interval after the latest admission's clock reading, which lies within the calls' flight.
      expect(Number(answer.retryAfter)).toBeLessThanOrEqual(Math.ceil((INTERVAL_MS + elapsedMs) / 1_000));
      expect(answer).toEqual({
        status: 429,
        retryAfter: expect.stringMatching(/^[1-9]\d*$/),
        contentType: 'application/json',
        body: { error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests/) } },
      });
    }
    const retryAfter = [...new Set(limited.map((answer) => answer.retryAfter))].join('/');
    console.log(
      `per-partner throttling: ${admitted} of 12 admitted in ${Math.round(elapsedMs)} ms (burst ${POLICY.burst}), Retry-After ${retryAfter} s`,
    );
  });

  it('a refused call changes no table (the route does not run, the bucket is untouched)', async () => {
    // Empty again whatever refilled since (at most one call per 5 s).
    for (let attempt = 0; attempt < POLICY.burst + 2; attempt++) {
      if ((await call('/v1/partner/credentials', keyOf('bursty'))).status === 429) break;
    }
    const before = await snapshot();
    refused = await call('/partner-auth-probe', keyOf('bursty'));
    expect(refused.status).toBe(429);
    expect(await snapshot()).toEqual(before);
  });

  it('another org, and the public event catalog, are unaffected meanwhile', async () => {
    expect((await call('/v1/partner/me', keyOf('neighbour'))).status).toBe(200);
    expect((await call('/v1/partner/event-types')).status).toBe(200);
  });

  it('after waiting Retry-After seconds the key works again', async () => {
    await new Promise((resolve) => setTimeout(resolve, Number(refused.retryAfter) * 1_000));
    const again = await call('/v1/partner/me', keyOf('bursty'));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ orgId: 'bursty' });
  });
});
