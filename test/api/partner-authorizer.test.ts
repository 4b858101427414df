/**
 * The partner authorizer's decisions with an in-memory key lookup: one
 * lookup by hash per request (there is nothing else it could call), the
 * same refusal for every bad key, grace keys until their grace ends, and a
 * policy that API Gateway can reuse across the stage's routes.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { hashApiKey, issueKey, planRotation } from '../../lambda/core/api-keys';
import { FakeClock, HOUR_MS } from '../../lambda/core/clock';
import { authorizePartner, stageWildcard } from '../../lambda/authorizer/partner-authorizer';
import type { StoredApiKey } from '../../lambda/repositories/api-keys-repository';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v1/partner/credentials';

function world() {
  const clock = new FakeClock('2026-01-01T00:00:00.000Z');
  const records = new Map<string, StoredApiKey>();
  const lookups: string[] = [];
  const keys = {
    getByHash: async (keyHash: string) => {
      lookups.push(keyHash);
      return records.get(keyHash);
    },
  };
  const event = (headers: Record<string, string>) =>
    ({ type: 'REQUEST', methodArn: METHOD_ARN, headers }) as unknown as APIGatewayRequestAuthorizerEvent;
  return { clock, records, lookups, deps: { keys, clock }, event };
}

describe('partner authorizer', () => {
  it('allows a live key with one lookup by hash, for every route of the stage, with the caller as context', async () => {
    const w = world();
    const issued = issueKey({ orgId: 'acme', clock: w.clock });
    w.records.set(issued.record.keyHash, issued.record);
    const result = await authorizePartner(w.event({ 'x-api-key': issued.plaintext }), w.deps);
    expect(w.lookups).toEqual([hashApiKey(issued.plaintext)]);
    expect(result.principalId).toBe('acme');
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*',
      },
    ]);
    expect(result.context).toEqual({
      orgId: 'acme',
      keyId: issued.record.keyId,
      keyPrefix: issued.plaintext.slice(0, 8),
      keyHash: issued.record.keyHash,
      status: 'active',
      expiresAt: issued.record.expiresAt,
    });
    expect(JSON.stringify(result)).not.toContain(issued.plaintext);
  });

  it('refuses missing, malformed, unknown and revoked keys alike, without a lookup for malformed ones', async () => {
    const w = world();
    const revoked = issueKey({ orgId: 'acme', clock: w.clock });
    w.records.set(revoked.record.keyHash, {
      ...revoked.record,
      status: 'revoked',
      revokedAt: w.clock.now().toISOString(),
    });
    const refusals: Record<string, string>[] = [
      {},
      { 'X-API-Key': 'short' },
      { 'X-API-Key': 'Z'.repeat(40) },
      { 'X-API-Key': revoked.plaintext },
    ];
    for (const headers of refusals) {
      await expect(authorizePartner(w.event(headers), w.deps)).rejects.toThrow(/^Unauthorized$/);
    }
    expect(w.lookups).toHaveLength(2);
  });

  it('rotation with 24 h grace keeps the old key valid until one cache TTL (30 s) before the grace ends', async () => {
    const w = world();
    const issued = issueKey({ orgId: 'acme', clock: w.clock });
    const plan = planRotation({ current: issued.record, graceHours: 24, clock: w.clock });
    w.records.set(issued.record.keyHash, plan.oldKeyAfter);
    const old = w.event({ 'X-API-Key': issued.plaintext });
    w.clock.advance(24 * HOUR_MS - 30_001);
    expect((await authorizePartner(old, w.deps)).context.status).toBe('grace');
    w.clock.advance(1);
    await expect(authorizePartner(old, w.deps)).rejects.toThrow('Unauthorized');
  });

  it('expired keys are refused even before the sweep marks them', async () => {
    const w = world();
    const issued = issueKey({ orgId: 'acme', clock: w.clock, validityDays: 1 });
    w.records.set(issued.record.keyHash, issued.record);
    w.clock.advance(24 * HOUR_MS);
    await expect(authorizePartner(w.event({ 'X-API-Key': issued.plaintext }), w.deps)).rejects.toThrow('Unauthorized');
  });

  it.each([
    [30, 30_000],
    [5, 5_000],
    [0, 0],
  ])(
    'with a %i s cache TTL a key is refused from %i ms before its expiry, so no cached answer outlives it',
    async (cacheTtlSeconds, marginMs) => {
      const w = world();
      const issued = issueKey({ orgId: 'acme', clock: w.clock, validityDays: 1 });
      w.records.set(issued.record.keyHash, issued.record);
      const deps = { ...w.deps, cacheTtlSeconds };
      const event = w.event({ 'X-API-Key': issued.plaintext });
      w.clock.advance(24 * HOUR_MS - marginMs - 1);
      expect((await authorizePartner(event, deps)).context.orgId).toBe('acme');
      w.clock.advance(1);
      await expect(authorizePartner(event, deps)).rejects.toThrow('Unauthorized');
    },
  );

  it('allows a foreign API only its own stage: the policy names the API and stage the request came to', async () => {
    const w = world();
    const issued = issueKey({ orgId: 'acme', clock: w.clock });
    w.records.set(issued.record.keyHash, issued.record);
    const foreign = {
      ...w.event({ 'X-Api-Key': issued.plaintext }),
      methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:data9api/v1/GET/v1/locks',
    };
    const result = await authorizePartner(foreign, w.deps);
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:eu-west-1:123456789012:data9api/v1/*/*',
      },
    ]);
  });

  it('builds the stage wildcard from any method ARN', () => {
    expect(stageWildcard('arn:aws:execute-api:r:1:api/dev/GET/partner-auth-probe')).toBe(
      'arn:aws:execute-api:r:1:api/dev/*/*',
    );
  });
});
