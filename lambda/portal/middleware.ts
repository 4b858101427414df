/**
 * The middleware every portal request passes: the runtime settings are
 * validated first (a page naming the broken setting when they are wrong),
 * every response carries the security headers, every POST must carry the
 * session cookie's CSRF token or is refused with 403 before anything is read
 * or changed, and then the server-side session the cookie points at is
 * loaded: an ended one signs no one in.
 */
import type { MiddlewareHandler } from 'hono';
import { constantTimeEqual } from '../core/constant-time';
import { repositoriesFor } from '../repositories/platform-repositories';
import { parsePortalSettings } from './config';
import { MembershipsRepository } from './memberships';
import type { PortalContext, PortalEnv, PortalServices } from './portal-context';
import { BACK_TO_PORTAL, SIGN_IN_AGAIN, deleteCookie } from './responses';
import { CookieCodec, type SessionCookie, cookieName, parseCookies } from './session';
import { SessionStore } from './session-store';
import { TeamRepository } from './team-repository';
import { configErrorPage, messagePage } from './views';

/** Validates the settings, reads the session cookie and sets the request's `portal`; adds the security headers after. */
export function settingsMiddleware(services: PortalServices): MiddlewareHandler<PortalEnv> {
  const { deps, clock, logger } = services;
  let cachedCodec: { secret: string; codec: CookieCodec } | undefined;
  const codecFor = (secret: string): CookieCodec => {
    if (cachedCodec?.secret !== secret) {
      cachedCodec = { secret, codec: new CookieCodec(secret, deps.jose, services.nowSeconds) };
    }
    return cachedCodec.codec;
  };

  return async (c, next) => {
    const result = parsePortalSettings(await deps.settings());
    if (!result.ok) {
      logger?.error('portal settings invalid', { settings: result.problems.map((problem) => problem.setting) });
      securityHeaders(c, { secure: false });
      return c.html(configErrorPage(result.problems), 500);
    }
    const { settings } = result;
    const { baseUrl } = settings;
    const secure = baseUrl.protocol === 'https:';
    const codec = codecFor(settings.sessionSecret);
    const cookies = parseCookies(c.req.header('cookie'));
    const sessionCookie = codec.verify<SessionCookie>('session', cookies.get(cookieName('session', secure)));
    const repositories = repositoriesFor(deps.doc, settings.tables, clock, {
      flushAuthorizerCache: deps.flushAuthorizerCache,
      maxActivePerEnvironment: settings.maxActiveKeysPerEnvironment,
    });
    c.set('portal', {
      settings,
      baseUrl,
      secure,
      codec,
      repositories,
      memberships: new MembershipsRepository(deps.doc, settings.tables.tenants),
      team: new TeamRepository(deps.doc, settings.tables.tenants, clock, repositories.activity),
      sessions: new SessionStore(deps.doc, settings.tables.tenants, services.nowSeconds),
      cookies,
      ...(sessionCookie === undefined ? {} : { sessionCookie }),
    });
    await next();
    securityHeaders(c, { secure, issuerOrigin: settings.issuerUrl.origin });
    return undefined;
  };
}

/** Every POST: a valid session cookie and its CSRF token, or 403 before anything is read or changed. */
export function csrfMiddleware(services: PortalServices): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const { sessionCookie } = c.get('portal');
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = form._csrf;
    if (sessionCookie === undefined || typeof token !== 'string' || !constantTimeEqual(token, sessionCookie.csrf)) {
      services.logger?.warn('csrf check failed', { path: c.req.path, hasSession: sessionCookie !== undefined });
      return c.html(
        messagePage(
          'Request refused',
          'This form has expired or did not come from the portal, so nothing was changed. Go back, reload the page and try again.',
          BACK_TO_PORTAL,
        ),
        403,
      );
    }
    await next();
    return undefined;
  };
}

/**
 * The live session behind the cookie (one strongly consistent GetItem). A
 * cookie whose session was ended (logout, an owner change, a disabled org)
 * or has expired is cleared: a page then asks for a sign-in, and a form post
 * is refused with 403 and changes nothing.
 */
export function sessionMiddleware(services: PortalServices): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const portal = c.get('portal');
    if (portal.sessionCookie === undefined) return next();
    const session = await portal.sessions.get(portal.sessionCookie);
    if (session === undefined) {
      services.logger?.info('ended session presented', { path: c.req.path, method: c.req.method });
      deleteCookie(c, portal, 'session');
      if (c.req.method === 'POST') {
        return c.html(
          messagePage(
            'Your session has ended',
            'You are signed out, so nothing was changed. Sign in again.',
            SIGN_IN_AGAIN,
          ),
          403,
        );
      }
    }
    c.set('portal', { ...portal, ...(session === undefined ? {} : { session }) });
    await next();
    return undefined;
  };
}

/**
 * On every response: scripts are not allowed at all, forms post only to
 * the portal (and the issuer, whose sign-in form the flow passes through),
 * and no one may frame the portal.
 */
export function securityHeaders(c: PortalContext, options: { secure: boolean; issuerOrigin?: string }): void {
  const formAction = options.issuerOrigin === undefined ? "'self'" : `'self' ${options.issuerOrigin}`;
  c.header(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'none'",
      "style-src 'self'",
      "img-src 'self'",
      "base-uri 'none'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      `form-action ${formAction}`,
    ].join('; '),
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  if (options.secure) c.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  if (c.res.headers.get('Cache-Control') === null) c.header('Cache-Control', 'no-store');
}
