/**
 * The Lambda entry point's cold start: the environment is validated when the
 * module loads, with a message naming each bad variable.
 */
import { EnvironmentError } from '../../lambda/shared/env';
import { readVerificationEnvironment } from '../../lambda/verification/environment';
import { QUIET_SDK_ENV } from '../../scripts/preload';

const VALID = { WEBHOOKS_TABLE: 'partner-platform-prod-webhooks', ENVIRONMENT_NAME: 'prod' } as const;

/** Loads lambda/verification/index.ts afresh with exactly `env` (and the SDK warning kept off) as process.env. */
function loadWith(env: Record<string, string>): unknown {
  const saved = process.env;
  process.env = { ...QUIET_SDK_ENV, ...env };
  try {
    let loaded: unknown;
    jest.isolateModules(() => {
      loaded = require('../../lambda/verification/index');
    });
    return loaded;
  } finally {
    process.env = saved;
  }
}

function loadError(env: Record<string, string>): Error | undefined {
  try {
    loadWith(env);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('verification handler environment', () => {
  it('loads with WEBHOOKS_TABLE and ENVIRONMENT_NAME, http off by default', () => {
    expect(readVerificationEnvironment(VALID)).toEqual({ ...VALID, ALLOW_HTTP_WEBHOOKS: false });
    expect(readVerificationEnvironment({ ...VALID, ENVIRONMENT_NAME: 'dev', ALLOW_HTTP_WEBHOOKS: 'true' })).toEqual({
      WEBHOOKS_TABLE: VALID.WEBHOOKS_TABLE,
      ENVIRONMENT_NAME: 'dev',
      ALLOW_HTTP_WEBHOOKS: true,
    });
  });

  it.each([
    [{ ENVIRONMENT_NAME: 'prod' }, 'WEBHOOKS_TABLE is not set'],
    [{ ...VALID, WEBHOOKS_TABLE: ' ' }, 'WEBHOOKS_TABLE is empty'],
    [{ WEBHOOKS_TABLE: 't' }, 'ENVIRONMENT_NAME must be one of dev, stage, nonprod, prod'],
    [{ ...VALID, ENVIRONMENT_NAME: 'local' }, 'ENVIRONMENT_NAME must be one of dev, stage, nonprod, prod'],
    [{ ...VALID, ALLOW_HTTP_WEBHOOKS: 'true' }, 'ALLOW_HTTP_WEBHOOKS may be true in dev only'],
    [{ ...VALID, ALLOW_HTTP_WEBHOOKS: 'yes' }, 'ALLOW_HTTP_WEBHOOKS must be true or false'],
  ])('refuses %j at cold start: %s', (env, message) => {
    const error = loadError(env);

    // isolateModules loads a fresh copy of lambda/shared/env, so the class is compared by name.
    expect(error?.name).toBe(EnvironmentError.name);
    expect(error?.message).toContain(message);
  });

  it('a valid environment loads the handler, which rejects a malformed event before any AWS call', async () => {
    const loaded = loadWith({ ...VALID, AWS_REGION: 'eu-west-1' }) as { handler: (event: unknown) => Promise<unknown> };

    await expect(loaded.handler({ unexpected: true })).rejects.toThrow(
      'expected {"action":"sweep"} or {"orgId":"...","webhookId":"..."}',
    );
  });
});
