/**
 * The partner portal on 127.0.0.1 for the local runtime and tests: the same
 * `createPortalApp` the Lambda serves, over @hono/node-server, against
 * DynamoDB Local and a local OIDC issuer. Webhook URLs follow the explicit
 * local-only rules (http and loopback allowed) unless told otherwise; no
 * deployable environment ever gets them. Mail goes to the mail catcher,
 * served on the same server at `/_mail`.
 */
import type { Server } from 'node:http';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAdaptorServer } from '@hono/node-server';
import type * as Jose from 'jose';
import type * as OpenIdClient from 'openid-client';
import type { Clock } from '../lambda/core/clock';
import type { UrlPolicyOptions } from '../lambda/core/url-policy';
import { type PortalDependencies, type PortalLogger, createPortalApp } from '../lambda/portal/app';
import { openIdClientFactory } from '../lambda/portal/oidc';
import { KEY_POLICY_ENV, type PlatformTableNames } from '../lambda/repositories/platform-repositories';
import { PLATFORM_BUS_ENV } from '../lambda/shared/event-publisher';
import type { FailureReplayPort } from '../lambda/shared/failure-replay';
import { InMemorySecretStore, type SecretStore } from '../lambda/shared/secret-store';
import { TEST_EVENTS_PER_MINUTE_ENV } from '../lambda/portal/test-event-limit';
import { loadEsm } from './esm';
import { listenOnLoopback } from './loopback';
import { MAIL_CATCHER_PATH, MailCatcher } from './mail-catcher';

/** Webhook URLs on this laptop: plain http and 127.0.0.1 receivers. Local only. */
export const LOCAL_WEBHOOK_URL_POLICY: UrlPolicyOptions = { allowHttp: true, allowLoopback: true };

export interface LocalPortalOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: PlatformTableNames;
  readonly issuerUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** At least 32 characters. */
  readonly sessionSecret: string;
  /** @default a free port */
  readonly port?: number;
  /** The environment's key policy limit (live keys per org and environment), as the platform's functions have it. @default 1 */
  readonly maxActiveKeysPerEnvironment?: number;
  /** @default {@link LOCAL_WEBHOOK_URL_POLICY} */
  readonly urlPolicy?: UrlPolicyOptions;
  readonly clock?: Clock;
  /**
   * Where webhook secrets are created; share it with the local verifier so
   * it can sign challenges. @default a new InMemorySecretStore
   */
  readonly secrets?: SecretStore;
  /** @default "local/webhooks/" */
  readonly webhookSecretPrefix?: string;
  readonly logger?: PortalLogger;
  /** The local gateway's authorizer cache flush, run after a rotation. @default none */
  readonly flushAuthorizerCache?: () => Promise<void>;
  /**
   * Where "Send test event" publishes: the local EventBridge endpoint's
   * client and the platform bus name (from the portal function's
   * environment in the template). @default no test events
   */
  readonly testEvents?: {
    readonly eventBridge: EventBridgeClient;
    readonly platformBusName: string;
    /** @default the portal's default (10 a minute per org) */
    readonly perMinute?: number;
  };
  /** Lists and replays failed deliveries (the runtime's DLQ consumer's). @default the page says none are recorded */
  readonly failureReplay?: FailureReplayPort;
  /** Catches the portal's mail (invitations) and serves it at `/_mail`. @default a new MailCatcher */
  readonly mailCatcher?: MailCatcher;
  /** Per-key usage for the "View usage" page. @default that page answers 500 */
  readonly usage?: PortalDependencies['usage'];
  /** The partner API's per-org limit, shown with usage. @default not shown */
  readonly partnerRateLimit?: PortalDependencies['partnerRateLimit'];
}

export interface LocalPortal {
  /** `http://127.0.0.1:<port>`: the portal's base URL, and its redirect URI plus `/callback`. */
  readonly url: string;
  /** The mail catcher's page, `<url>/_mail`. */
  readonly mailUrl: string;
  readonly mailCatcher: MailCatcher;
  stop(): Promise<void>;
}

export async function startLocalPortal(options: LocalPortalOptions): Promise<LocalPortal> {
  const jose = loadEsm<typeof Jose>('jose');
  const openid = loadEsm<typeof OpenIdClient>('openid-client');
  let baseUrl = '';
  const mailCatcher = options.mailCatcher ?? new MailCatcher();
  const app = createPortalApp({
    settings: () => ({
      values: {
        PORTAL_ISSUER_URL: options.issuerUrl,
        PORTAL_CLIENT_ID: options.clientId,
        PORTAL_CLIENT_SECRET: options.clientSecret,
        PORTAL_SESSION_SECRET: options.sessionSecret,
        PORTAL_BASE_URL: baseUrl,
        TENANTS_TABLE: options.tables.tenants,
        API_KEYS_TABLE: options.tables.apiKeys,
        WEBHOOKS_TABLE: options.tables.webhooks,
        [KEY_POLICY_ENV]:
          options.maxActiveKeysPerEnvironment === undefined ? undefined : String(options.maxActiveKeysPerEnvironment),
        WEBHOOK_SECRET_PREFIX: options.webhookSecretPrefix ?? 'local/webhooks/',
        [PLATFORM_BUS_ENV]: options.testEvents?.platformBusName,
        [TEST_EVENTS_PER_MINUTE_ENV]:
          options.testEvents?.perMinute === undefined ? undefined : String(options.testEvents.perMinute),
      },
    }),
    doc: options.doc,
    oidc: openIdClientFactory(openid),
    jose,
    secrets: options.secrets ?? new InMemorySecretStore(),
    urlPolicy: options.urlPolicy ?? LOCAL_WEBHOOK_URL_POLICY,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.flushAuthorizerCache === undefined ? {} : { flushAuthorizerCache: options.flushAuthorizerCache }),
    ...(options.testEvents === undefined ? {} : { eventBridge: options.testEvents.eventBridge }),
    ...(options.failureReplay === undefined ? {} : { failureReplay: options.failureReplay }),
    ...(options.usage === undefined ? {} : { usage: options.usage }),
    ...(options.partnerRateLimit === undefined ? {} : { partnerRateLimit: options.partnerRateLimit }),
    mailer: mailCatcher,
  });

  const server = createAdaptorServer({
    fetch: (request, env) => mailCatcher.handle(request) ?? app.fetch(request, env),
  }) as Server;
  const listening = await listenOnLoopback(server, options.port ?? 0);
  baseUrl = listening.url;

  return {
    url: baseUrl,
    mailUrl: `${baseUrl}${MAIL_CATCHER_PATH}`,
    mailCatcher,
    stop: () => listening.stop(),
  };
}
