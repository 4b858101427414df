/**
 * The whole platform on one machine, driven by a synthesized cloud assembly
 * (`cdk.out`): DynamoDB Local with the platform template's tables, every
 * partner onboarded by the real onboarding handler from its
 * `Custom::PartnerOnboarding` resource, the REST API served by
 * {@link LocalApiGateway} from the template's methods and authorizer, an
 * EventBridge endpoint delivering by the templates' rules, and the
 * verification handler sweeping pending webhooks every few seconds.
 *
 * Everything listens on 127.0.0.1. Secrets live in an in-memory Secrets
 * Manager; with a data directory, DynamoDB's tables and the generated
 * secrets (webhook secrets, admin API key, signing key) are kept there, so a
 * restart sees the same tenants and keys.
 *
 * Local-only relaxations, never present in a deployable environment:
 * webhook URLs may be plain http and loopback (receivers on 127.0.0.1), and
 * `urlOverrides` points configured partner URLs at local receivers.
 */
import { randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import type * as Jose from 'jose';
import { createAdminApi } from '../lambda/admin-api/admin-handlers';
import { authorizePartner } from '../lambda/authorizer/partner-authorizer';
import { type Clock, systemClock } from '../lambda/core/clock';
import type { UrlPolicyOptions } from '../lambda/core/url-policy';
import { pickupSecretName } from '../lambda/onboarding/initial-key';
import { handleOnboardingEvent } from '../lambda/onboarding/onboarding-handler';
import { createPartnerApi } from '../lambda/partner-api/partner-handlers';
import { type PlatformTableNames, repositoriesFor } from '../lambda/repositories/platform-repositories';
import { InMemorySecretStore } from '../lambda/shared/secret-store';
import {
  type CfnResourceJson,
  type CloudAssemblyView,
  readCloudAssembly,
  referencedResource,
  resourcesOfType,
  type StackArtifact,
} from './cloud-assembly';
import { LocalApiGateway, loadApiModel } from './api-gateway';
import { type DynamoDbLocal, localDynamoClients, startDynamoDbLocal } from './dynamodb-local';
import { loadEsm } from './esm';
import { type DeliveryReport, LocalEventBus } from './event-bus';
import { EventBridgeServer } from './eventbridge-server';
import { startHttpServer } from './http-server';
import { createLocalVerifier } from './local-verifier';
import { freePort, listenOnLoopback } from './loopback';
import { startLocalIssuer } from './oidc-issuer';
import { startLocalPortal } from './portal-server';
import { createTablesFromTemplate } from './tables-from-template';

/** A problem the user fixes (missing cdk.out, port in use, no Java): one line, no stack. */
export class LocalRuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalRuntimeError';
  }
}

export interface LocalRuntimeOptions {
  /** The synthesized cloud assembly. @default cdk.out */
  readonly assemblyDir?: string;
  /** Keep tables and generated secrets here across restarts. @default in memory */
  readonly dataDir?: string;
  /** The API's port; the EventBridge endpoint takes the next one. 0 picks free ports. @default 4000 */
  readonly port?: number;
  /** Configured webhook URL -> local URL. */
  readonly urlOverrides?: Readonly<Record<string, string>>;
  /** How often pending webhooks are verified. @default 2000 */
  readonly verificationIntervalMs?: number;
  /** EventBridge retry backoff, shortened in tests. @default 1000 */
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  readonly onDelivery?: (report: DeliveryReport) => void;
  /**
   * Also serve the partner portal (port N+2) with a local OIDC issuer (N+3)
   * and a test user. @default false
   */
  readonly portal?: boolean;
  /** Handler log level (Powertools). @default WARN */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly clock?: Clock;
}

export interface OnboardedPartner {
  readonly orgId: string;
  readonly orgName: string;
  readonly ownerEmail: string;
  readonly keyId: string;
  /** The initial key, present only on the start that issued it (never again). */
  readonly initialApiKey?: string;
  readonly webhooks: ReadonlyArray<{ readonly id: string; readonly url: string; readonly events: readonly string[] }>;
}

