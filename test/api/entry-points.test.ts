/**
 * The authorizer and partner API entry points check their environment on
 * the first invocation and name the missing variable. (The admin API entry
 * point imports jose, which jest cannot load on Node 20; its wiring is
 * covered by the template test and the integration tests of createAdminApi.)
 */
const NAMES = [
  'TENANTS_TABLE',
  'API_KEYS_TABLE',
  'WEBHOOKS_TABLE',
  'ALLOW_HTTP_WEBHOOKS',
  'PARTNER_RATE_LIMIT_PER_SECOND',
  'PARTNER_RATE_LIMIT_BURST',
];
const saved: Record<string, string | undefined> = {};

beforeEach(() => {
  jest.resetModules();
  for (const name of NAMES) saved[name] = process.env[name];
});

afterEach(() => {
  for (const name of NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('API entry points', () => {
  it('the authorizer names the missing table variable', async () => {
    process.env.TENANTS_TABLE = 't';
    delete process.env.API_KEYS_TABLE;
    const { handler } = await import('../../lambda/authorizer/index');
    const event = { type: 'REQUEST', methodArn: 'arn:x/dev/GET/p', headers: { 'X-API-Key': 'A'.repeat(40) } };
    await expect(handler(event as never)).rejects.toThrow('API_KEYS_TABLE is not set');
  });

  it('the partner API names the missing table variable', async () => {
    process.env.TENANTS_TABLE = 't';
    process.env.API_KEYS_TABLE = 'k';
    delete process.env.WEBHOOKS_TABLE;
    const { handler } = await import('../../lambda/partner-api/index');
    await expect(handler({ httpMethod: 'GET', path: '/partner-auth-probe' } as never)).rejects.toThrow(
      'WEBHOOKS_TABLE is not set',
    );
  });

  it('the partner API names a missing or malformed per-partner limit', async () => {
    Object.assign(process.env, { TENANTS_TABLE: 't', API_KEYS_TABLE: 'k', WEBHOOKS_TABLE: 'w' });
    process.env.PARTNER_RATE_LIMIT_PER_SECOND = 'fast';
    delete process.env.PARTNER_RATE_LIMIT_BURST;
    const { handler } = await import('../../lambda/partner-api/index');
    const failure = handler({ httpMethod: 'GET', path: '/partner-auth-probe' } as never);
    await expect(failure).rejects.toThrow('PARTNER_RATE_LIMIT_PER_SECOND must be a number');
    await expect(failure).rejects.toThrow('PARTNER_RATE_LIMIT_BURST is not set');
  });
});
