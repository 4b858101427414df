/**
 * The portal's response helpers and its one error mapping: a domain error
 * becomes a page with the status the APIs give the same error
 * (`statusOfDomainError`), anything else a 500 page that says nothing about
 * the cause.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { statusOfDomainError } from '../api/http';
import { DomainError } from '../core/errors';
import type { ActivityAction } from '../core/team';
import { logActivity } from '../shared/activity-log';
import type { RequestOrigin } from '../repositories/activity-repository';
import { loggableError } from '../shared/observability';
import type { PortalContext, PortalRequest, PortalServices } from './portal-context';
import {
  type CookieName,
  FLASH_TTL_SECONDS,
  type FlashKey,
  type Session,
  clearCookie,
  serializeCookie,
} from './session';
import { type Viewer, messagePage } from './views';

export const BACK_TO_PORTAL = { link: { href: '/', text: 'Back to the portal' } } as const;
export const SIGN_IN_AGAIN = { link: { href: '/login', text: 'Sign in again' } } as const;

export type PortalHandler = (c: PortalContext, portal: PortalRequest) => Promise<Response>;

/** The status a page shows a domain error with: the same as the APIs'. */
export function statusOf(error: DomainError): ContentfulStatusCode {
  return statusOfDomainError(error) as ContentfulStatusCode;
}

/** A route handler given the request's portal; whatever it throws becomes an error page. */
export function portalRoute(services: PortalServices, handler: PortalHandler) {
  return async (c: PortalContext): Promise<Response> => {
    const portal = c.get('portal');
    try {
      return await handler(c, portal);
    } catch (error) {
      return errorPage(services, c, portal, error);
    }
  };
}

function errorPage(services: PortalServices, c: PortalContext, portal: PortalRequest, error: unknown): Response {
  const viewer = viewerOf(portal.session);
  const options = { ...(viewer === undefined ? {} : { viewer }), ...BACK_TO_PORTAL };
  if (error instanceof DomainError) {
    services.logger?.warn('request refused', { path: c.req.path, error: loggableError(error) });
    return c.html(messagePage('That did not work', error.message, options), statusOf(error));
  }
  services.logger?.error('request failed', { path: c.req.path, error: loggableError(error) });
  return c.html(
    messagePage(
      'Something went wrong',
      'The portal could not complete your request. Please try again in a moment.',
      options,
    ),
    500,
  );
}

export function setCookie(
  c: PortalContext,
  portal: PortalRequest,
  name: CookieName,
  value: string,
  maxAgeSeconds: number,
): void {
  c.header('Set-Cookie', serializeCookie(name, value, { secure: portal.secure, maxAgeSeconds }), { append: true });
}

export function deleteCookie(c: PortalContext, portal: PortalRequest, name: CookieName): void {
  c.header('Set-Cookie', clearCookie(name, portal.secure), { append: true });
}

/** After a form: the browser GETs the next page. */
export function redirect(c: PortalContext, location: string): Response {
  return c.redirect(location, 303);
}

/**
 * Puts a just-issued key in the encrypted flash cookie that the next
 * dashboard view reveals, with a single-use reveal nonce recorded on the
 * server: that view uses the nonce up, so the cookie, replayed, reveals
 * nothing. The plaintext is stored nowhere but in this encrypted cookie.
 */
export async function flashKey(
  c: PortalContext,
  portal: PortalRequest,
  session: Session,
  flash: Omit<FlashKey, 'nonce'>,
): Promise<void> {
  const nonce = await portal.sessions.allowReveal(flash.orgId, flash.keyId);
  setCookie(c, portal, 'flash', await portal.codec.encryptFlash({ ...flash, nonce }, session), FLASH_TTL_SECONDS);
}

export function viewerOf(session: Session): Viewer;
export function viewerOf(session: Session | undefined): Viewer | undefined;
export function viewerOf(session: Session | undefined): Viewer | undefined {
  if (session === undefined) return undefined;
  return { email: session.email, csrf: session.csrf, ...(session.name === undefined ? {} : { name: session.name }) };
}

/** Lambda's event (Function URL or API Gateway) or the local node server's request, as hono passes them. */
interface RequestEnvironment {
  readonly event?: {
    readonly requestContext?: {
      readonly http?: { readonly sourceIp?: string };
      readonly identity?: { readonly sourceIp?: string };
    };
  };
  readonly incoming?: { readonly socket?: { readonly remoteAddress?: string } };
}

/**
 * Where a request came from, for the activity log: the source IP as Lambda
 * or the local server saw the connection (never a forwarded-for header a
 * client can write) and the user agent.
 */
export function requestOrigin(c: PortalContext): RequestOrigin {
  const env = c.env as RequestEnvironment | undefined;
  const context = env?.event?.requestContext;
  const sourceIp = context?.http?.sourceIp ?? context?.identity?.sourceIp ?? env?.incoming?.socket?.remoteAddress;
  const userAgent = c.req.header('user-agent');
  return { ...(sourceIp === undefined ? {} : { sourceIp }), ...(userAgent === undefined ? {} : { userAgent }) };
}

/** The `createdBy` of what a portal user creates. */
export function createdBy(session: Session): string {
  return `portal:${session.email}`;
}

/** A key or webhook change by a signed-in member, in the org's activity log (actor `portal:<email>`). */
export function recordPortalActivity(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  entry: { readonly orgId: string; readonly email: string; readonly action: ActivityAction; readonly subject: string },
): Promise<void> {
  return logActivity(
    { activity: portal.repositories.activity, clock: services.clock, logger: services.logger },
    {
      orgId: entry.orgId,
      action: entry.action,
      actor: `portal:${entry.email}`,
      subject: entry.subject,
      ...requestOrigin(c),
    },
  );
}
