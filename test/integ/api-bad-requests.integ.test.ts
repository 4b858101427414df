/**
 * Bad requests, route by route, through the real handlers and authorizer
 * against DynamoDB Local: each gives its documented status and error code
 * in the `{error: {code, message}}` shape, and changes no data (every table
 * and the secret store are read before and after).
 */
import { type ApiResponse, type ApiWorld, ADMIN_API_KEY, createApiWorld } from '../api/api-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import { createPlatformTables, deletePlatformTables, type PlatformTableNames } from '../support/platform-tables';

let ddb: IntegDynamoDb;
let tables: PlatformTableNames;
let world: ApiWorld;
/** Set up once: two partners, each with a key and a webhook. */
const fixture = { alphaKey: '', alphaKeyId: '', betaKeyId: '', alphaWebhook: '', betaWebhook: '' };

beforeAll(async () => {
  ddb = await connectToDynamoDbLocal();
  tables = await createPlatformTables(ddb.client, 'apibad');
  world = await createApiWorld(ddb, tables);
  for (const orgId of ['alpha', 'beta']) {
    const registered = await world.callAdmin('POST', `/tenants/${orgId}/register`, {
      body: { orgName: orgId, ownerEmail: `owner@${orgId}.example` },
    });
    expect(registered.status).toBe(201);
  }
  const alphaKey = await world.callAdmin('POST', '/api-keys', { body: { orgId: 'alpha', orgName: 'alpha' } });
  const betaKey = await world.callAdmin('POST', '/api-keys', { body: { orgId: 'beta', orgName: 'beta' } });
  fixture.alphaKey = alphaKey.body.apiKey;
  fixture.alphaKeyId = alphaKey.body.id;
  fixture.betaKeyId = betaKey.body.id;
  const hook = (orgId: string) =>
    world.callAdmin('POST', `/tenants/${orgId}/webhooks`, {
      body: { url: `https://${orgId}.example/hook`, events: ['*'] },
    });
  fixture.alphaWebhook = (await hook('alpha')).body.aggregateId;
  fixture.betaWebhook = (await hook('beta')).body.aggregateId;
});

afterAll(async () => {
  if (ddb === undefined) return;
  await deletePlatformTables(ddb.client, tables);
  await ddb.close();
});

interface BadRequest {
  readonly name: string;
  readonly call: () => Promise<ApiResponse>;
  readonly status: number;
  readonly code: string;
}

const admin =
  (method: string, path: string, body?: unknown, headers?: () => Promise<Record<string, string>>) => async () =>
    world.callAdmin(method, path, { body, ...(headers === undefined ? {} : { headers: await headers() }) });
const partner = (method: string, path: string, body?: unknown, key?: () => string) => () =>
  world.callPartner(method, path, key === undefined ? fixture.alphaKey : key(), { body });
const withToken = (options: Parameters<ApiWorld['token']>[0]) => async () => ({
  'X-Admin-API-Key': ADMIN_API_KEY,
  Authorization: `Bearer ${await world.token(options)}`,
});
const register = { orgName: 'Gamma', ownerEmail: 'owner@gamma.example' };