export interface AdminCredentials {
  readonly apiKey: string;
  /** A bearer token for `admin@<admin domain>`, valid for 12 hours from the runtime clock's now. */
  token(): Promise<string>;
  readonly email: string;
}

export interface LocalPortalEndpoints {
  readonly url: string;
  readonly issuerUrl: string;
  /** Sign in with this email at the local issuer (any password). */
  readonly testUserEmail: string;
}

export interface LocalRuntime {
  readonly apiUrl: string;
  /** Present when started with `portal: true`. */
  readonly portal?: LocalPortalEndpoints;
  readonly eventBridgeUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly platformBusName: string;
  readonly partners: readonly OnboardedPartner[];
  readonly admin: AdminCredentials;
  /** Where the admin API stores webhook secrets it generates (from the template). */
  readonly webhookSecretPrefix: string;
  readonly tables: PlatformTableNames;
  readonly doc: DynamoDBDocumentClient;
  readonly client: DynamoDBClient;
  readonly secrets: InMemorySecretStore;
  readonly bus: LocalEventBus;
  readonly gateway: LocalApiGateway;
  readonly urlPolicy: UrlPolicyOptions;
  readonly clock: Clock;
  /** Verifies every due pending webhook now (the runtime also does it on an interval). */
  verifyPendingWebhooks(): Promise<void>;
  /** Stops the servers, the sweep and DynamoDB Local. Safe to call twice. */
  stop(): Promise<void>;
}

