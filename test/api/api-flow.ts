/**
 * The product documents' curl flows, end to end through the real admin and
 * partner handlers and the partner authorizer, against DynamoDB Local:
 * register -> key -> 409 -> webhooks -> partner probe -> rotation with a
 * 24 h grace -> revoke. Run in process (test/integ/api-flow.integ.test.ts)
 * and over HTTP against the local runtime (test/local/runtime.integ.test.ts).
 */
import { HOUR_MS, MINUTE_MS } from '../../lambda/core/clock';
import { ConflictError } from '../../lambda/core/errors';
import { PARTNER_AUTHORIZER_CACHE_SECONDS } from '../../lambda/api/partner-context';
import { routes } from '../../lambda/api/routes';
import type { ApiWorld } from './api-harness';

/** What the flow needs of a world: calls, the clock, and the repositories to look behind the API. */
export type FlowWorld = Pick<ApiWorld, 'clock' | 'keys' | 'webhooks' | 'callAdmin' | 'callPartner'> & {
  readonly secrets: { names(): string[] };
  /** Where the admin API stores generated webhook secrets. */
  readonly webhookSecretPrefix: string;
  /** The email of the admin whose token `callAdmin` sends. */
  readonly adminEmail: string;
};

/** Checks a 2xx body against the route's documented response schema. */
function conforms(routeId: keyof typeof routes, body: unknown): void {
  const result = routes[routeId].response.safeParse(body);
  if (!result.success) throw new Error(`${routeId} answered off its schema: ${result.error.message}`);
}

