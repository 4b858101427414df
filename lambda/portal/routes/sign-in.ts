/**
 * Sign-in and sign-out: OIDC authorization code flow with PKCE (the login
 * cookie carries state, nonce and verifier), a server-side session for an
 * email the issuer states is verified (`email_verified: true`, nothing less),
 * sign-out that ends that session, and `/` sending the user wherever they
 * must go.
 */
import { loggableError } from '../../shared/observability';
import type { OidcIdentity } from '../oidc';
import { accessEnded, memberStatus } from '../members';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { SIGN_IN_AGAIN, deleteCookie, portalRoute, redirect, setCookie } from '../responses';
import { LOGIN_TTL_SECONDS, type LoginState, SESSION_TTL_SECONDS, cookieName } from '../session';
import type { SessionIdentity } from '../session-store';
import { messagePage } from '../views';
import { isInvitationPath } from './invitations';

/**
 * What the portal says for each error code an issuer may send back
 * (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6). The issuer's
 * `error_description`, and any code not listed, is never shown: anyone can
 * put text in a link to /callback.
 */
const ISSUER_ERRORS: Readonly<Record<string, string>> = {
  access_denied: 'The sign-in was cancelled or access was denied at the identity provider.',
  login_required: 'The identity provider needs you to sign in there first.',
  consent_required: 'The identity provider needs your consent for the portal first.',
  interaction_required: 'The identity provider needs you to complete a step there first.',
  account_selection_required: 'The identity provider needs you to choose an account first.',
  temporarily_unavailable: 'The identity provider is temporarily unavailable. Please try again in a moment.',
  server_error: 'The identity provider had an error. Please try again in a moment.',
};
const UNKNOWN_ISSUER_ERROR = 'The identity provider did not complete the sign-in.';

export const signInRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/',
    portalRoute(services, async (c, portal) => {
      if (portal.session === undefined) return redirect(c, '/login');
      const status = await memberStatus(services, portal, portal.session);
      if (status.state === 'ended') return accessEnded(services, c, portal, portal.session, status);
      return redirect(c, status.state === 'none' ? '/onboarding' : '/dashboard');
    }),
  );
  app.get(
    '/login',
    portalRoute(services, (c, portal) => startSignIn(services, c, portal)),
  );
  app.get(
    '/callback',
    portalRoute(services, (c, portal) => finishSignIn(services, c, portal)),
  );
  app.post(
    '/logout',
    portalRoute(services, async (c, portal) => {
      // The session ends on the server: the cookie, replayed, signs no one in.
      if (portal.session !== undefined) await portal.sessions.end(portal.session.id);
      deleteCookie(c, portal, 'session');
      deleteCookie(c, portal, 'flash');
      services.logger?.info('signed out', { outcome: 'signed-out' });
      return redirect(c, '/signed-out');
    }),
  );
  app.get('/signed-out', (c) =>
    c.html(messagePage('Signed out', 'You are signed out of the partner portal.', SIGN_IN_AGAIN)),
  );
};

async function startSignIn(services: PortalServices, c: PortalContext, portal: PortalRequest): Promise<Response> {
  let oidc;
  try {
    oidc = await services.deps.oidc(portal.settings);
  } catch (error) {
    services.logger?.error('identity provider unreachable', { error: loggableError(error) });
    return c.html(
      messagePage(
        'Sign-in is unavailable',
        'The identity provider could not be reached. Please try again in a moment.',
      ),
      502,
    );
  }
  const { url, pending } = oidc.start(new URL('/callback', portal.baseUrl).href);
  const returnTo = c.req.query('return');
  const login: LoginState = {
    ...pending,
    exp: services.nowSeconds() + LOGIN_TTL_SECONDS,
    ...(returnTo !== undefined && isInvitationPath(returnTo) ? { returnTo } : {}),
  };
  setCookie(c, portal, 'login', portal.codec.sign('login', login), LOGIN_TTL_SECONDS);
  return c.redirect(url.href, 302);
}

async function finishSignIn(services: PortalServices, c: PortalContext, portal: PortalRequest): Promise<Response> {
  const login = portal.codec.verify<LoginState>('login', portal.cookies.get(cookieName('login', portal.secure)));
  deleteCookie(c, portal, 'login');
  if (login === undefined) {
    return c.html(
      messagePage('Sign-in expired', 'Your sign-in took too long or was started in another browser.', SIGN_IN_AGAIN),
      400,
    );
  }
  const refused = c.req.query('error');
  if (refused !== undefined) {
    const known = Object.hasOwn(ISSUER_ERRORS, refused);
    services.logger?.warn('sign-in refused by the identity provider', { error: known ? refused : 'unknown' });
    return c.html(
      messagePage('Sign-in was not completed', ISSUER_ERRORS[refused] ?? UNKNOWN_ISSUER_ERROR, SIGN_IN_AGAIN),
      400,
    );
  }
  const callbackUrl = new URL(`/callback${new URL(c.req.url).search}`, portal.baseUrl);
  let identity: OidcIdentity;
  try {
    identity = await (await services.deps.oidc(portal.settings)).finish(callbackUrl, login);
  } catch (error) {
    services.logger?.warn('sign-in failed', { error: loggableError(error) });
    return c.html(messagePage('Sign-in failed', 'The sign-in could not be verified.', SIGN_IN_AGAIN), 400);
  }
  const verified = verifiedIdentity(identity);
  if (verified === undefined) {
    services.logger?.warn('sign-in refused', {
      reason: identity.email === undefined ? 'no-email' : 'email-unverified',
    });
    return c.html(
      messagePage(
        'Verified email address needed',
        'Your identity provider did not confirm that your email address is verified, so you are not signed in. Verify your email there and sign in again.',
        SIGN_IN_AGAIN,
      ),
      403,
    );
  }
  // A new sign-in in this browser replaces its earlier session.
  if (portal.session !== undefined) await portal.sessions.end(portal.session.id);
  const { cookie } = await portal.sessions.start(verified);
  setCookie(c, portal, 'session', portal.codec.sign('session', cookie), SESSION_TTL_SECONDS);
  services.logger?.info('signed in', { outcome: 'signed-in' });
  return redirect(c, login.returnTo !== undefined && isInvitationPath(login.returnTo) ? login.returnTo : '/');
}

/** The identity when its email is verified: `email_verified` exactly `true`; a missing claim is not. */
function verifiedIdentity(identity: OidcIdentity): SessionIdentity | undefined {
  if (identity.email === undefined || identity.emailVerified !== true) return undefined;
  return {
    iss: identity.iss,
    sub: identity.sub,
    email: identity.email,
    ...(identity.name === undefined ? {} : { name: identity.name }),
  };
}
