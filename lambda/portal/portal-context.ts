/**
 * What the portal's middleware and route modules share: the dependencies
 * the app is built with, the services derived from them once, and the
 * per-request context the settings middleware puts on every request.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, Hono } from 'hono';
import type { Clock } from '../core/clock';
import type { UrlPolicyOptions } from '../core/url-policy';
import type { PlatformRepositories } from '../repositories/platform-repositories';
import type { FailureReplayPort } from '../shared/failure-replay';
import type { Mailer } from '../shared/mailer';
import type { SecretStore } from '../shared/secret-store';
import type { PortalSettings, RawPortalSettings } from './config';
import type { MembershipsRepository } from './memberships';
import type { OidcClientFactory } from './oidc';
import type { CookieCodec, JoseFunctions, Session, SessionCookie } from './session';
import type { SessionStore } from './session-store';
import type { TeamRepository } from './team-repository';

/** Structured logging; the Powertools Logger fits. Attributes never hold keys, tokens, cookies or secrets. */
export interface PortalLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

import type { RateLimitPolicy } from '../core/rate-limit';
import type { UsageRepository } from '../repositories/usage-repository';

export interface PortalDependencies {
  /** The raw runtime settings, read for every request (cache expensive sources such as secrets yourself). */
  readonly settings: () => RawPortalSettings | Promise<RawPortalSettings>;
  readonly doc: DynamoDBDocumentClient;
  readonly oidc: OidcClientFactory;
  readonly jose: JoseFunctions;
  /** Where a first webhook's signing secret is created; without it (or a prefix setting) the portal only updates existing webhooks. */
  readonly secrets?: SecretStore;
  /** @default systemClock */
  readonly clock?: Clock;
  /**
   * The URL rules for webhooks. @default `{ allowHttp: ALLOW_HTTP_WEBHOOKS }`,
   * never loopback. The local runtime passes its explicit local-only override.
   */
  readonly urlPolicy?: UrlPolicyOptions;
  readonly logger?: PortalLogger;
  /** Drops the partner API's cached authorizer answers after a rotation. @default none */
  readonly flushAuthorizerCache?: () => Promise<void>;
  /** Publishes test events to the platform bus (PLATFORM_BUS_NAME); without it the portal sends none. */
  readonly eventBridge?: EventBridgeClient;
  /** Lists and replays failed deliveries (the APIs' FailureReplay); without it the failures page says they are not recorded. */
  readonly failureReplay?: FailureReplayPort;
  /** Sends invitations (SES in AWS, the mail catcher locally); without it the Team page cannot invite. */
  readonly mailer?: Mailer;
  /** Per-key usage for the "View usage" page; without it that page answers 500. */
  readonly usage?: Pick<UsageRepository, 'hourly'>;
  /** The partner API's per-org limit, shown on the usage page. @default not shown */
  readonly partnerRateLimit?: RateLimitPolicy;
}

/** The app-wide services every route module receives. */
export interface PortalServices {
  readonly deps: PortalDependencies;
  readonly clock: Clock;
  readonly logger?: PortalLogger;
  readonly nowSeconds: () => number;
}

/** What one request works with once the settings are valid. */
export interface PortalRequest {
  readonly settings: PortalSettings;
  readonly baseUrl: URL;
  readonly secure: boolean;
  readonly codec: CookieCodec;
  readonly repositories: PlatformRepositories;
  readonly memberships: MembershipsRepository;
  readonly team: TeamRepository;
  readonly sessions: SessionStore;
  readonly cookies: Map<string, string>;
  /** The signed session cookie, when the request carries a valid one (it alone signs no one in). */
  readonly sessionCookie?: SessionCookie;
  /** The live server-side session that cookie points at (set by the session middleware). */
  readonly session?: Session;
}

/** The hono environment of the portal: the settings middleware sets `portal` on every request. */
export interface PortalEnv {
  Variables: { portal: PortalRequest };
}

export type PortalApp = Hono<PortalEnv>;
export type PortalContext = Context<PortalEnv>;

/** A route module adds its routes to the app. */
export type PortalRoutes = (app: PortalApp, services: PortalServices) => void;