const SECRETS_FILE = 'secrets.json';
const ADMIN_API_KEY_SECRET = 'local/admin-api-key';
const ADMIN_SIGNING_KEY_SECRET = 'local/admin-signing-key';
const ADMIN_KID = 'local-admin';
const ADMIN_TOKEN_HOURS = 12;
const PORTAL_CLIENT_ID = 'partner-portal-local';
const PORTAL_TEST_USER = 'partner@example.com';
const LOCAL_ARN_PREFIX = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:';

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const basePort = options.port ?? 4000;
  // Before anything slow starts: a taken port is the commonest reason a start fails.
  if (basePort !== 0) {
    await assertPortFree(basePort, 'the API');
    await assertPortFree(basePort + 1, 'the EventBridge endpoint');
    if (options.portal === true) {
      await assertPortFree(basePort + 2, 'the partner portal');
      await assertPortFree(basePort + 3, 'the local OIDC issuer');
    }
  }

  const assemblyDir = path.resolve(options.assemblyDir ?? 'cdk.out');
  const assembly = readAssembly(assemblyDir);
  const platform = platformStackOf(assembly);

  const clock = options.clock ?? systemClock;
  const logLevel = options.logLevel ?? 'WARN';
  const logger = (serviceName: string) => new Logger({ serviceName, logLevel });
  const urlPolicy: UrlPolicyOptions = { allowHttp: true, allowLoopback: true };

  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const persisted = new PersistedSecrets(options.dataDir);
    const secrets = new InMemorySecretStore(LOCAL_ARN_PREFIX);
    for (const [name, value] of Object.entries(persisted.values)) await secrets.createSecret({ name, value });

    // Webhook secrets: CloudFormation generates them at deploy; here, once per data directory.
    const webhookSecrets: Record<string, string> = {};
    for (const stack of assembly.stacks) {
      for (const [logicalId, secret] of resourcesOfType(stack.template, 'AWS::SecretsManager::Secret')) {
        const name = secret.Properties?.Name;
        if (typeof name !== 'string') continue;
        webhookSecrets[name] = await secretOrCreate(secrets, name, () =>
          generatedSecret(secret.Properties?.GenerateSecretString, `${stack.stackName}/${logicalId}`),
        );
      }
    }

    const dynamo = await startDynamoDb(options.dataDir);
    cleanups.push(() => dynamo.stop());
    const { client, doc } = localDynamoClients(dynamo.endpoint);
    cleanups.push(async () => client.destroy());
    const created = await createTablesFromTemplate(client, platform.template, {
      nameFor: (logicalId, properties) =>
        typeof properties.TableName === 'string' ? properties.TableName : `${platform.stackName}-${logicalId}`,
      reuseExisting: true,
    });
    const tables = platformTableNames(platform, created);
    const repositories = repositoriesFor(doc, tables, clock);

    // Onboarding, exactly as the custom resources would run it at deploy.
    const onboardingEnv = functionEnvironment(platform, 'onboarding');
    const pickupSecretPrefix = String(onboardingEnv.PICKUP_SECRET_PREFIX ?? 'partner-platform/local/pickup/');
    const partners: OnboardedPartner[] = [];
    const onboardingLogger = logger('onboarding');
    for (const { stack, logicalId, resource } of onboardingResources(assembly)) {
      const properties = resolveProperties(assembly, stack, resource.Properties ?? {}, secrets);
      const orgId = String(properties.orgId);
      const pickupName = pickupSecretName(pickupSecretPrefix, orgId);
      const hadPickup = (await secrets.getSecretValue(pickupName)) !== undefined;
      const event: CloudFormationCustomResourceCreateEvent = {
        RequestType: 'Create',
        ServiceToken: 'local',
        ResponseURL: 'http://127.0.0.1/unused',
        StackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${stack.stackName}/local`,
        RequestId: `local-${orgId}`,
        LogicalResourceId: logicalId,
        ResourceType: resource.Type,
        ResourceProperties: { ServiceToken: 'local', ...properties },
      };
      let response;
      try {
        response = await handleOnboardingEvent(event, {
          ...repositories,
          secrets,
          clock,
          logger: onboardingLogger,
          pickupSecretPrefix,
          urlPolicy,
        });
      } catch (error) {
        throw new LocalRuntimeError(`onboarding ${orgId} failed: ${(error as Error).message}`, { cause: error });
      }
      const pickup = hadPickup ? undefined : (await secrets.getSecretValue(pickupName))?.value;
      const webhooks = (properties.webhooks as Array<{ id: string; url: string; events: string[] }>).map(
        ({ id, url, events }) => ({ id, url, events }),
      );
      partners.push({
        orgId,
        orgName: String(properties.orgName),
        ownerEmail: String(properties.ownerEmail),
        keyId: response.Data?.ActiveKeyId ?? '',
        ...(pickup === undefined ? {} : { initialApiKey: (JSON.parse(pickup) as { apiKey: string }).apiKey }),
        webhooks,
      });
    }

    // The admin API's credentials: an API key and a signing key standing in for the identity provider.
    const jose = loadEsm<typeof Jose>('jose');
    const adminEnv = functionEnvironment(platform, 'admin-api');
    const adminApiKey = await secretOrCreate(secrets, ADMIN_API_KEY_SECRET, () => randomAlphanumeric(40));
    const signingJwk = JSON.parse(
      await secretOrCreate(secrets, ADMIN_SIGNING_KEY_SECRET, async () => {
        const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
        return JSON.stringify(await jose.exportJWK(privateKey));
      }),
    ) as Jose.JWK;
    const { d: _private, ...publicJwk } = signingJwk;
    const issuer = String(adminEnv.ADMIN_JWT_ISSUER ?? 'https://local.invalid/');
    const audience = String(adminEnv.ADMIN_JWT_AUDIENCE ?? 'partner-platform-admin-local');
    const adminDomain = String(adminEnv.ADMIN_EMAIL_DOMAIN ?? 'example.com');
    const adminEmail = `admin@${adminDomain}`;
    const signingKey = await jose.importJWK(signingJwk, 'ES256');
    const adminToken = () => {
      const nowSeconds = Math.floor(clock.now().getTime() / 1000);
      return new jose.SignJWT({ email: adminEmail })
        .setProtectedHeader({ alg: 'ES256', kid: ADMIN_KID })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject('local-admin')
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + ADMIN_TOKEN_HOURS * 3600)
        .sign(signingKey);
    };
    persisted.save({
      ...webhookSecrets,
      [ADMIN_API_KEY_SECRET]: adminApiKey,
      [ADMIN_SIGNING_KEY_SECRET]: JSON.stringify(signingJwk),
    });

    const webhookSecretPrefix = String(adminEnv.WEBHOOK_SECRET_PREFIX ?? 'partner-platform/local/webhooks/');
    const admin = createAdminApi(
      { ...repositories, secrets, webhookSecretPrefix, urlPolicy, clock, logger: logger('admin-api') },
      {
        adminApiKey: async () => adminApiKey,
        keySet: jose.createLocalJWKSet({ keys: [{ ...publicJwk, kid: ADMIN_KID, alg: 'ES256' }] }),
        verify: jose.jwtVerify,
        issuer,
        audience,
        adminEmailDomain: adminDomain,
        now: () => clock.now(),
      },
    );
    const partnerApi = createPartnerApi({ ...repositories, urlPolicy, clock, logger: logger('partner-api') });
    const gateway = new LocalApiGateway({
      model: loadApiModel(assembly),
      functions: { 'admin-api': admin, 'partner-api': partnerApi },
      authorizers: { 'partner-authorizer': (event) => authorizePartner(event, { keys: repositories.keys, clock }) },
      now: () => clock.now().getTime(),
    });

    const api = await listen('the API', basePort, () =>
      startHttpServer(basePort, (request) => gateway.handle(request)),
    );
    cleanups.push(() => api.stop());

    const bus = new LocalEventBus({
      assembly,
      secrets: webhookSecrets,
      urlOverrides: options.urlOverrides ?? {},
      ...(options.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: options.retryBaseDelayMs }),
      ...(options.retryMaxDelayMs === undefined ? {} : { retryMaxDelayMs: options.retryMaxDelayMs }),
      ...(options.onDelivery === undefined ? {} : { onDelivery: options.onDelivery }),
    });
    const eventBridge = new EventBridgeServer(bus);
    const eventBridgePort = basePort === 0 ? 0 : basePort + 1;
    await listen('the EventBridge endpoint', eventBridgePort, () => eventBridge.start({ port: eventBridgePort }));
    cleanups.push(async () => {
      await eventBridge.stop();
      await bus.whenIdle();
    });

    // Pending webhooks are verified as the scheduled sweep does, through the local URL overrides.
    const verificationLogger = logger('webhook-verification');
    const verifier = createLocalVerifier({
      webhooks: repositories.webhooks,
      secrets,
      clock,
      logger: verificationLogger,
      ...(options.urlOverrides === undefined ? {} : { urlOverrides: options.urlOverrides }),
    });
    let sweeping: Promise<void> | undefined;
    const verifyPendingWebhooks = () => {
      sweeping ??= verifier
        .sweep()
        .then(() => undefined)
        .catch((error) => verificationLogger.error('verification sweep failed', { error: String(error) }))
        .finally(() => (sweeping = undefined));
      return sweeping;
    };
    await verifyPendingWebhooks();
    const timer = setInterval(() => void verifyPendingWebhooks(), options.verificationIntervalMs ?? 2000);
    timer.unref();
    cleanups.push(async () => {
      clearInterval(timer);
      await sweeping;
      await verifier.close();
    });

    let portal: LocalPortalEndpoints | undefined;
    if (options.portal === true) {
      const portalPort = basePort === 0 ? await freePort() : basePort + 2;
      const issuerPort = basePort === 0 ? await freePort() : basePort + 3;
      const portalUrl = `http://127.0.0.1:${portalPort}`;
      const clientSecret = randomAlphanumeric(40);
      const issuer = await listen('the local OIDC issuer', issuerPort, () =>
        startLocalIssuer({
          port: issuerPort,
          clients: [{ clientId: PORTAL_CLIENT_ID, clientSecret, redirectUris: [`${portalUrl}/callback`] }],
          users: [{ sub: 'local-partner', email: PORTAL_TEST_USER, name: 'Local Partner' }],
        }),
      );
      cleanups.push(() => issuer.stop());
      const started = await listen('the partner portal', portalPort, () =>
        startLocalPortal({
          doc,
          tables,
          issuerUrl: issuer.url,
          clientId: PORTAL_CLIENT_ID,
          clientSecret,
          sessionSecret: randomAlphanumeric(48),
          port: portalPort,
          urlPolicy,
          clock,
          secrets,
          webhookSecretPrefix,
        }),
      );
      cleanups.push(() => started.stop());
      portal = { url: started.url, issuerUrl: issuer.url, testUserEmail: PORTAL_TEST_USER };
    }

    partners.sort((a, b) => a.orgId.localeCompare(b.orgId));
    let stopped: Promise<void> | undefined;
    return {
      apiUrl: api.url,
      ...(portal === undefined ? {} : { portal }),
      eventBridgeUrl: eventBridge.url,
      dynamoDbEndpoint: dynamo.endpoint,
      platformBusName: bus.model.platformBus,
      partners,
      admin: { apiKey: adminApiKey, token: adminToken, email: adminEmail },
      webhookSecretPrefix,
      tables,
      doc,
      client,
      secrets,
      bus,
      gateway,
      urlPolicy,
      clock,
      verifyPendingWebhooks,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The webhooks the synthesized partners declare (for demo receivers), without starting anything. */
export function declaredWebhooks(
  assemblyDir = 'cdk.out',
): Array<{ orgId: string; id: string; url: string; events: string[] }> {
  return onboardingResources(readAssembly(path.resolve(assemblyDir))).flatMap(({ resource }) => {
    const props = resource.Properties ?? {};
    const webhooks = (Array.isArray(props.webhooks) ? props.webhooks : []) as Array<Record<string, unknown>>;
    return webhooks.map((webhook) => ({
      orgId: String(props.orgId),
      id: String(webhook.id),
      url: String(webhook.url),
      events: (webhook.events as string[]).map(String),
    }));
  });
}

function readAssembly(dir: string): CloudAssemblyView {
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    throw new LocalRuntimeError(`no synthesized app in ${dir}: run \`npm run synth\` first (or pass --assembly DIR)`);
  }
  return readCloudAssembly(dir);
}

function platformStackOf(assembly: CloudAssemblyView): StackArtifact {
  const stack = assembly.stacks.find(
    (candidate) => resourcesOfType(candidate.template, 'AWS::ApiGateway::RestApi').length > 0,
  );
  if (stack === undefined) throw new LocalRuntimeError(`${assembly.dir} has no platform stack (no REST API)`);
  return stack;
}

async function startDynamoDb(dataDir: string | undefined): Promise<DynamoDbLocal> {
  try {
    return await startDynamoDbLocal(dataDir === undefined ? {} : { dataDir: path.join(dataDir, 'dynamodb') });
  } catch (error) {
    throw new LocalRuntimeError((error as Error).message.split('\n')[0], { cause: error });
  }
}

async function listen<T>(what: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LocalRuntimeError(
        `port ${port} (${what}) is in use on 127.0.0.1: stop what holds it, or pass --port N to use N and N+1`,
        { cause: error },
      );
    }
    throw error;
  }
}

