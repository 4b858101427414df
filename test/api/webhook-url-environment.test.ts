/**
 * Every entry point that accepts or calls webhook URLs refuses
 * ALLOW_HTTP_WEBHOOKS=true outside dev on its first invocation, as the
 * verification handler does, so a template that sets it by mistake fails
 * loudly instead of accepting plain http:// URLs in stage, nonprod or prod.
 */
import { adminApiEnvironment } from '../../lambda/admin-api/environment';
import { ENVIRONMENT_NAMES } from '../../lambda/core/contracts';
import { onboardingEnvironment } from '../../lambda/onboarding/index';
import { partnerApiEnvironment } from '../../lambda/partner-api/index';
import { readEnv } from '../../lambda/shared/env';

const TABLES = { TENANTS_TABLE: 't', API_KEYS_TABLE: 'k', WEBHOOKS_TABLE: 'w' };
const PARTNER = { ...TABLES, PARTNER_RATE_LIMIT_PER_SECOND: '10', PARTNER_RATE_LIMIT_BURST: '20' };
const ADMIN = {
  ...TABLES,
  WEBHOOK_SECRET_PREFIX: 'pp/prod/webhooks/',
  ADMIN_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:admin',
  ADMIN_JWT_ISSUER: 'https://issuer.example',
  ADMIN_JWT_AUDIENCE: 'admin',
  ADMIN_JWKS_URI: 'https://issuer.example/jwks',
  ADMIN_EMAIL_DOMAIN: 'example.com',
};

// One element type: the three schemas differ in their other variables (the failed-deliveries ones among them).
const SCHEMAS: ReadonlyArray<readonly [string, Parameters<typeof readEnv>[0], Record<string, string>]> = [
  ['admin API', adminApiEnvironment, ADMIN],
  ['partner API', partnerApiEnvironment, PARTNER],
  ['onboarding', onboardingEnvironment, { ...TABLES, PICKUP_SECRET_PREFIX: 'pp/prod/pickup/' }],
];
const NOT_DEV = ENVIRONMENT_NAMES.filter((name) => name !== 'dev');

describe.each(SCHEMAS)('the %s environment', (_name, schema, base) => {
  it.each(NOT_DEV)('refuses ALLOW_HTTP_WEBHOOKS=true in %s, naming the variable', (environment) => {
    expect(() => readEnv(schema, { ...base, ENVIRONMENT_NAME: environment, ALLOW_HTTP_WEBHOOKS: 'true' })).toThrow(
      'ALLOW_HTTP_WEBHOOKS may be true in dev only',
    );
  });

  it.each(ENVIRONMENT_NAMES)('accepts ALLOW_HTTP_WEBHOOKS=false (and unset) in %s', (environment) => {
    expect(readEnv(schema, { ...base, ENVIRONMENT_NAME: environment, ALLOW_HTTP_WEBHOOKS: 'false' })).toEqual(
      expect.objectContaining({ ENVIRONMENT_NAME: environment, ALLOW_HTTP_WEBHOOKS: false }),
    );
    expect(readEnv(schema, { ...base, ENVIRONMENT_NAME: environment })).toEqual(
      expect.objectContaining({ ALLOW_HTTP_WEBHOOKS: false }),
    );
  });

  it('accepts ALLOW_HTTP_WEBHOOKS=true in dev', () => {
    expect(readEnv(schema, { ...base, ENVIRONMENT_NAME: 'dev', ALLOW_HTTP_WEBHOOKS: 'true' })).toEqual(
      expect.objectContaining({ ALLOW_HTTP_WEBHOOKS: true }),
    );
  });

  it('requires ENVIRONMENT_NAME, so the flag cannot be checked against nothing', () => {
    expect(() => readEnv(schema, { ...base, ALLOW_HTTP_WEBHOOKS: 'true' })).toThrow(
      'ENVIRONMENT_NAME must be one of dev, stage, nonprod, prod',
    );
  });
});

describe('the partner API entry point', () => {
  const NAMES = [...Object.keys(PARTNER), 'ENVIRONMENT_NAME', 'ALLOW_HTTP_WEBHOOKS'];
  const saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));

  afterEach(() => {
    for (const name of NAMES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('fails its first invocation in prod when the template allows plain http:// webhooks', async () => {
    Object.assign(process.env, PARTNER, { ENVIRONMENT_NAME: 'prod', ALLOW_HTTP_WEBHOOKS: 'true' });
    jest.resetModules();
    const { handler } = await import('../../lambda/partner-api/index');
    await expect(handler({ httpMethod: 'GET', path: '/partner-auth-probe' } as never)).rejects.toThrow(
      'ALLOW_HTTP_WEBHOOKS may be true in dev only',
    );
  });
});