const cases: BadRequest[] = [
  // Admin authentication, on a route that would otherwise create a tenant.
  {
    name: 'register without any auth',
    call: admin('POST', '/tenants/gamma/register', register, async () => ({})),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'register with the admin key but no JWT',
    call: admin('POST', '/tenants/gamma/register', register, async () => ({ 'X-Admin-API-Key': ADMIN_API_KEY })),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'register with a JWT but no admin key',
    call: admin('POST', '/tenants/gamma/register', register, async () => ({
      Authorization: `Bearer ${await world.token()}`,
    })),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'register with a wrong admin key',
    call: admin('POST', '/tenants/gamma/register', register, async () => ({
      ...(await world.adminHeaders()),
      'X-Admin-API-Key': 'wrong',
    })),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'register with an email outside the admin domain',
    call: admin('POST', '/tenants/gamma/register', register, withToken({ email: 'mallory@evil.example' })),
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'register with a look-alike admin domain',
    call: admin('POST', '/tenants/gamma/register', register, withToken({ email: 'mallory@notexample.com' })),
    status: 403,
    code: 'forbidden',
  },
  // Admin identity (issue 13): the email verified and parsed, the token fresh.
  ...(
    [
      ['an unverified email', { emailVerified: false }],
      ['no email_verified claim', { emailVerified: null }],
      ['email_verified as the string "true"', { emailVerified: 'true' }],
      ['two @ (attacker@evil.com@example.com)', { email: 'attacker@evil.com@example.com' }],
      ['a quoted local part', { email: '"mallory@evil.example"@example.com' }],
      ['an escaped local part', { email: 'mallory\\@example.com' }],
      ['a subdomain of the admin domain that is not listed', { email: 'mallory@evil.example.com' }],
      ['the admin domain as a suffix of another label', { email: 'mallory@evilexample.com' }],
      ['an empty local part', { email: '@example.com' }],
    ] as const
  ).map(([label, options]): BadRequest => ({
    name: `register with a JWT with ${label}`,
    call: admin('POST', '/tenants/gamma/register', register, withToken(options)),
    status: 403,
    code: 'forbidden',
  })),
  ...(
    [
      ['an exp 100 years ahead', { expiresInSeconds: 100 * 365 * 24 * 3600 }],
      ['an exp 13 h after iat', { expiresInSeconds: 13 * 3600 }],
      ['an iat 13 h ago', { issuedSecondsAgo: 13 * 3600 }],
      ['an iat in the future', { issuedSecondsAgo: -3600 }],
      ['an auth_time 13 h ago', { authSecondsAgo: 13 * 3600 }],
    ] as const
  ).map(([label, options]): BadRequest => ({
    name: `register with a JWT with ${label}`,
    call: admin('POST', '/tenants/gamma/register', register, withToken(options)),
    status: 401,
    code: 'unauthorized',
  })),
  {
    name: 'register with an expired JWT',
    call: admin('POST', '/tenants/gamma/register', register, withToken({ expiresInSeconds: -60 })),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'register with a JWT from another issuer',
    call: admin('POST', '/tenants/gamma/register', register, withToken({ issuer: 'https://other.example/' })),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'register with a JWT for another audience',
    call: admin('POST', '/tenants/gamma/register', register, withToken({ audience: 'someone-else' })),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'delete a webhook without auth',
    call: admin('DELETE', '/tenants/alpha/webhooks/x', undefined, async () => ({})),
    status: 401,
    code: 'unauthorized',
  },
  // Admin input.
  {
    name: 'register with bad JSON',
    call: admin('POST', '/tenants/gamma/register', '{"orgName": '),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'register with an unknown field',
    call: admin('POST', '/tenants/gamma/register', { ...register, plan: 'gold' }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'register with a wrong type',
    call: admin('POST', '/tenants/gamma/register', { ...register, orgName: 5 }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'register with a bad email',
    call: admin('POST', '/tenants/gamma/register', { ...register, ownerEmail: 'nope' }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'register with a bad orgId',
    call: admin('POST', '/tenants/Not_Valid/register', register),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'register twice',
    call: admin('POST', '/tenants/alpha/register', { orgName: 'alpha', ownerEmail: 'owner@alpha.example' }),
    status: 409,
    code: 'conflict',
  },
  { name: 'list tenants with limit 0', call: admin('GET', '/tenants?limit=0'), status: 400, code: 'validation_error' },
  {
    name: 'list tenants with an unknown query parameter',
    call: admin('GET', '/tenants?sort=name'),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'issue a key for an unregistered org',
    call: admin('POST', '/api-keys', { orgId: 'gamma', orgName: 'Gamma' }),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'issue a second active key',
    call: admin('POST', '/api-keys', { orgId: 'alpha', orgName: 'alpha' }),
    status: 409,
    code: 'key_limit_reached',
  },
  {
    name: 'issue a key with a bad expiresAt',
    call: admin('POST', '/api-keys', { orgId: 'alpha', orgName: 'alpha', expiresAt: 'tomorrow' }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'issue a key with an unknown field',
    call: admin('POST', '/api-keys', { orgId: 'alpha', orgName: 'alpha', scope: 'all' }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'create a webhook with an http URL',
    call: admin('POST', '/tenants/alpha/webhooks', { url: 'http://alpha.example/h', events: ['*'] }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'create a webhook to a private address',
    call: admin('POST', '/tenants/alpha/webhooks', { url: 'https://10.0.0.1/h', events: ['*'] }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'create a webhook with no events',
    call: admin('POST', '/tenants/alpha/webhooks', { url: 'https://alpha.example/h', events: [] }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'create a webhook with "*" and more',
    call: admin('POST', '/tenants/alpha/webhooks', { url: 'https://alpha.example/h', events: ['*', 'a'] }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'create a webhook with an event type the catalog does not hold',
    call: admin('POST', '/tenants/alpha/webhooks', { url: 'https://alpha.example/h', events: ['order.created'] }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'change a webhook to an event type the catalog does not hold',
    call: async () =>
      world.callAdmin('PUT', `/tenants/alpha/webhooks/${fixture.alphaWebhook}`, {
        body: { events: ['LockCreated', 'LockExploded'], secret: 'a-new-secret-that-must-not-be-stored' },
      }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'create a webhook with a short secret',
    call: admin('POST', '/tenants/alpha/webhooks', { url: 'https://alpha.example/h', events: ['*'], secret: 'short' }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'create a webhook for an unregistered org',
    call: admin('POST', '/tenants/gamma/webhooks', { url: 'https://gamma.example/h', events: ['*'] }),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'list webhooks with a negative offset',
    call: admin('GET', '/tenants/alpha/webhooks?offset=-1'),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'update a webhook with nothing to change',
    call: async () => world.callAdmin('PUT', `/tenants/alpha/webhooks/${fixture.alphaWebhook}`, { body: {} }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'update a webhook with a wrong type',
    call: async () =>
      world.callAdmin('PUT', `/tenants/alpha/webhooks/${fixture.alphaWebhook}`, { body: { events: 'all' } }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'update a webhook secret together with a refused URL',
    call: async () =>
      world.callAdmin('PUT', `/tenants/alpha/webhooks/${fixture.alphaWebhook}`, {
        body: { url: 'http://alpha.example/plain', secret: 'a-new-secret-that-must-not-be-stored' },
      }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: "update another org's webhook under this org",
    call: async () =>
      world.callAdmin('PUT', `/tenants/alpha/webhooks/${fixture.betaWebhook}`, { body: { events: ['LockCreated'] } }),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'delete an unknown webhook',
    call: admin('DELETE', '/tenants/alpha/webhooks/wh_unknown'),
    status: 404,
    code: 'not_found',
  },
  { name: 'an unknown route', call: admin('GET', '/nothing-here'), status: 404, code: 'not_found' },
  {
    name: 'a method the route does not have',
    call: admin('PATCH', '/tenants'),
    status: 405,
    code: 'method_not_allowed',
  },
  // Partner authentication.
  {
    name: 'probe without a key',
    call: () => world.callPartner('GET', '/partner-auth-probe', undefined),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'probe with a malformed key',
    call: partner('GET', '/partner-auth-probe', undefined, () => 'not-a-key'),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'probe with an unknown key',
    call: partner('GET', '/partner-auth-probe', undefined, () => 'A'.repeat(40)),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'rotate with an unknown key',
    call: partner('POST', '/v1/partner/credentials/x/rotate', { graceHours: 24 }, () => 'B'.repeat(40)),
    status: 401,
    code: 'unauthorized',
  },
  // Partner input and isolation.
  {
    name: "change another partner's webhook",
    call: async () =>
      world.callPartner('PATCH', `/webhooks/${fixture.betaWebhook}`, fixture.alphaKey, {
        body: { url: 'https://evil.example/h' },
      }),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'change a webhook with an unknown field',
    call: async () =>
      world.callPartner('PATCH', `/webhooks/${fixture.alphaWebhook}`, fixture.alphaKey, {
        body: { url: 'https://alpha.example/2', events: ['*'] },
      }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'change a webhook with bad JSON',
    call: async () =>
      world.callPartner('PATCH', `/webhooks/${fixture.alphaWebhook}`, fixture.alphaKey, { body: '{url:' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'change a webhook URL of the wrong type',
    call: async () =>
      world.callPartner('PATCH', `/webhooks/${fixture.alphaWebhook}`, fixture.alphaKey, { body: { url: 42 } }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'change a webhook to a metadata address',
    call: async () =>
      world.callPartner('PATCH', `/webhooks/${fixture.alphaWebhook}`, fixture.alphaKey, {
        body: { url: 'https://169.254.169.254/latest' },
      }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'rotate with a grace the product does not offer',
    call: async () =>
      world.callPartner('POST', `/v1/partner/credentials/${fixture.alphaKeyId}/rotate`, fixture.alphaKey, {
        body: { graceHours: 12 },
      }),
    status: 400,
    code: 'validation_error',
  },
  {
    name: "rotate another partner's key",
    call: async () =>
      world.callPartner('POST', `/v1/partner/credentials/${fixture.betaKeyId}/rotate`, fixture.alphaKey, {
        body: { graceHours: 24 },
      }),
    status: 404,
    code: 'not_found',
  },
  {
    name: "revoke another partner's key",
    call: async () =>
      world.callPartner('POST', `/v1/partner/credentials/${fixture.betaKeyId}/revoke`, fixture.alphaKey),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'create a credential while one is active',
    call: partner('POST', '/v1/partner/credentials'),
    status: 409,
    code: 'key_limit_reached',
  },
  {
    name: 'create a credential with an unknown field',
    call: partner('POST', '/v1/partner/credentials', { scope: 'all' }),
    status: 400,
    code: 'validation_error',
  },
];

describe('bad requests', () => {
  it.each(cases)('$name -> $status $code, and no data changes', async ({ call, status, code }) => {
    const before = await world.snapshot();
    const response = await call();
    expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
    expect(Object.keys(response.body)).toEqual(['error']);
    expect(Object.keys(response.body.error).sort()).toEqual(['code', 'message']);
    expect(response.body.error.message).not.toMatch(/\.ts:\d|\n\s+at /);
    expect(JSON.stringify(response.body)).not.toContain(fixture.alphaKey);
    expect(await world.snapshot()).toEqual(before);
  });
});
