/**
 * Sign-in and sign-out: OIDC authorization code flow with PKCE (the login
 * cookie carries state, nonce and verifier), a session cookie for a
 * verified email only, and `/` sending the user wherever they must go.
 */
import { loggableError } from '../../shared/observability';
import type { OidcIdentity } from '../oidc';
import { membershipOf } from '../members';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { deleteCookie, portalRoute, redirect, setCookie } from '../responses';
import {
  LOGIN_TTL_SECONDS,
  type LoginState,
  SESSION_TTL_SECONDS,
  type Session,
  cookieName,
  randomToken,
} from '../session';
import { messagePage } from '../views';

const SIGN_IN_AGAIN = { link: { href: '/login', text: 'Sign in again' } } as const;

export const signInRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/',
    portalRoute(services, async (c, portal) => {
      if (portal.session === undefined) return redirect(c, '/login');
      const membership = await membershipOf(services, portal, portal.session);
      return redirect(c, membership === undefined ? '/onboarding' : '/dashboard');
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
  const login: LoginState = { ...pending, exp: services.nowSeconds() + LOGIN_TTL_SECONDS };
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
    services.logger?.warn('sign-in refused by the identity provider', { error: refused.slice(0, 64) });
    return c.html(
      messagePage('Sign-in was not completed', `The identity provider answered: ${refused}.`, SIGN_IN_AGAIN),
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
  const session = sessionOf(identity, services.nowSeconds());
  if (session === undefined) {
    return c.html(
      messagePage(
        'Email address needed',
        'The portal needs a verified email address from your identity provider. Verify your email there and sign in again.',
        SIGN_IN_AGAIN,
      ),
      403,
    );
  }
  setCookie(c, portal, 'session', portal.codec.sign('session', session), SESSION_TTL_SECONDS);
  services.logger?.info('signed in', { outcome: 'signed-in' });
  return redirect(c, '/');
}

/** A new session for an identity with a verified email; undefined without one. */
function sessionOf(identity: OidcIdentity, nowSeconds: number): Session | undefined {
  if (identity.email === undefined || identity.emailVerified === false) return undefined;
  return {
    iss: identity.iss,
    sub: identity.sub,
    email: identity.email,
    ...(identity.name === undefined ? {} : { name: identity.name }),
    csrf: randomToken(),
    exp: nowSeconds + SESSION_TTL_SECONDS,
  };
}
