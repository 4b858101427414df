/**
 * The partner portal with a local OIDC issuer and one test user (any
 * password), on the portal and issuer ports.
 */
import { randomAlphanumeric } from '../../lambda/core/random';
import { startLocalIssuer } from '../oidc-issuer';
import { startLocalPortal } from '../portal-server';
import type { RuntimeContext } from './context';
import { listen } from './ports';
import type { LocalPortalEndpoints } from './types';

const PORTAL_CLIENT_ID = 'partner-portal-local';
const PORTAL_TEST_USER = 'partner@example.com';
const CLIENT_SECRET_LENGTH = 40;
const SESSION_SECRET_LENGTH = 48;

export async function startPortal(
  ctx: RuntimeContext,
  ports: { readonly portal: number; readonly issuer: number },
): Promise<LocalPortalEndpoints> {
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
        urlPolicy: ctx.urlPolicy,
        clock: ctx.clock,
        secrets: ctx.secrets.store,
        webhookSecretPrefix: ctx.webhookSecretPrefix,
        flushAuthorizerCache: ctx.authorizerCache.flush,
      }),
    ),
  );
  return { url: portal.url, issuerUrl: issuer.url, testUserEmail: PORTAL_TEST_USER };
}