async function assertPortFree(port: number, what: string): Promise<void> {
  const probe = await listen(what, port, () => listenOnLoopback(createServer(), port));
  await probe.stop();
}

/** A function's environment variables, by the service name Powertools logs under. */
function functionEnvironment(stack: StackArtifact, service: string): Record<string, unknown> {
  const fn = resourcesOfType(stack.template, 'AWS::Lambda::Function').find(
    ([, resource]) => resource.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );
  return fn?.[1].Properties?.Environment?.Variables ?? {};
}

/** Table names from the onboarding function's TENANTS_TABLE / API_KEYS_TABLE / WEBHOOKS_TABLE refs. */
function platformTableNames(stack: StackArtifact, created: Record<string, string>): PlatformTableNames {
  const env = functionEnvironment(stack, 'onboarding');
  const pick = (variable: string): string => {
    const ref = (env[variable] as { Ref?: string } | undefined)?.Ref;
    const name = ref === undefined ? undefined : created[ref];
    if (name === undefined) throw new LocalRuntimeError(`the onboarding function's ${variable} names no table`);
    return name;
  };
  return { tenants: pick('TENANTS_TABLE'), apiKeys: pick('API_KEYS_TABLE'), webhooks: pick('WEBHOOKS_TABLE') };
}

function onboardingResources(
  assembly: CloudAssemblyView,
): Array<{ stack: StackArtifact; logicalId: string; resource: CfnResourceJson }> {
  return assembly.stacks.flatMap((stack) =>
    resourcesOfType(stack.template, 'Custom::PartnerOnboarding').map(([logicalId, resource]) => ({
      stack,
      logicalId,
      resource,
    })),
  );
}

