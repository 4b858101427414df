/**
 * Drives the admin and partner APIs as API Gateway would: proxy events built
 * from the route table, the partner REQUEST authorizer run first and its
 * context passed on (a refusal becomes the gateway's JSON 401), against
 * DynamoDB Local, an in-memory Secrets Manager, a FakeClock and a local JWKS.
 */
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type * as Jose from 'jose';
import { FakeClock, HOUR_MS } from '../../lambda/core/clock';
import { createAdminApi, type AdminApi } from '../../lambda/admin-api/admin-handlers';
import { compilePath } from '../../lambda/api/router';
import { routes } from '../../lambda/api/routes';
import { authorizePartner } from '../../lambda/authorizer/partner-authorizer';
import { createPartnerApi, type PartnerApi } from '../../lambda/partner-api/partner-handlers';
import { ApiKeysRepository } from '../../lambda/repositories/api-keys-repository';
import { TenantsRepository } from '../../lambda/repositories/tenants-repository';
import { WebhooksRepository } from '../../lambda/repositories/webhooks-repository';
import { InMemorySecretStore } from '../../lambda/shared/secret-store';
import { loadEsm } from '../../local/esm';
import type { IntegDynamoDb } from '../support/integ-dynamodb';
import { type PlatformTableNames, scanPlatformTables } from '../support/platform-tables';

/** jose is ESM-only; see loadEsm for why it is not a plain import. */
export const jose = loadEsm<typeof Jose>('jose');

export const ISSUER = 'https://idp.example.com/';
export const AUDIENCE = 'partner-platform-admin';
export const ADMIN_DOMAIN = 'example.com';
export const ADMIN_API_KEY = 'admin-key-for-tests-0123456789abcdef';
const KID = 'test-key-1';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/partner-auth-probe';

/** The caller address every harness request comes from, as API Gateway would state it. */
export const TEST_SOURCE_IP = '198.51.100.7';

export interface ApiResponse {
  readonly status: number;
  readonly body: any;
}

export interface ApiWorld {
  readonly clock: FakeClock;
  readonly secrets: InMemorySecretStore;
  readonly keys: ApiKeysRepository;
  readonly webhooks: WebhooksRepository;
  readonly tenants: TenantsRepository;
  readonly admin: AdminApi;
  readonly partner: PartnerApi;
  /** An admin JWT signed by the test issuer; override claims or lifetime to break it. */
  token(options?: {
    email?: string;
    expiresInSeconds?: number;
    issuer?: string;
    audience?: string;
    /** @default true; `null` leaves the claim out. */
    emailVerified?: unknown;
    /** Seconds before now the token was issued. @default 0 */
    issuedSecondsAgo?: number;
    /** Seconds before now the admin signed in (`auth_time`). @default absent */
    authSecondsAgo?: number;
  }): Promise<string>;
  /** Headers of a valid admin call. */
  adminHeaders(): Promise<Record<string, string>>;
  callAdmin(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  callPartner(method: string, path: string, apiKey: string | undefined, options?: CallOptions): Promise<ApiResponse>;
  /** The authorizer's answer for a key now, as API Gateway caches it (throws for a refused key). */
  authorizerContext(apiKey: string): Promise<Record<string, unknown>>;
  /** A partner call served from a cached authorizer answer: the gateway does not look the key up again. */
  callPartnerCached(
    method: string,
    path: string,
    cached: { readonly apiKey: string; readonly context: Record<string, unknown> },
    options?: CallOptions,
  ): Promise<ApiResponse>;
  /** Every item of the three tables (a test-only scan), for before/after comparisons. */
  snapshot(): Promise<unknown>;
}

export interface CallOptions {
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is (for bad JSON). */
  readonly body?: unknown;
}

export interface ApiWorldOptions {
  /** The environment's key policy limit. @default 1 */
  readonly maxActivePerEnvironment?: number;
}

export async function createApiWorld(
  ddb: IntegDynamoDb,
  tables: PlatformTableNames,
  options: ApiWorldOptions = {},
): Promise<ApiWorld> {
  const clock = new FakeClock('2026-01-01T00:00:00.000Z');
  const secrets = new InMemorySecretStore();
  await secrets.createSecret({ name: 'admin-api-key', value: ADMIN_API_KEY });
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: KID, alg: 'ES256' };
  const keySet = jose.createLocalJWKSet({ keys: [jwk] });

  const { tenants, keys, webhooks, activity } = repositoriesFor(ddb.doc, tables, clock, options);
  const urlPolicy = { allowHttp: false };

  const admin = createAdminApi(
    { tenants, keys, webhooks, activity, secrets, webhookSecretPrefix: 'pp/test/webhooks/', urlPolicy, clock },
    {
      adminApiKey: async () => (await secrets.getSecretValue('admin-api-key'))!.value,
      keySet,
      verify: jose.jwtVerify,
      issuer: ISSUER,
      audience: AUDIENCE,
      adminEmailDomain: ADMIN_DOMAIN,
      now: () => clock.now(),
    },
  );
  const partner = createPartnerApi({ tenants, keys, webhooks, activity, urlPolicy, clock });

