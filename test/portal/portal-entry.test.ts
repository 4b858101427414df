/**
 * The portal's Lambda entry point with a Lambda Function URL event: its
 * environment contract, the secrets read from Secrets Manager (mocked), and
 * the base URL: PORTAL_BASE_URL or the Function URL Lambda names in the
 * event, never the Host header.
 * jose and openid-client are ESM-only, so jest gets the real modules through
 * loadEsm instead of its own registry.
 */
import type * as SecretsManager from '@aws-sdk/client-secrets-manager';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';

jest.mock('jose', () => jest.requireActual('../../local/esm').loadEsm('jose'));
jest.mock('openid-client', () => jest.requireActual('../../local/esm').loadEsm('openid-client'));

const ENV = {
  TENANTS_TABLE: 't',
  API_KEYS_TABLE: 'k',
  WEBHOOKS_TABLE: 'w',
  PORTAL_ISSUER_URL: 'https://idp.example.com',
  PORTAL_CLIENT_ID: 'portal',
  PORTAL_CLIENT_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:1:secret:portal-client',
  PORTAL_SESSION_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:1:secret:portal-session',
  PORTAL_BASE_URL_SOURCE: 'function-url',
  AWS_REGION: 'us-east-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
const saved: Record<string, string | undefined> = {};

type Stub = AwsStub<
  SecretsManager.ServiceInputTypes,
  SecretsManager.ServiceOutputTypes,
  SecretsManager.SecretsManagerClientResolvedConfig
>;
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * A fresh entry module (its secret cache starts empty) with the Secrets
 * Manager client of that same module registry mocked.
 */
function loadEntry(): {
  handler: Handler;
  secretsManager: Stub;
  GetSecretValueCommand: typeof SecretsManager.GetSecretValueCommand;
} {
  let loaded: ReturnType<typeof loadEntry> | undefined;
  jest.isolateModules(() => {
    const sdk = jest.requireActual<typeof SecretsManager>('@aws-sdk/client-secrets-manager');
    const secretsManager = mockClient(sdk.SecretsManagerClient);
    const { handler } = jest.requireActual<{ handler: Handler }>('../../lambda/portal/index');
    loaded = { handler, secretsManager, GetSecretValueCommand: sdk.GetSecretValueCommand };
  });
  return loaded!;
}

beforeEach(() => {
  for (const [name, value] of Object.entries(ENV)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterEach(() => {
  for (const name of Object.keys(ENV)) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

function functionUrlEvent(path: string) {
  return {
    version: '2.0',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.lambda-url.us-east-1.on.aws' },
    requestContext: {
      domainName: 'abc123.lambda-url.us-east-1.on.aws',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
    },
    isBase64Encoded: false,
  };
}

interface Result {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Both secrets readable, the session secret long enough. */
function holdSecrets(secretsManager: Stub, command: typeof SecretsManager.GetSecretValueCommand): void {
  secretsManager
    .on(command, { SecretId: ENV.PORTAL_CLIENT_SECRET_ID })
    .resolves({ SecretString: 'client-secret-value', VersionId: 'v1' })
    .on(command, { SecretId: ENV.PORTAL_SESSION_SECRET_ID })
    .resolves({ SecretString: 'a-session-secret-of-at-least-32-characters', VersionId: 'v1' });
}

async function invoke(handler: Handler, path: string): Promise<Result> {
  return (await handler(functionUrlEvent(path), {})) as Result;
}

describe('portal Lambda entry point', () => {
  it('reads both secrets, and without PORTAL_BASE_URL serves the Function URL Lambda names over https', async () => {
    const { handler, secretsManager, GetSecretValueCommand } = loadEntry();
    holdSecrets(secretsManager, GetSecretValueCommand);
    const response = await invoke(handler, '/');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login');
    expect(response.headers['strict-transport-security']).toContain('max-age=');
    expect(response.headers['content-security-policy']).toContain("form-action 'self' https://idp.example.com");
    await invoke(handler, '/healthz');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('a session secret that is too short fails with a page naming it, never its value', async () => {
    const { handler, secretsManager, GetSecretValueCommand } = loadEntry();
    secretsManager
      .on(GetSecretValueCommand, { SecretId: ENV.PORTAL_CLIENT_SECRET_ID })
      .resolves({ SecretString: 'client-secret-value', VersionId: 'v1' })
      .on(GetSecretValueCommand, { SecretId: ENV.PORTAL_SESSION_SECRET_ID })
      .resolves({ SecretString: 'short-secret', VersionId: 'v1' });
    const response = await invoke(handler, '/dashboard');
    expect(response.statusCode).toBe(500);
    expect(response.body).toContain('<code>PORTAL_SESSION_SECRET</code> must be at least 32 characters');
    expect(response.body).not.toContain('short-secret');
  });

  it('with neither PORTAL_BASE_URL nor PORTAL_BASE_URL_SOURCE every request fails naming PORTAL_BASE_URL, whatever the Host', async () => {
    const { handler, secretsManager, GetSecretValueCommand } = loadEntry();
    holdSecrets(secretsManager, GetSecretValueCommand);
    delete process.env.PORTAL_BASE_URL_SOURCE;
    const response = await invoke(handler, '/login');
    expect(response.statusCode).toBe(500);
    expect(response.headers.location).toBeUndefined();
    expect(response.body).toContain('<code>PORTAL_BASE_URL</code> is not set');
  });

  it('an unreadable secret and a missing variable are both named', async () => {
    const { handler, secretsManager, GetSecretValueCommand } = loadEntry();
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    delete process.env.WEBHOOKS_TABLE;
    const response = await invoke(handler, '/dashboard');
    expect(response.statusCode).toBe(500);
    expect(response.body).toContain('<code>PORTAL_CLIENT_SECRET</code> could not be read');
    expect(response.body).toContain('<code>WEBHOOKS_TABLE</code> is not set');
  });
});