export function apiFlowSuite(title: string, getWorld: () => FlowWorld): void {
  describe(title, () => {
    let world: FlowWorld;
    beforeAll(() => {
      world = getWorld();
    });
    const orgId = 'acme-corp';
    let firstKey: string;
    let firstKeyId: string;
    let webhookId: string;

    it('registers a tenant (201) and refuses a second registration (409)', async () => {
      const body = { orgName: 'Acme Corp', ownerEmail: 'owner@acme.example' };
      const created = await world.callAdmin('POST', `/tenants/${orgId}/register`, { body });
      expect(created.status).toBe(201);
      conforms('registerTenant', created.body);
      expect(created.body).toMatchObject({ orgId, orgName: 'Acme Corp', status: 'active', activeKey: null });

      const again = await world.callAdmin('POST', `/tenants/${orgId}/register`, { body });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('conflict');
    });

    it('issues an API key once (201), then 409 while it is active', async () => {
      const issued = await world.callAdmin('POST', '/api-keys', { body: { orgId, orgName: 'Acme Corp' } });
      expect(issued.status).toBe(201);
      conforms('issueApiKey', issued.body);
      expect(issued.body).toMatchObject({ orgId, orgName: 'Acme Corp', createdBy: world.adminEmail });
      expect(issued.body.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
      firstKey = issued.body.apiKey;
      firstKeyId = issued.body.id;

      const second = await world.callAdmin('POST', '/api-keys', { body: { orgId, orgName: 'Acme Corp' } });
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('key_limit_reached');
      expect(JSON.stringify(second.body)).not.toContain(firstKey);
    });

    it('answers 404 "Tenant not registered" for a key of an unknown org', async () => {
      const response = await world.callAdmin('POST', '/api-keys', { body: { orgId: 'nobody', orgName: 'Nobody' } });
      expect(response).toEqual({
        status: 404,
        body: { error: { code: 'not_found', message: 'Tenant not registered' } },
      });
    });

    it('lists tenants with the active key masked', async () => {
      const listed = await world.callAdmin('GET', '/tenants?limit=10');
      expect(listed.status).toBe(200);
      conforms('listTenants', listed.body);
      const acme = listed.body.tenants.find((tenant: { orgId: string }) => tenant.orgId === orgId);
      expect(acme.activeKey).toEqual({
        id: firstKeyId,
        name: 'Default',
        environment: 'production',
        key: `${firstKey.slice(0, 8)}…${firstKey.slice(-4)}`,
        status: 'active',
        expiresAt: expect.any(String),
      });
      expect(JSON.stringify(listed.body)).not.toContain(firstKey);
    });

    it('creates, lists, updates and deletes webhooks; a URL change goes back to pending', async () => {
      const created = await world.callAdmin('POST', `/tenants/${orgId}/webhooks`, {
        body: { url: 'https://hooks.acme.example/events', events: ['LockCreated'] },
      });
      expect(created.status).toBe(201);
      conforms('createWebhook', created.body);
      expect(created.body).toMatchObject({ success: true, version: 1 });
      webhookId = created.body.aggregateId;
      // The generated secret is stored under the webhook's own name.
      expect(world.secrets.names()).toContain(`${world.webhookSecretPrefix}${orgId}/${webhookId}`);

      world.clock.advance(MINUTE_MS);
      const second = await world.callAdmin('POST', `/tenants/${orgId}/webhooks`, {
        body: { url: 'https://hooks.acme.example/other', events: ['*'], secret: 'a-partner-chosen-secret-of-32-chars' },
      });
      expect(second.status).toBe(201);

      const listed = await world.callAdmin('GET', `/tenants/${orgId}/webhooks?limit=1&offset=0`);
      expect(listed.status).toBe(200);
      conforms('listWebhooks', listed.body);
      expect(listed.body).toMatchObject({ total: 2, limit: 1, offset: 0 });
      // Where the provisioner runs (the local runtime) the URL was challenged at once, so lastError may name the failure.
      const { lastError: _attempted, ...firstView } = listed.body.webhooks[0];
      expect(firstView).toEqual({
        id: webhookId,
        url: 'https://hooks.acme.example/events',
        events: ['LockCreated'],
        status: 'pending',
        createdAt: expect.any(String),
        verifiedAt: null,
        updatedAt: expect.any(String),
        source: 'api',
        owner: 'runtime',
        delivery: { state: 'provisioning', lastError: null },
        health: {
          state: 'healthy',
          failingSince: null,
          lastFailureAt: null,
          disabledAt: null,
          disabledAfterHours: null,
        },
      });

      // Pretend verification succeeded, so the URL change visibly resets it. Where the provisioner
      // runs, its challenge attempt may write the record between our read and write: read again.
      await saveFresh(world, orgId, webhookId, (stored) => ({
        ...stored,
        status: 'active',
        verifiedUrl: stored.url,
        verifiedAt: stored.createdAt,
      }));

      world.clock.advance(MINUTE_MS);
      const updated = await world.callAdmin('PUT', `/tenants/${orgId}/webhooks/${webhookId}`, {
        body: { url: 'https://hooks.acme.example/v2', events: ['LockCreated', 'KeyAdded'] },
      });
      expect(updated.status).toBe(200);
      conforms('updateWebhook', updated.body);
      const afterUpdate = await world.webhooks.require(orgId, webhookId);
      expect(afterUpdate).toMatchObject({
        url: 'https://hooks.acme.example/v2',
        events: ['LockCreated', 'KeyAdded'],
        status: 'pending',
        verifiedUrl: 'https://hooks.acme.example/events',
        dueAt: world.clock.now().toISOString(),
      });

      const deleted = await world.callAdmin('DELETE', `/tenants/${orgId}/webhooks/${second.body.aggregateId}`);
      expect(deleted).toEqual({ status: 200, body: { success: true, aggregateId: second.body.aggregateId } });
      const gone = await world.callAdmin('DELETE', `/tenants/${orgId}/webhooks/${second.body.aggregateId}`);
      expect(gone.status).toBe(404);
    });

    it('lets the partner call the probe, me and credentials with its key, and records the use', async () => {
      const probe = await world.callPartner('GET', '/partner-auth-probe', firstKey);
      expect(probe.status).toBe(200);
      conforms('authProbe', probe.body);
      expect(probe.body).toEqual({
        orgId,
        keyPrefix: firstKey.slice(0, 8),
        name: 'Default',
        environment: 'production',
        status: 'active',
        expiresAt: expect.any(String),
      });

      const me = await world.callPartner('GET', '/v1/partner/me', firstKey);
      expect(me.status).toBe(200);
      conforms('partnerMe', me.body);
      expect(me.body).toMatchObject({ orgId, orgName: 'Acme Corp', key: { id: firstKeyId } });

      const credentials = await world.callPartner('GET', '/v1/partner/credentials', firstKey);
      expect(credentials.status).toBe(200);
      conforms('listCredentials', credentials.body);
      expect(credentials.body.credentials).toEqual([
        expect.objectContaining({
          id: firstKeyId,
          status: 'active',
          expiresIn: 'expires in 365 days',
          expiresInDays: 365,
        }),
      ]);
      expect(JSON.stringify(credentials.body)).not.toContain(firstKey);

      // Usage is counted from the access log (lambda/usage-ingest), not by the partner API: no second count.
      const stored = await world.keys.findById(orgId, firstKeyId);
      expect(stored?.usageCount).toBeUndefined();
    });

    it('refuses a second credential while one is active (409)', async () => {
      const response = await world.callPartner('POST', '/v1/partner/credentials', firstKey);
      expect(response.status).toBe(409);
    });

    it("lists the partner's own webhooks with status, delivery state and owner, and no other org's", async () => {
      const listed = await world.callPartner('GET', '/v1/partner/webhooks', firstKey);
      expect(listed.status).toBe(200);
      conforms('listOwnWebhooks', listed.body);
      expect(listed.body.webhooks).toEqual([
        expect.objectContaining({
          id: webhookId,
          url: 'https://hooks.acme.example/v2',
          status: 'pending',
          source: 'api',
          owner: 'runtime',
          // Where the provisioner runs (the local runtime) it may already have made the rule live
          // for the verified URL, and named its failed challenge of the new one; without it, the
          // webhook waits in provisioning. Either way the state is the record's own.
          delivery: expect.objectContaining({ state: expect.stringMatching(/^(provisioning|live)$/) }),
        }),
      ]);
      expect(JSON.stringify(listed.body)).not.toMatch(/secret/i);
    });

    it('lets the partner change its own webhook URL, which goes back to pending', async () => {
      const response = await world.callPartner('PATCH', `/webhooks/${webhookId}`, firstKey, {
        body: { url: 'https://hooks.acme.example/v3' },
      });
      expect(response.status).toBe(200);
      conforms('updateOwnWebhookUrl', response.body);
      expect(await world.webhooks.require(orgId, webhookId)).toMatchObject({
        url: 'https://hooks.acme.example/v3',
        status: 'pending',
      });
    });

    it('a config webhook refuses url and events changes with 409 managed_by_config naming its file; its secret stays rotatable', async () => {
      const record = await world.webhooks.create({
        orgId,
        webhookId: 'from-file',
        url: 'https://hooks.acme.example/from-file',
        events: ['*'],
        status: 'active',
        source: 'config',
        createdAt: world.clock.now().toISOString(),
        updatedAt: world.clock.now().toISOString(),
        attempts: 1,
        verifiedUrl: 'https://hooks.acme.example/from-file',
      });
      const refusal = {
        error: {
          code: 'managed_by_config',
          message: expect.stringContaining(`partners/${orgId}.yaml`),
        },
      };
      const put = await world.callAdmin('PUT', `/tenants/${orgId}/webhooks/from-file`, {
        body: { url: 'https://hooks.acme.example/elsewhere' },
      });
      expect(put).toEqual({ status: 409, body: refusal });
      const events = await world.callAdmin('PUT', `/tenants/${orgId}/webhooks/from-file`, {
        body: { events: ['*'], secret: 'a-rotated-secret-of-at-least-24-chars' },
      });
      expect(events).toEqual({ status: 409, body: refusal });
      const patch = await world.callPartner('PATCH', '/webhooks/from-file', firstKey, {
        body: { url: 'https://hooks.acme.example/elsewhere' },
      });
      expect(patch).toEqual({ status: 409, body: refusal });
      expect(await world.webhooks.require(orgId, 'from-file')).toMatchObject({
        url: record.url,
        events: ['*'],
        version: record.version,
      });

      const rotated = await world.callAdmin('PUT', `/tenants/${orgId}/webhooks/from-file`, {
        body: { secret: 'a-rotated-secret-of-at-least-24-chars' },
      });
      expect(rotated.status).toBe(200);
      await world.callAdmin('DELETE', `/tenants/${orgId}/webhooks/from-file`);
    });

    it('rotation with 24 h grace keeps the old key valid until one authorizer cache TTL (30 s) before the grace ends, then revoke gives 401', async () => {
      const rotated = await world.callPartner('POST', `/v1/partner/credentials/${firstKeyId}/rotate`, firstKey, {
        body: { graceHours: 24 },
      });
      expect(rotated.status).toBe(201);
      conforms('rotateCredential', rotated.body);
      const newKey: string = rotated.body.newKey.apiKey;
      const newKeyId: string = rotated.body.newKey.id;
      expect(rotated.body.oldKey).toMatchObject({ id: firstKeyId, status: 'grace' });

      expect((await world.callPartner('GET', '/partner-auth-probe', firstKey)).body.status).toBe('grace');
      expect((await world.callPartner('GET', '/partner-auth-probe', newKey)).body.status).toBe('active');

      // Refused from one cache TTL before its end, so no cached answer outlives the key.
      world.clock.advance(24 * HOUR_MS - PARTNER_AUTHORIZER_CACHE_SECONDS * 1000 - 1);
      expect((await world.callPartner('GET', '/partner-auth-probe', firstKey)).status).toBe(200);
      world.clock.advance(1);
      expect(await world.callPartner('GET', '/partner-auth-probe', firstKey)).toEqual({
        status: 401,
        body: { error: { code: 'unauthorized', message: 'Unauthorized' } },
      });
      expect((await world.callPartner('GET', '/partner-auth-probe', newKey)).status).toBe(200);

      const revoked = await world.callPartner('POST', `/v1/partner/credentials/${newKeyId}/revoke`, newKey);
      expect(revoked.status).toBe(200);
      conforms('revokeCredential', revoked.body);
      expect(revoked.body).toMatchObject({ id: newKeyId, status: 'revoked' });
      expect((await world.callPartner('GET', '/partner-auth-probe', newKey)).status).toBe(401);

      // With no active key left, the admin can issue a new one.
      const reissued = await world.callAdmin('POST', '/api-keys', { body: { orgId, orgName: 'Acme Corp' } });
      expect(reissued.status).toBe(201);
    });
  });
}

type StoredWebhook = Awaited<ReturnType<FlowWorld['webhooks']['require']>>;

/**
 * Read-modify-write of a webhook record that retries when something else (the local runtime's
 * provisioner and verifier, working in the background) wrote it in between, as the
 * repository's optimistic lock asks ("read it again").
 */
async function saveFresh(
  world: FlowWorld,
  orgId: string,
  webhookId: string,
  change: (stored: StoredWebhook) => StoredWebhook,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const stored = await world.webhooks.require(orgId, webhookId);
    try {
      await world.webhooks.save(change(stored));
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 20) throw error;
    }
  }
}