  const token: ApiWorld['token'] = async (options = {}) => {
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    const verified = options.emailVerified === undefined ? true : options.emailVerified;
    const issuedAt = nowSeconds - (options.issuedSecondsAgo ?? 0);
    return new jose.SignJWT({
      email: options.email ?? `ops@${ADMIN_DOMAIN}`,
      ...(verified === null ? {} : { email_verified: verified }),
      ...(options.authSecondsAgo === undefined ? {} : { auth_time: nowSeconds - options.authSecondsAgo }),
    })
      .setProtectedHeader({ alg: 'ES256', kid: KID })
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setSubject('admin-1')
      .setIssuedAt(issuedAt)
      .setExpirationTime(nowSeconds + (options.expiresInSeconds ?? HOUR_MS / 1000))
      .sign(privateKey);
  };
  const adminHeaders = async () => ({
    'X-Admin-API-Key': ADMIN_API_KEY,
    Authorization: `Bearer ${await token()}`,
  });

  const callAdmin: ApiWorld['callAdmin'] = async (method, path, options = {}) => {
    const headers = options.headers ?? (await adminHeaders());
    return parse(await admin(proxyEvent(method, path, headers, options.body)));
  };

  const authorize = async (headers: Record<string, string>) => {
    const authorizerEvent = {
      type: 'REQUEST',
      methodArn: METHOD_ARN,
      headers,
    } as unknown as APIGatewayRequestAuthorizerEvent;
    return (await authorizePartner(authorizerEvent, { keys, clock })).context as Record<string, unknown>;
  };
  const callWithContext = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    context: Record<string, unknown>,
    body: unknown,
  ) => {
    const event = proxyEvent(method, path, headers, body);
    return parse(await partner({ ...event, requestContext: { ...event.requestContext, authorizer: context } }));
  };

  const callPartner: ApiWorld['callPartner'] = async (method, path, apiKey, options = {}) => {
    const headers = { ...(apiKey === undefined ? {} : { 'X-API-Key': apiKey }), ...options.headers };
    let context: Record<string, unknown>;
    try {
      context = await authorize(headers);
    } catch (error) {
      if ((error as Error).message !== 'Unauthorized') throw error;
      // The gateway response for UNAUTHORIZED (lib/platform-api.ts).
      return { status: 401, body: { error: { code: 'unauthorized', message: 'Unauthorized' } } };
    }
    return callWithContext(method, path, headers, context, options.body);
  };
  const authorizerContext: ApiWorld['authorizerContext'] = (apiKey) => authorize({ 'X-API-Key': apiKey });
  const callPartnerCached: ApiWorld['callPartnerCached'] = (method, path, cached, options = {}) =>
    callWithContext(method, path, { 'X-API-Key': cached.apiKey, ...options.headers }, cached.context, options.body);

  // Usage counters record every authorized call by design; they are not "data" a refusal may not change.
  const snapshot = async () => ({
    tables: await scanPlatformTables(ddb.doc, tables, ['lastUsedAt', 'usageDay', 'usageCount']),
    secrets: secrets.names().sort(),
    secretValues: secrets.allValues().sort(),
  });

  return {
    clock,
    secrets,
    keys,
    webhooks,
    tenants,
    admin,
    partner,
    token,
    adminHeaders,
    callAdmin,
    callPartner,
    authorizerContext,
    callPartnerCached,
    snapshot,
  };
}

const compiled = Object.values(routes).map((route) => ({ route, ...compilePath(route.path) }));

/** An API Gateway proxy event as the REST API sends it, with resource and path parameters filled in. */
export function proxyEvent(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): APIGatewayProxyEvent {
  const [pathOnly, queryString] = path.split('?');
  const hit = compiled.find((entry) => entry.route.method === method && entry.pattern.test(pathOnly));
  const values = hit?.pattern.exec(pathOnly);
  const pathParameters =
    hit === undefined || values == null
      ? null
      : Object.fromEntries(hit.names.map((name, index) => [name, values[index + 1]]));
  const query = queryString === undefined ? null : Object.fromEntries(new URLSearchParams(queryString));
  return {
    httpMethod: method,
    path: pathOnly,
    resource: hit?.route.path ?? pathOnly,
    pathParameters: pathParameters && Object.keys(pathParameters).length > 0 ? pathParameters : null,
    queryStringParameters: query,
    multiValueQueryStringParameters: null,
    headers,
    multiValueHeaders: {},
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: 'test',
      stage: 'dev',
      identity: { sourceIp: TEST_SOURCE_IP },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

function parse(result: { statusCode: number; body: string }): ApiResponse {
  return { status: result.statusCode, body: JSON.parse(result.body) };
}
