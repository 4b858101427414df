/**
 * The portal's whole local composition for integration tests: DynamoDB
 * Local tables, the local OIDC issuer with a test user, the portal over real
 * HTTP, a webhook receiver on 127.0.0.1, the real verification handler (run
 * on demand) and the partner probe behind the real authorizer.
 */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { systemClock } from '../../lambda/core/clock';
import { authorizePartner } from '../../lambda/authorizer/partner-authorizer';
import { createPartnerApi } from '../../lambda/partner-api/partner-handlers';
import { type PlatformRepositories, repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { InMemorySecretStore } from '../../lambda/shared/secret-store';
import { startLocalIssuer } from '../../local/oidc-issuer';
import { createLocalVerifier } from '../../local/local-verifier';
import { freePort } from '../../local/loopback';
import { LOCAL_WEBHOOK_URL_POLICY, startLocalPortal } from '../../local/portal-server';
import { proxyEvent } from '../api/api-harness';
import { connectToDynamoDbLocal, type IntegDynamoDb } from '../support/integ-dynamodb';
import {
  createPlatformTables,
  deletePlatformTables,
  type PlatformTableNames,
  scanPlatformTables,
} from '../support/platform-tables';
import { type Receiver, startReceiver } from '../verification/receiver';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime';
import { type PartnerFileInput, loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

export const TEST_USER = { sub: 'dana', email: 'dana@partner.example', name: 'Dana Partner' };
/** Users whose ID token states email_verified false, or leaves it out. */
export const UNVERIFIED_USERS = [
  { sub: 'unverified', email: 'dana@partner.example', emailVerified: false },
  { sub: 'unstated', email: 'dana@partner.example', emailVerified: 'absent' },
] as const;
export const CLIENT_ID = 'partner-portal-local';
const CLIENT_SECRET = 'local-client-secret-0123456789abcdef';
const SESSION_SECRET = 'local-session-secret-0123456789abcdef-xyz';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/local/GET/partner-auth-probe';

export interface PortalWorld {
  readonly portalUrl: string;
  readonly issuerUrl: string;
  readonly receiver: Receiver;
  readonly repositories: PlatformRepositories;
  readonly secrets: InMemorySecretStore;
  /** One verification sweep over the due webhooks, as the schedule runs it. */
  verifyWebhooks(): Promise<unknown>;
  /** GET /partner-auth-probe with the key, through the REQUEST authorizer: the status and body. */
  callProbe(apiKey: string): Promise<{ status: number; body: unknown }>;
  /** Every item of the three tables, for before/after comparisons. */
  snapshot(): Promise<unknown>;
  close(): Promise<void>;
}

export async function startPortalWorld(label: string): Promise<PortalWorld> {
  const ddb: IntegDynamoDb = await connectToDynamoDbLocal();
  const tables: PlatformTableNames = await createPlatformTables(ddb.client, label);
  const clock = systemClock;
  const secrets = new InMemorySecretStore();
  const repositories = repositoriesFor(ddb.doc, tables, clock);
  const portalPort = await freePort();
  const issuer = await startLocalIssuer({
    clients: [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUris: [`http://127.0.0.1:${portalPort}/callback`],
      },
    ],
    users: [TEST_USER, ...UNVERIFIED_USERS],
  });
  const portal = await startLocalPortal({
    doc: ddb.doc,
    tables,
    issuerUrl: issuer.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    sessionSecret: SESSION_SECRET,
    port: portalPort,
    secrets,
    clock,
  });
  const receiver = await startReceiver();
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  // Portal webhooks have no API destination; nothing to repoint.
  const verifier = createLocalVerifier({
    webhooks: repositories.webhooks,
    secrets,
    clock,
    logger: quiet,
    timeoutMs: 2_000,
  });
  const partner = createPartnerApi({ ...repositories, urlPolicy: LOCAL_WEBHOOK_URL_POLICY, clock });

  return {
    portalUrl: portal.url,
    issuerUrl: issuer.url,
    receiver,
    repositories,
    secrets,
    verifyWebhooks: () => verifier.sweep(),
    callProbe: async (apiKey) => {
      const headers = { 'X-API-Key': apiKey };
      let context: Record<string, unknown>;
      try {
        const authorizerEvent = { type: 'REQUEST', methodArn: METHOD_ARN, headers };
        context = (
          await authorizePartner(authorizerEvent as unknown as APIGatewayRequestAuthorizerEvent, {
            keys: repositories.keys,
            clock,
          })
        ).context;
      } catch (error) {
        if ((error as Error).message !== 'Unauthorized') throw error;
        return { status: 401, body: { message: 'Unauthorized' } };
      }
      const event = proxyEvent('GET', '/partner-auth-probe', headers);
      const result = await partner({ ...event, requestContext: { ...event.requestContext, authorizer: context } });
      return { status: result.statusCode, body: JSON.parse(result.body) as unknown };
    },
    snapshot: async () => ({ tables: await scanPlatformTables(ddb.doc, tables), secrets: secrets.names().sort() }),
    close: async () => {
      await verifier.close();
      await Promise.allSettled([receiver.close(), portal.stop(), issuer.stop()]);
      await deletePlatformTables(ddb.client, tables);
      await ddb.close();
    },
  };
}

/**
 * The same world served by `npm run local` itself: a synthesized workspace
 * with one partner, `startLocalRuntime({ portal: true })` (its own DynamoDB
 * Local, issuer, portal and API), and the partner probe over real HTTP
 * through the local API Gateway built from the template.
 */
export async function startRuntimePortalWorld(
  /**
   * Runtime settings a test changes (a small `testEventsPerMinute`, shorter
   * retry backoff, local receivers for partner files' URLs), what it merges
   * into `config/dev.yaml` (e.g. fewer delivery retries), and more partner
   * files beside `config-partner`.
   */
  options: Pick<
    LocalRuntimeOptions,
    'testEventsPerMinute' | 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'urlOverrides'
  > & {
    readonly environmentOverrides?: Record<string, unknown>;
    readonly partners?: readonly PartnerFileInput[];
  } = {},
): Promise<PortalWorld & { readonly testUser: string; readonly runtime: LocalRuntime }> {
  const { environmentOverrides, partners = [], ...runtimeOptions } = options;
  const workspace = workspaceWithPartners([{ orgId: 'config-partner' }, ...partners], { environmentOverrides });
  const { outdir } = synthesize(loadWorkspace(workspace));
  const runtime = await startLocalRuntime({
    assemblyDir: outdir,
    port: 0,
    portal: true,
    // The test sweeps when it wants to, as the schedule would.
    verificationIntervalMs: 3_600_000,
    ...runtimeOptions,
  });
  const receiver = await startReceiver();
  const repositories = repositoriesFor(runtime.doc, runtime.tables, runtime.clock);
  return {
    runtime,
    portalUrl: runtime.portal!.url,
    issuerUrl: runtime.portal!.issuerUrl,
    testUser: runtime.portal!.testUserEmail,
    receiver,
    repositories,
    secrets: runtime.secrets,
    verifyWebhooks: () => runtime.verifyPendingWebhooks(),
    callProbe: async (apiKey) => {
      // API Gateway caches the authorizer's answer for 30 s; the test checks each key state at once.
      runtime.gateway.flushAuthorizerCache();
      const response = await fetch(`${runtime.apiUrl}/partner-auth-probe`, { headers: { 'X-API-Key': apiKey } });
      return { status: response.status, body: (await response.json()) as unknown };
    },
    snapshot: async () => ({
      tables: await scanPlatformTables(runtime.doc, runtime.tables),
      secrets: runtime.secrets.names().sort(),
    }),
    close: async () => {
      await Promise.allSettled([receiver.close(), runtime.stop()]);
    },
  };
}
