/**
 * Property: for random sequences of issue / rotate / revoke by any key the
 * org ever had, mixed with time running out (expiry, grace ends, the sweep)
 * and admin re-issues, no key that was not active at the time of its request
 * ever creates, rotates or revokes a key (it gets 403 `key_not_permitted` and
 * the org's keys stay as they were), and the org never has two live keys.
 *
 * Every partner call is served from the authorizer answer the key got when
 * it was new, as a stale API Gateway cache would serve it, so the handlers
 * alone must tell a dying key from the active one. Real handlers, DynamoDB
 * Local, one fresh org per run.
 */
import fc from 'fast-check';
import { DAY_MS, HOUR_MS } from '../../lambda/core/clock';
import { type ApiWorld, createApiWorld } from '../api/api-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let world: ApiWorld;
let runs = 0;
/** What the runs exercised, so the property cannot pass by never reaching a dying key. */
const seen = { refused: 0, changed: 0 };

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'keyprop');
  world = await createApiWorld(ddb, tables);
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

type Command =
  | { readonly op: 'issue'; readonly actor: number }
  | { readonly op: 'rotate'; readonly actor: number; readonly target: number; readonly graceHours: number }
  | { readonly op: 'revoke'; readonly actor: number; readonly target: number }
  | { readonly op: 'expire'; readonly target: number; readonly sweep: boolean }
  | { readonly op: 'adminIssue' };

/** A key of the org by position; half the time the newest, which is most often the active one. */
const pick = fc.oneof(fc.constant(-1), fc.nat({ max: 1000 }));
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('issue' as const), actor: pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('rotate' as const),
      actor: pick,
      target: pick,
      graceHours: fc.constantFrom(0, 24, 48, 72),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('revoke' as const), actor: pick, target: pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('expire' as const), target: pick, sweep: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ op: 'adminIssue' as const }) },
);

interface Known {
  readonly apiKey: string;
  readonly id: string;
  readonly keyHash: string;
  readonly context: Record<string, unknown>;
}

/** The rule under test, written out independently of the code: live status and not past expiry. */
function wasActive(record: { status: string; expiresAt?: string } | undefined, now: Date): boolean {
  if (record === undefined || (record.status !== 'active' && record.status !== 'expiring')) return false;
  return record.expiresAt === undefined || now.getTime() < Date.parse(record.expiresAt);
}

async function orgKeys(orgId: string) {
  return (await world.keys.listByOrg(orgId, { limit: 100 })).items
    .map(({ lastUsedAt: _l, usageDay: _d, usageCount: _c, ...rest }) => rest)
    .sort((a, b) => a.keyHash.localeCompare(b.keyHash));
}

async function runSequence(commands: readonly Command[]): Promise<void> {
  const orgId = `prop-${++runs}`;
  expect(
    (
      await world.callAdmin('POST', `/tenants/${orgId}/register`, {
        body: { orgName: orgId, ownerEmail: `o@${orgId}.example` },
      })
    ).status,
  ).toBe(201);
  const known: Known[] = [];
  const at = (index: number) => known[index < 0 ? known.length - 1 : index % known.length];
  const remember = async (apiKey: string, id: string) => {
    const context = await world.authorizerContext(apiKey);
    known.push({ apiKey, id, keyHash: String(context.keyHash), context });
  };
  const adminIssue = async () => {
    const issued = await world.callAdmin('POST', '/api-keys', { body: { orgId, orgName: orgId } });
    if (issued.status === 201) await remember(issued.body.apiKey, issued.body.id);
    else expect(issued.status).toBe(409);
  };
  await adminIssue();

  for (const step of commands) {
    if (step.op === 'adminIssue') {
      await adminIssue();
    } else if (step.op === 'expire') {
      const target = await world.keys.getByHash(at(step.target).keyHash);
      const end = target?.status === 'grace' ? target.graceEndsAt : target?.expiresAt;
      const endMs = end === undefined ? NaN : Date.parse(end);
      const nowMs = world.clock.now().getTime();
      world.clock.advance(endMs > nowMs && endMs - nowMs < 400 * DAY_MS ? endMs - nowMs + 1 : HOUR_MS);
      if (step.sweep) {
        for (const key of known) await world.keys.sweep(key.keyHash, world.clock.now());
      }
    } else {
      const actor = at(step.actor);
      const permitted = wasActive(await world.keys.getByHash(actor.keyHash), world.clock.now());
      const before = await orgKeys(orgId);
      const target = step.op === 'issue' ? undefined : at(step.target);
      const response =
        step.op === 'issue'
          ? await world.callPartnerCached('POST', '/v1/partner/credentials', actor)
          : await world.callPartnerCached('POST', `/v1/partner/credentials/${target!.id}/${step.op}`, actor, {
              body: step.op === 'rotate' ? { graceHours: step.graceHours } : undefined,
            });
      if (!permitted) {
        expect({ step, status: response.status, code: response.body.error?.code }).toEqual({
          step,
          status: 403,
          code: 'key_not_permitted',
        });
        expect(await orgKeys(orgId)).toEqual(before);
        seen.refused++;
      } else {
        expect({ step, status: [200, 201, 404, 409].includes(response.status) }).toEqual({ step, status: true });
        const issued = response.body.apiKey ?? response.body.newKey?.apiKey;
        if (response.status === 201) await remember(issued, response.body.id ?? response.body.newKey.id);
        if (response.status < 300) seen.changed++;
      }
    }
    const live = (await orgKeys(orgId)).filter((key) => key.status === 'active' || key.status === 'expiring');
    expect(live.length).toBeLessThanOrEqual(1);
  }
}

describe('credential changes over random key histories', () => {
  it('no key that was not active at its request creates, rotates or revokes a key; at most one key is live', async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 60, size: 'max' }), runSequence), {
      numRuns: 25,
      endOnFailure: true,
    });
    expect(seen.refused).toBeGreaterThan(100);
    expect(seen.changed).toBeGreaterThan(50);
  }, 600_000);
});
