/**
 * The admin API's `GET /tenants/{orgId}/activity` through the real handler
 * against DynamoDB Local: a tenant's team changes (written by the portal's
 * TeamRepository) newest first, only that tenant's, limited on request;
 * an unknown tenant 404, bad input 400 and a call without admin credentials
 * 403, each as `{error: {code, message}}` and changing nothing.
 */
import { TeamRepository } from '../../lambda/portal/team-repository';
import { ActivityRepository } from '../../lambda/repositories/activity-repository';
import { type ApiWorld, createApiWorld } from '../api/api-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let world: ApiWorld;

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'adminactivity');
  world = await createApiWorld(ddb, tables);
  // Now-ish: DynamoDB Local's TTL sweep runs on the wall clock and would delete invitations "expired" in the past.
  world.clock.set(new Date(Math.floor(Date.now() / 60_000) * 60_000));
  const team = new TeamRepository(
    ddb.doc,
    tables.tenants,
    world.clock,
    new ActivityRepository(ddb.doc, tables.tenants),
  );
  for (const orgId of ['alpha', 'beta']) {
    const registered = await world.callAdmin('POST', `/tenants/${orgId}/register`, {
      body: { orgName: orgId, ownerEmail: `owner@${orgId}.example` },
    });
    expect(registered.status).toBe(201);
    const actor = {
      id: 'owner',
      email: `owner@${orgId}.example`,
      role: 'owner' as const,
      origin: { sourceIp: '198.51.100.7', userAgent: 'Mozilla/5.0 test' },
    };
    const { invitation } = await team.invite(orgId, `first@${orgId}.example`, 'member', actor);
    world.clock.advance(1_000);
    await team.invite(orgId, `second@${orgId}.example`, 'admin', actor);
    world.clock.advance(1_000);
    await team.revokeInvitation(orgId, invitation.id, actor);
  }
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

describe('GET /tenants/{orgId}/activity', () => {
  it("lists the tenant's own activity newest first, with actor, origin and roles and no token", async () => {
    const response = await world.callAdmin('GET', '/tenants/alpha/activity');
    expect(response.status).toBe(200);
    expect(response.body.activity).toEqual([
      expect.objectContaining({
        action: 'invitation.revoked',
        actor: 'portal:owner@alpha.example',
        subject: 'first@alpha.example',
        role: 'member',
        previousRole: null,
        sourceIp: '198.51.100.7',
        userAgent: 'Mozilla/5.0 test',
      }),
      expect.objectContaining({ action: 'member.invited', subject: 'second@alpha.example', role: 'admin' }),
      expect.objectContaining({ action: 'member.invited', subject: 'first@alpha.example', role: 'member' }),
    ]);
    expect(JSON.stringify(response.body)).not.toContain('beta');
    expect(Object.keys(response.body.activity[0]).sort()).toEqual(
      ['action', 'actor', 'at', 'previousRole', 'role', 'sourceIp', 'subject', 'userAgent'].sort(),
    );
  });

  it('returns at most `limit` entries', async () => {
    const response = await world.callAdmin('GET', '/tenants/beta/activity?limit=1');
    expect(response.status).toBe(200);
    expect(response.body.activity.map((entry: { action: string }) => entry.action)).toEqual(['invitation.revoked']);
  });

  it.each([
    { name: 'an unknown tenant', path: '/tenants/gamma/activity', status: 404, code: 'not_found' },
    { name: 'a limit of 0', path: '/tenants/alpha/activity?limit=0', status: 400, code: 'validation_error' },
    { name: 'an unknown query field', path: '/tenants/alpha/activity?cursor=x', status: 400, code: 'validation_error' },
    { name: 'a bad orgId', path: '/tenants/Alpha!/activity', status: 400, code: 'validation_error' },
  ])('$name gets $status and changes nothing', async ({ path, status, code }) => {
    const before = await world.snapshot();
    const response = await world.callAdmin('GET', path);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
    expect(await world.snapshot()).toEqual(before);
  });

  it('needs the admin credentials', async () => {
    const response = await world.callAdmin('GET', '/tenants/alpha/activity', {
      headers: { 'x-admin-api-key': 'wrong' },
    });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(JSON.stringify(response.body)).not.toContain('portal:');
  });
});
