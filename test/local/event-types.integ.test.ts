/**
 * GET /v1/partner/event-types over HTTP against the local runtime, whose
 * gateway is read from the synthesized template: it answers 200 with the
 * catalog and no API key (the template gives that one method no
 * authorizer), with an ETag that revalidates to a 304, while every other
 * partner route still refuses a call without a key.
 */
import { partnerRoutes } from '../../lambda/api/routes';
import { EVENT_TYPES_PATH } from '../../lambda/core/contracts';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

let runtime: LocalRuntime;

beforeAll(async () => {
  const root = workspaceWithPartners([
    { orgId: 'acme', webhooks: [{ id: 'main', url: 'https://acme.example/hook', events: ['*'] }] },
  ]);
  runtime = await startLocalRuntime({
    assemblyDir: synthesize(loadWorkspace(root)).outdir,
    port: 0,
    verificationIntervalMs: 3_600_000,
  });
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
});

describe('GET /v1/partner/event-types against the local runtime', () => {
  it('answers 200 with every catalog type, no API key needed, cacheable', async () => {
    const response = await fetch(`${runtime.apiUrl}${EVENT_TYPES_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const body = (await response.json()) as { eventTypes: unknown[] };
    expect(body.eventTypes).toEqual(
      PLATFORM_EVENT_CATALOG.types.map(({ name, source, description, schema, example }) => ({
        name,
        source,
        description,
        schema,
        example,
      })),
    );
    expect(body.eventTypes.map((type: any) => type.name)).toContain('Shadow Update');
  });

  it('answers 304 to a revalidation with the current ETag', async () => {
    const first = await fetch(`${runtime.apiUrl}${EVENT_TYPES_PATH}`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await fetch(`${runtime.apiUrl}${EVENT_TYPES_PATH}`, { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('still refuses every other partner route without a key, and with a wrong one', async () => {
    const guarded = Object.values(partnerRoutes).filter((route) => route.auth === 'partner');
    expect(guarded.length).toBeGreaterThan(5);
    for (const route of guarded) {
      const path = route.path.replace(/\{\w+\}/g, 'x');
      const attempts: Record<string, string>[] = [{}, { 'X-API-Key': 'not-a-key-0123456789abcdefghijklmnopqrstu' }];
      for (const headers of attempts) {
        const response = await fetch(`${runtime.apiUrl}${path}`, { method: route.method, headers });
        await response.arrayBuffer();
        expect({ route: `${route.method} ${route.path}`, status: response.status }).toEqual({
          route: `${route.method} ${route.path}`,
          status: 401,
        });
      }
    }
  });

  it('takes the key of a partner but does not need it', async () => {
    const acme = runtime.partners.find((partner) => partner.orgId === 'acme')!;
    expect(acme.initialApiKey).toBeDefined();
    const response = await fetch(`${runtime.apiUrl}${EVENT_TYPES_PATH}`, {
      headers: { 'X-API-Key': acme.initialApiKey! },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });
});