/** The custom resource's properties with `Ref`s to secrets replaced by their local ARNs. */
function resolveProperties(
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  properties: Record<string, unknown>,
  secrets: InMemorySecretStore,
): Record<string, any> {
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const referenced = referencedResource(assembly, stack, value);
    if (referenced !== undefined) {
      const name = referenced.resource.Properties?.Name;
      const arn = typeof name === 'string' ? secrets.arnOf(name) : undefined;
      if (arn === undefined) throw new LocalRuntimeError(`cannot resolve ${JSON.stringify(value)} locally`);
      return arn;
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
  };
  const { ServiceToken: _token, ...rest } = properties;
  return resolve(rest) as Record<string, any>;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlphanumeric(length: number): string {
  return Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
}

/** A value like the one `GenerateSecretString` would make (alphanumeric; length as configured). */
function generatedSecret(spec: unknown, where: string): string {
  const settings = (spec ?? {}) as {
    PasswordLength?: number;
    SecretStringTemplate?: string;
    GenerateStringKey?: string;
  };
  const value = randomAlphanumeric(Number(settings.PasswordLength ?? 32));
  if (settings.SecretStringTemplate === undefined) return value;
  if (settings.GenerateStringKey === undefined) throw new LocalRuntimeError(`${where}: template without a key`);
  return JSON.stringify({ ...JSON.parse(settings.SecretStringTemplate), [settings.GenerateStringKey]: value });
}

async function secretOrCreate(
  secrets: InMemorySecretStore,
  name: string,
  make: () => string | Promise<string>,
): Promise<string> {
  const existing = await secrets.getSecretValue(name);
  if (existing !== undefined) return existing.value;
  const value = await make();
  await secrets.createSecret({ name, value });
  return value;
}

/**
 * The generated secrets of a data directory (mode 0600). Pickup secrets,
 * which hold plaintext keys, are never written: a key is shown on the start
 * that issued it and nowhere after.
 */
class PersistedSecrets {
  readonly values: Record<string, string>;
  private readonly file: string | undefined;

  constructor(dataDir: string | undefined) {
    this.file = dataDir === undefined ? undefined : path.join(path.resolve(dataDir), SECRETS_FILE);
    this.values =
      this.file !== undefined && existsSync(this.file)
        ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>)
        : {};
  }

  save(values: Readonly<Record<string, string>>): void {
    if (this.file === undefined) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }
}
