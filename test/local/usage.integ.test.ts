/**
 * Usage over HTTP against the local runtime (issue 17 step 3): the local
 * gateway writes one access-log line per request, cached authorizer answers
 * included, and the real ingestion code counts them; the partner and admin
 * usage routes then show exactly those calls with their status classes, own
 * keys only, and refuse bad ranges with the JSON error shape.
 */
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

let runtime: LocalRuntime;

beforeAll(async () => {
  const root = workspaceWithPartners([{ orgId: 'counted' }, { orgId: 'neighbour' }]);
  runtime = await startLocalRuntime({
    assemblyDir: synthesize(loadWorkspace(root)).outdir,
    port: 0,
    verificationIntervalMs: 3_600_000,
    reconcileIntervalMs: 3_600_000,
    // Flushed by the test, so what is counted is exactly what was called before.
    usageFlushIntervalMs: 3_600_000,
  });
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
});

const partnerOf = (orgId: string) => runtime.partners.find((partner) => partner.orgId === orgId)!;

async function call(path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${runtime.apiUrl}${path}`, { headers });
  return { status: response.status, body: await response.json() };
}

const asPartner = (orgId: string) => ({ 'X-API-Key': partnerOf(orgId).initialApiKey! });

describe('usage over HTTP against the local runtime', () => {
  let counted: { status: number; body: any };
  let authorizerRunsForProbes = 0;

  beforeAll(async () => {
    const key = asPartner('counted');
    // 5 probes: the first asks the authorizer, the other four are answered from its cache.
    const authorizerRunsBefore = runtime.gateway.authorizerInvocations;
    for (let index = 0; index < 5; index++) expect((await call('/partner-auth-probe', key)).status).toBe(200);
    authorizerRunsForProbes = runtime.gateway.authorizerInvocations - authorizerRunsBefore;
    // 3 calls that pass the authorizer and fail in the handler: 4xx.
    expect((await call('/v1/partner/credentials/no-such-key/usage', key)).status).toBe(404);
    expect((await call(`/v1/partner/credentials/${partnerOf('neighbour').keyId}/usage`, key)).status).toBe(404);
    expect(
      (await call(`/v1/partner/credentials/${partnerOf('counted').keyId}/usage?granularity=minute`, key)).status,
    ).toBe(400);
    // Refused by the authorizer: no key, not counted for anyone.
    expect((await call('/partner-auth-probe', { 'X-API-Key': 'x'.repeat(40) })).status).toBe(401);
    await runtime.usage!.flush();
    counted = await call(`/v1/partner/credentials/${partnerOf('counted').keyId}/usage`, key);
  });

  it('counts every call that passed the authorizer, cached ones included, with its status class', () => {
    // The authorizer ran once for the five probes: four were answered from its cache, and all five count.
    expect(authorizerRunsForProbes).toBe(1);
    expect(counted.status).toBe(200);
    expect(counted.body.totals).toMatchObject({
      requests: 8,
      statusClasses: { '2xx': 5, '4xx': 3, '5xx': 0 },
      byStatus: { '200': 5, '404': 2, '400': 1 },
      errorRate: 3 / 8,
    });
    expect(counted.body.lastUsedAt).toEqual(expect.any(String));
    // The last day by the hour: 25 buckets, the calls in the current one.
    expect(counted.body.granularity).toBe('hour');
    expect(counted.body.buckets).toHaveLength(25);
    expect(counted.body.buckets.at(-1).requests).toBe(8);
    expect(counted.body.rateLimit).toEqual({ requestsPerSecond: expect.any(Number), burst: expect.any(Number) });
  });

  it("another org's key shows none of them, and by the day the same totals", async () => {
    const neighbour = await call(
      `/v1/partner/credentials/${partnerOf('neighbour').keyId}/usage?granularity=day`,
      asPartner('neighbour'),
    );
    expect(neighbour.status).toBe(200);
    expect(neighbour.body.totals.requests).toBe(0);
    const byDay = await call(
      `/v1/partner/credentials/${partnerOf('counted').keyId}/usage?granularity=day`,
      asPartner('counted'),
    );
    expect(byDay.body.totals).toEqual(counted.body.totals);
  });

  it('the admin route shows the same usage for the tenant, and 404 for a key of another tenant', async () => {
    const admin = { 'X-Admin-API-Key': runtime.admin.apiKey, Authorization: `Bearer ${await runtime.admin.token()}` };
    const usage = await call(`/tenants/counted/api-keys/${partnerOf('counted').keyId}/usage`, admin);
    expect(usage.status).toBe(200);
    expect(usage.body.totals).toEqual(counted.body.totals);
    const other = await call(`/tenants/counted/api-keys/${partnerOf('neighbour').keyId}/usage`, admin);
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it.each<[string, string]>([
    ['an unknown granularity', 'granularity=week'],
    ['a from that is not a date', 'from=yesterday'],
    ['from after to', 'from=2026-12-07T12:00:00Z&to=2026-12-07T11:00:00Z'],
    ['a range over 90 days', 'from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z'],
    ['an unknown parameter', 'limit=5'],
  ])('refuses %s with 400 in the JSON error shape', async (_name, query) => {
    const answer = await call(
      `/v1/partner/credentials/${partnerOf('counted').keyId}/usage?${query}`,
      asPartner('counted'),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  });
});
