/**
 * The partner API's use of the org bucket, unit-tested with stand-ins (the
 * bucket itself runs against DynamoDB Local in
 * test/integ/org-rate-limit.integ.test.ts and over HTTP in
 * test/local/rate-limit.integ.test.ts): a refusal stops the call before the
 * route; a bucket that cannot be written admits the call
 * and logs only ids; public routes are not counted.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { FakeClock } from '../../lambda/core/clock';
import type { RateDecision } from '../../lambda/core/rate-limit';
import { type PartnerApiDependencies, createPartnerApi } from '../../lambda/partner-api/partner-handlers';
import type { OrgRateLimiter } from '../../lambda/repositories/org-rate-limit';
import { proxyEvent } from './api-harness';

const KEY_HASH = 'a'.repeat(64);
const CALLER = {
  orgId: 'acme-corp',
  keyId: 'key-1',
  keyPrefix: 'AbCdEfGh',
  keyHash: KEY_HASH,
  status: 'active',
  expiresAt: '',
};

function partnerEvent(path: string, authorized = true): APIGatewayProxyEvent {
  const event = proxyEvent('GET', path, {});
  return authorized ? { ...event, requestContext: { ...event.requestContext, authorizer: CALLER } } : event;
}

function world(take: OrgRateLimiter['take']) {
  const keys = { getByHash: jest.fn(async () => undefined) };
  const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const rateLimit = { take: jest.fn(take) };
  const api = createPartnerApi({
    tenants: {},
    keys,
    webhooks: {},
    urlPolicy: { allowHttp: false },
    clock: new FakeClock(),
    logger,
    rateLimit,
  } as unknown as PartnerApiDependencies);
  return { api, keys, logger, rateLimit };
}

const refused: RateDecision = { allowed: false, retryAfterMicros: 1_500_000, retryAfterSeconds: 2 };

describe('the partner API and its org bucket', () => {
  it('over the limit: 429 rate_limited with Retry-After, and the route does not run', async () => {
    const { api, keys, rateLimit } = world(async () => refused);
    const response = await api(partnerEvent('/partner-auth-probe'));
    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'retry-after': '2' });
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'rate_limited', message: 'Too many requests for this organization; retry after 2 s' },
    });
    expect(rateLimit.take).toHaveBeenCalledWith('acme-corp');
    expect(keys.getByHash).not.toHaveBeenCalled();
  });

  it('a bucket that cannot be written admits the call and logs ids only', async () => {
    const { api, keys, logger } = world(async () => {
      throw Object.assign(new Error(`throttled writing ${KEY_HASH}`), {
        name: 'ProvisionedThroughputExceededException',
      });
    });
    const response = await api(partnerEvent('/partner-auth-probe'));
    // The route ran: its key re-read found nothing, so 401 (not 429).
    expect(response.statusCode).toBe(401);
    expect(keys.getByHash).toHaveBeenCalledWith(KEY_HASH);
    expect(logger.warn).toHaveBeenCalledWith('rate limit not checked', {
      orgId: 'acme-corp',
      keyId: 'key-1',
      error: 'ProvisionedThroughputExceededException',
    });
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(KEY_HASH);
  });

  it('the public event catalog carries no org and is never counted', async () => {
    const { api, rateLimit } = world(async () => refused);
    const response = await api(partnerEvent('/v1/partner/event-types', false));
    expect(response.statusCode).toBe(200);
    expect(rateLimit.take).not.toHaveBeenCalled();
  });
});
