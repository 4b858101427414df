/**
 * The partner portal with a local OIDC issuer and one test user (any
 * password; any other email typed signs in as itself, verified), on the
 * portal and issuer ports, and the mail catcher at `/_mail`.
 */
import { randomAlphanumeric } from '../../lambda/core/random';
import { TEST_EVENTS_PER_MINUTE_ENV } from '../../lambda/portal/test-event-limit';
import { PLATFORM_BUS_ENV } from '../../lambda/shared/event-publisher';
import type { FailureReplayPort } from '../../lambda/shared/failure-replay';
import { localEventBridgeClient } from '../eventbridge-client';
import { MailCatcher } from '../mail-catcher';
import { startLocalIssuer } from '../oidc-issuer';
import { startLocalPortal } from '../portal-server';
import { partnerRateLimitFor } from './api';
import type { RuntimeContext } from './context';
import { localUsageRepository } from './usage';
import type { LocalEventBridge } from './event-bridge';
import { localFunctionEnvironment } from './function-environment';
import { listen } from './ports';
import type { LocalPortalEndpoints } from './types';

const PORTAL_CLIENT_ID = 'partner-portal-local';
/** The portal function's POWERTOOLS_SERVICE_NAME in the template. */
const PORTAL_SERVICE = 'partner-portal';
const PORTAL_TEST_USER = 'partner@example.com';
const CLIENT_SECRET_LENGTH = 40;
const SESSION_SECRET_LENGTH = 48;

/**
 * Test events go where the template's portal function would send them: its
 * PLATFORM_BUS_NAME and TEST_EVENTS_PER_MINUTE, through the local
 * EventBridge endpoint (so they travel the synthesized rules).
 */
function testEventsOf(ctx: RuntimeContext, eventBridge: LocalEventBridge) {
  const environment = localFunctionEnvironment(ctx.assembly, ctx.platform, PORTAL_SERVICE, eventBridge.bus.store);
  const platformBusName = environment[PLATFORM_BUS_ENV];
  if (platformBusName === undefined) return undefined;
  const client = localEventBridgeClient(eventBridge.url);
  ctx.stoppables.onStop(() => client.destroy());
  const perMinute = ctx.options.testEventsPerMinute ?? Number(environment[TEST_EVENTS_PER_MINUTE_ENV] ?? NaN);
  return { eventBridge: client, platformBusName, ...(Number.isInteger(perMinute) ? { perMinute } : {}) };
}

export async function startPortal(
  ctx: RuntimeContext,
  ports: { readonly portal: number; readonly issuer: number },
  eventBridge: LocalEventBridge,
  failureReplay?: FailureReplayPort,
): Promise<LocalPortalEndpoints> {
  const testEvents = testEventsOf(ctx, eventBridge);
  const portalUrl = `http://127.0.0.1:${ports.portal}`;
  const clientSecret = randomAlphanumeric(CLIENT_SECRET_LENGTH);
  const issuer = ctx.stoppables.add(
    await listen('the local OIDC issuer', ports.issuer, () =>
      startLocalIssuer({
        port: ports.issuer,
        clients: [{ clientId: PORTAL_CLIENT_ID, clientSecret, redirectUris: [`${portalUrl}/callback`] }],
        users: [{ sub: 'local-partner', email: PORTAL_TEST_USER, name: 'Local Partner' }],
      }),
    ),
  );
  const portal = ctx.stoppables.add(
    await listen('the partner portal', ports.portal, () =>
      startLocalPortal({
        doc: ctx.tables.doc,
        tables: ctx.tables.names,
        issuerUrl: issuer.url,
        clientId: PORTAL_CLIENT_ID,
        clientSecret,
        sessionSecret: randomAlphanumeric(SESSION_SECRET_LENGTH),
        port: ports.portal,
        maxActiveKeysPerEnvironment: ctx.tables.maxActivePerEnvironment,
        urlPolicy: ctx.urlPolicy,
        clock: ctx.clock,
        secrets: ctx.secrets.store,
        webhookSecretPrefix: ctx.webhookSecretPrefix,
        flushAuthorizerCache: ctx.authorizerCache.flush,
        ...(testEvents === undefined ? {} : { testEvents }),
        ...(failureReplay === undefined ? {} : { failureReplay }),
        ...usageOptions(ctx),
        mailCatcher: new MailCatcher({
          now: () => ctx.clock.now(),
          ...(ctx.options.onMail === undefined ? {} : { onMail: ctx.options.onMail }),
        }),
      }),
    ),
  );
  return {
    url: portal.url,
    issuerUrl: issuer.url,
    testUserEmail: PORTAL_TEST_USER,
    mailUrl: portal.mailUrl,
    mailCatcher: portal.mailCatcher,
  };
}

/** The usage page's reader and the partner API's limit, as the API component uses them. */
function usageOptions(ctx: RuntimeContext) {
  const usage = localUsageRepository(ctx);
  return { ...(usage === undefined ? {} : { usage }), partnerRateLimit: partnerRateLimitFor(ctx) };
}
