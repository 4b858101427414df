/**
 * The partner portal: partners sign in with OIDC, register their org, see
 * their API key (the plaintext once, right after it is issued), rotate it
 * and set their webhook URL. Server-rendered HTML with no scripts, over the
 * same core and repositories as the APIs.
 *
 * Every request first validates the runtime settings (a page naming the
 * broken setting when they are wrong), every response carries the security
 * headers, and every POST must carry the session's CSRF token or is refused
 * with 403 before anything is read or changed.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Context, Hono } from 'hono';
import { GRACE_HOURS, type GraceHours } from '../core/api-keys';
import { type Clock, systemClock } from '../core/clock';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../core/errors';
import type { UrlPolicyOptions } from '../core/url-policy';
import { ALL_EVENTS, createWebhook, onUrlChanged } from '../core/webhooks';
import { type PlatformRepositories, repositoriesFor } from '../repositories/platform-repositories';
import { loggableError, loggableKey } from '../shared/observability';
import type { SecretStore } from '../shared/secret-store';
import { generateWebhookSecret, storeWebhookSecret } from '../shared/webhook-secrets';
import { ORG_ID_PATTERN } from '../../lib/config/partner-schema';
import { type PortalSettings, type RawPortalSettings, parsePortalSettings } from './config';
import { AlreadyMemberError, MembershipsRepository } from './memberships';
import type { OidcClientFactory } from './oidc';
import {
  CookieCodec,
  type CookieName,
  type FlashKey,
  type JoseFunctions,
  LOGIN_TTL_SECONDS,
  type LoginState,
  SESSION_TTL_SECONDS,
  FLASH_TTL_SECONDS,
  type Session,
  clearCookie,
  constantTimeEqual,
  cookieName,
  parseCookies,
  randomToken,
  serializeCookie,
} from './session';
import { PORTAL_CSS } from './styles';
import {
  type DashboardModel,
  STYLESHEET_PATH,
  type Viewer,
  configErrorPage,
  dashboardPage,
  messagePage,
  onboardingPage,
} from './views';

/** Structured logging; the Powertools Logger fits. Attributes never hold keys, tokens, cookies or secrets. */
export interface PortalLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

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
}

/** What one request works with once the settings are valid. */
interface Portal {
  readonly settings: PortalSettings;
  readonly baseUrl: URL;
  readonly secure: boolean;
  readonly codec: CookieCodec;
  readonly repositories: PlatformRepositories;
  readonly memberships: MembershipsRepository;
  readonly cookies: Map<string, string>;
  readonly session?: Session;
}

type Handler = (c: Context, portal: Portal) => Promise<Response>;

const NOTICES: Readonly<Record<string, string>> = {
  onboarded: 'Your organization is registered and its first API key is ready.',
  issued: 'A new API key was issued.',
  rotated: 'Your API key was rotated.',
  'webhook-saved': 'Webhook URL saved. It is used once your endpoint answers our signed challenge.',
};

const ORG_ID_MESSAGE =
  'must be 2-63 lower-case letters, digits and dashes, starting with a letter or digit (e.g. acme-corp)';
const MAX_ORG_NAME_LENGTH = 128;

export function createPortalApp(deps: PortalDependencies): Hono {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger;
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  const portals = new WeakMap<Request, Portal>();
  let cachedCodec: { secret: string; codec: CookieCodec } | undefined;

  const codecFor = (secret: string): CookieCodec => {
    if (cachedCodec?.secret !== secret) cachedCodec = { secret, codec: new CookieCodec(secret, deps.jose, nowSeconds) };
    return cachedCodec.codec;
  };

  const urlPolicyOf = (settings: PortalSettings): UrlPolicyOptions =>
    deps.urlPolicy ?? { allowHttp: settings.allowHttpWebhooks };

  const app = new Hono();

  app.get(STYLESHEET_PATH, (c) => {
    securityHeaders(c, { secure: false });
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(PORTAL_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });

  app.use('*', async (c, next) => {
    const result = parsePortalSettings(await deps.settings());
    if (!result.ok) {
      logger?.error('portal settings invalid', { settings: result.problems.map((problem) => problem.setting) });
      securityHeaders(c, { secure: false });
      return c.html(configErrorPage(result.problems), 500);
    }
    const { settings } = result;
    const baseUrl = settings.baseUrl ?? new URL(`https://${new URL(c.req.url).host}`);
    const secure = baseUrl.protocol === 'https:';
    const codec = codecFor(settings.sessionSecret);
    const cookies = parseCookies(c.req.header('cookie'));
    const session = codec.verify<Session>('session', cookies.get(cookieName('session', secure)));
    portals.set(c.req.raw, {
      settings,
      baseUrl,
      secure,
      codec,
      repositories: repositoriesFor(deps.doc, settings.tables, clock),
      memberships: new MembershipsRepository(deps.doc, settings.tables.tenants),
      cookies,
      ...(session === undefined ? {} : { session }),
    });
    await next();
    securityHeaders(c, { secure, issuerOrigin: settings.issuerUrl.origin });
    return undefined;
  });

  // Every POST: a valid session and its CSRF token, or 403 before anything is read or changed.
  app.on('POST', '*', async (c, next) => {
    const portal = portals.get(c.req.raw)!;
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = form._csrf;
    if (portal.session === undefined || typeof token !== 'string' || !constantTimeEqual(token, portal.session.csrf)) {
      logger?.warn('csrf check failed', { path: c.req.path, hasSession: portal.session !== undefined });
      return c.html(
        messagePage(
          'Request refused',
          'This form has expired or did not come from the portal, so nothing was changed. Go back, reload the page and try again.',
          { link: { href: '/', text: 'Back to the portal' } },
        ),
        403,
      );
    }
    await next();
    return undefined;
  });

  const route =
    (handler: Handler) =>
    async (c: Context): Promise<Response> => {
      const portal = portals.get(c.req.raw)!;
      try {
        return await handler(c, portal);
      } catch (error) {
        return errorResponse(c, portal, error);
      }
    };

  const errorResponse = (c: Context, portal: Portal, error: unknown): Response => {
    const viewer = viewerOf(portal.session);
    const options = { ...(viewer === undefined ? {} : { viewer }), link: { href: '/', text: 'Back to the portal' } };
    if (error instanceof DomainError) {
      logger?.warn('request refused', { path: c.req.path, error: loggableError(error) });
      const status = {
        validation: 400,
        'not-found': 404,
        conflict: 409,
        'managed-by-config': 409,
        unauthorized: 401,
        forbidden: 403,
      }[error.code] as 400 | 404 | 409 | 401 | 403;
      return c.html(messagePage('That did not work', error.message, options), status);
    }
    logger?.error('request failed', { path: c.req.path, error: loggableError(error) });
    return c.html(
      messagePage(
        'Something went wrong',
        'The portal could not complete your request. Please try again in a moment.',
        options,
      ),
      500,
    );
  };

  const setCookie = (c: Context, portal: Portal, name: CookieName, value: string, maxAgeSeconds: number) =>
    c.header('Set-Cookie', serializeCookie(name, value, { secure: portal.secure, maxAgeSeconds }), { append: true });
  const deleteCookie = (c: Context, portal: Portal, name: CookieName) =>
    c.header('Set-Cookie', clearCookie(name, portal.secure), { append: true });
  const redirect = (c: Context, location: string) => c.redirect(location, 303);

  /**
   * The user's org: their membership or, on an owner's first sign-in, the org
   * their verified email owns (sessions only ever hold a verified email).
   */
  const membershipOf = async (portal: Portal, session: Session) =>
    (await portal.memberships.get(session)) ??
    (await portal.memberships.claimOwnedOrg(portal.repositories.tenants, session, session.email, clock.now()));

  /** The signed-in user's org, or a redirect to where they must go first. */
  const requireMember = async (
    c: Context,
    portal: Portal,
  ): Promise<{ session: Session; orgId: string } | { response: Response }> => {
    if (portal.session === undefined) return { response: redirect(c, '/login') };
    const membership = await membershipOf(portal, portal.session);
    if (membership === undefined) return { response: redirect(c, '/onboarding') };
    return { session: portal.session, orgId: membership.orgId };
  };

  const flashKey = async (c: Context, portal: Portal, session: Session, flash: FlashKey) =>
    setCookie(c, portal, 'flash', await portal.codec.encryptFlash(flash, session), FLASH_TTL_SECONDS);

  const dashboardModel = async (
    portal: Portal,
    session: Session,
    orgId: string,
    extra: Partial<DashboardModel> = {},
  ): Promise<DashboardModel> => {
    const { tenants, keys, webhooks } = portal.repositories;
    const tenant = await tenants.get(orgId);
    if (tenant === undefined) throw new NotFoundError(`organization ${orgId} is not registered`);
    const [activeKey, webhookList] = await Promise.all([
      tenant.activeKeyHash === undefined ? undefined : keys.getByHash(tenant.activeKeyHash),
      webhooks.listAll(orgId),
    ]);
    return {
      viewer: viewerOf(session)!,
      tenant,
      ...(activeKey === undefined ? {} : { activeKey }),
      ...(webhookList[0] === undefined ? {} : { webhook: webhookList[0] }),
      canCreateWebhook: deps.secrets !== undefined && portal.settings.webhookSecretPrefix !== undefined,
      ...extra,
    };
  };

  app.get('/healthz', (c) => c.text('ok'));

  app.get(
    '/',
    route(async (c, portal) => {
      if (portal.session === undefined) return redirect(c, '/login');
      const membership = await membershipOf(portal, portal.session);
      return redirect(c, membership === undefined ? '/onboarding' : '/dashboard');
    }),
  );

  app.get(
    '/login',
    route(async (c, portal) => {
      let oidc;
      try {
        oidc = await deps.oidc(portal.settings);
      } catch (error) {
        logger?.error('identity provider unreachable', { error: loggableError(error) });
        return c.html(
          messagePage(
            'Sign-in is unavailable',
            'The identity provider could not be reached. Please try again in a moment.',
          ),
          502,
        );
      }
      const { url, pending } = oidc.start(new URL('/callback', portal.baseUrl).href);
      const login: LoginState = { ...pending, exp: nowSeconds() + LOGIN_TTL_SECONDS };
      setCookie(c, portal, 'login', portal.codec.sign('login', login), LOGIN_TTL_SECONDS);
      return c.redirect(url.href, 302);
    }),
  );

  app.get(
    '/callback',
    route(async (c, portal) => {
      const login = portal.codec.verify<LoginState>('login', portal.cookies.get(cookieName('login', portal.secure)));
      deleteCookie(c, portal, 'login');
      const again = { link: { href: '/login', text: 'Sign in again' } };
      if (login === undefined) {
        return c.html(
          messagePage('Sign-in expired', 'Your sign-in took too long or was started in another browser.', again),
          400,
        );
      }
      const refused = c.req.query('error');
      if (refused !== undefined) {
        logger?.warn('sign-in refused by the identity provider', { error: refused.slice(0, 64) });
        return c.html(
          messagePage('Sign-in was not completed', `The identity provider answered: ${refused}.`, again),
          400,
        );
      }
      const callbackUrl = new URL(`/callback${new URL(c.req.url).search}`, portal.baseUrl);
      let identity;
      try {
        identity = await (await deps.oidc(portal.settings)).finish(callbackUrl, login);
      } catch (error) {
        logger?.warn('sign-in failed', { error: loggableError(error) });
        return c.html(messagePage('Sign-in failed', 'The sign-in could not be verified.', again), 400);
      }
      if (identity.email === undefined || identity.emailVerified === false) {
        return c.html(
          messagePage(
            'Email address needed',
            'The portal needs a verified email address from your identity provider. Verify your email there and sign in again.',
            again,
          ),
          403,
        );
      }
      const session: Session = {
        iss: identity.iss,
        sub: identity.sub,
        email: identity.email,
        ...(identity.name === undefined ? {} : { name: identity.name }),
        csrf: randomToken(),
        exp: nowSeconds() + SESSION_TTL_SECONDS,
      };
      setCookie(c, portal, 'session', portal.codec.sign('session', session), SESSION_TTL_SECONDS);
      logger?.info('signed in', { outcome: 'signed-in' });
      return redirect(c, '/');
    }),
  );

  app.get(
    '/onboarding',
    route(async (c, portal) => {
      if (portal.session === undefined) return redirect(c, '/login');
      if ((await membershipOf(portal, portal.session)) !== undefined) return redirect(c, '/dashboard');
      return c.html(onboardingPage(viewerOf(portal.session)!));
    }),
  );

  app.post(
    '/onboarding',
    route(async (c, portal) => {
      const session = portal.session!;
      const viewer = viewerOf(session)!;
      if ((await membershipOf(portal, session)) !== undefined) return redirect(c, '/dashboard');
      const form = await c.req.parseBody();
      const orgId = typeof form.orgId === 'string' ? form.orgId.trim() : '';
      const orgName = typeof form.orgName === 'string' ? form.orgName.trim() : '';
      const errors: { orgId?: string; orgName?: string } = {};
      if (!ORG_ID_PATTERN.test(orgId)) errors.orgId = `Organization id ${ORG_ID_MESSAGE}.`;
      if (orgName === '') errors.orgName = 'Organization name must not be empty.';
      else if (orgName.length > MAX_ORG_NAME_LENGTH) {
        errors.orgName = `Organization name must be at most ${MAX_ORG_NAME_LENGTH} characters.`;
      }
      if (errors.orgId !== undefined || errors.orgName !== undefined) {
        return c.html(onboardingPage(viewer, { orgId, orgName, errors }), 400);
      }
      const { tenants, keys } = portal.repositories;
      try {
        await portal.memberships.registerTenant(
          tenants,
          session,
          { orgId, orgName, ownerEmail: session.email, source: 'portal' },
          clock.now(),
        );
      } catch (error) {
        if (error instanceof AlreadyMemberError) return redirect(c, '/dashboard');
        if (error instanceof ConflictError) {
          return c.html(
            onboardingPage(viewer, {
              orgId,
              orgName,
              errors: { orgId: `"${orgId}" is already taken. Choose another organization id.` },
            }),
            409,
          );
        }
        if (error instanceof ValidationError) {
          return c.html(onboardingPage(viewer, { orgId, orgName, errors: { form: error.message } }), 400);
        }
        throw error;
      }
      logger?.info('tenant registered', { orgId, source: 'portal', outcome: 'created' });
      try {
        const issued = await keys.issue({ orgId, createdBy: createdBy(session) });
        logger?.info('api key issued', { orgId, ...loggableKey(issued.record), outcome: 'created' });
        await flashKey(c, portal, session, { orgId, keyId: issued.record.keyId, plaintext: issued.plaintext });
      } catch (error) {
        // The org exists; the dashboard's "No active key" state offers the fix.
        logger?.error('first api key not issued', { orgId, error: loggableError(error) });
      }
      return redirect(c, '/dashboard?notice=onboarded');
    }),
  );

  app.get(
    '/dashboard',
    route(async (c, portal) => {
      const member = await requireMember(c, portal);
      if ('response' in member) return member.response;
      const { session, orgId } = member;
      const flashCookie = portal.cookies.get(cookieName('flash', portal.secure));
      const flash = await portal.codec.decryptFlash(flashCookie, session);
      if (flashCookie !== undefined) deleteCookie(c, portal, 'flash');
      const notice = NOTICES[c.req.query('notice') ?? ''];
      const model = await dashboardModel(portal, session, orgId, notice === undefined ? {} : { notice });
      // Shown only while it is still the org's live key and only to this org.
      const revealed =
        flash !== undefined && flash.orgId === orgId && model.activeKey?.keyId === flash.keyId ? flash : undefined;
      return c.html(dashboardPage(revealed === undefined ? model : { ...model, revealed }));
    }),
  );

  app.post(
    '/keys/issue',
    route(async (c, portal) => {
      const member = await requireMember(c, portal);
      if ('response' in member) return member.response;
      const { session, orgId } = member;
      try {
        const issued = await portal.repositories.keys.issue({ orgId, createdBy: createdBy(session) });
        logger?.info('api key issued', { orgId, ...loggableKey(issued.record), outcome: 'created' });
        await flashKey(c, portal, session, { orgId, keyId: issued.record.keyId, plaintext: issued.plaintext });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const model = await dashboardModel(portal, session, orgId, { errors: { key: error.message } });
        return c.html(dashboardPage(model), 409);
      }
      return redirect(c, '/dashboard?notice=issued');
    }),
  );

  app.post(
    '/keys/rotate',
    route(async (c, portal) => {
      const member = await requireMember(c, portal);
      if ('response' in member) return member.response;
      const { session, orgId } = member;
      const form = await c.req.parseBody();
      const graceHours = GRACE_HOURS.find((hours) => String(hours) === form.graceHours);
      const refuse = async (message: string, status: 400 | 404 | 409) =>
        c.html(dashboardPage(await dashboardModel(portal, session, orgId, { errors: { key: message } })), status);
      if (graceHours === undefined) return refuse(`Choose a grace period of ${GRACE_HOURS.join(', ')} hours.`, 400);
      if (form.confirm !== 'yes') return refuse('Tick the confirmation to rotate your API key.', 400);
      try {
        const { newKey, oldKey } = await portal.repositories.keys.rotate({
          orgId,
          graceHours: graceHours as GraceHours,
          createdBy: createdBy(session),
        });
        logger?.info('api key rotated', {
          orgId,
          keyId: oldKey.keyId,
          newKeyId: newKey.record.keyId,
          graceHours,
          outcome: 'rotated',
        });
        await flashKey(c, portal, session, { orgId, keyId: newKey.record.keyId, plaintext: newKey.plaintext });
      } catch (error) {
        if (error instanceof NotFoundError) return refuse('There is no active key to rotate; issue a new one.', 404);
        if (error instanceof ConflictError) return refuse(error.message, 409);
        throw error;
      }
      return redirect(c, '/dashboard?notice=rotated');
    }),
  );

  app.post(
    '/webhook',
    route(async (c, portal) => {
      const member = await requireMember(c, portal);
      if ('response' in member) return member.response;
      const { session, orgId } = member;
      const form = await c.req.parseBody();
      const url = typeof form.url === 'string' ? form.url.trim() : '';
      const { webhooks } = portal.repositories;
      const urlPolicy = urlPolicyOf(portal.settings);
      const [existing] = await webhooks.listAll(orgId);
      try {
        if (existing !== undefined) {
          const saved = await webhooks.update(orgId, existing.webhookId, (current) => ({
            ...current,
            ...onUrlChanged(current, url, clock, urlPolicy),
          }));
          logger?.info('webhook url changed', { orgId, webhookId: saved.webhookId, status: saved.status });
        } else {
          const prefix = portal.settings.webhookSecretPrefix;
          if (deps.secrets === undefined || prefix === undefined) {
            throw new ConflictError('Webhooks cannot be created in the portal here; ask your platform contact.');
          }
          const record = createWebhook({ orgId, url, events: [ALL_EVENTS], source: 'api', clock, urlPolicy });
          const secretArn = await storeWebhookSecret(deps.secrets, prefix, record, generateWebhookSecret());
          const saved = await webhooks.create({ ...record, secretArn });
          logger?.info('webhook created', { orgId, webhookId: saved.webhookId, status: saved.status });
        }
      } catch (error) {
        if (!(error instanceof ValidationError) && !(error instanceof ConflictError)) throw error;
        const message =
          error instanceof ValidationError ? `The URL was not accepted: ${error.message}.` : error.message;
        const model = await dashboardModel(portal, session, orgId, {
          errors: { webhook: message },
          webhookUrlInput: url,
        });
        return c.html(dashboardPage(model), error instanceof ValidationError ? 400 : 409);
      }
      return redirect(c, '/dashboard?notice=webhook-saved');
    }),
  );

  app.post(
    '/logout',
    route(async (c, portal) => {
      deleteCookie(c, portal, 'session');
      deleteCookie(c, portal, 'flash');
      logger?.info('signed out', { outcome: 'signed-out' });
      return redirect(c, '/signed-out');
    }),
  );

  app.get('/signed-out', (c) =>
    c.html(
      messagePage('Signed out', 'You are signed out of the partner portal.', {
        link: { href: '/login', text: 'Sign in again' },
      }),
    ),
  );

  app.notFound((c) =>
    c.html(
      messagePage('Not found', 'There is no such page.', { link: { href: '/', text: 'Back to the portal' } }),
      404,
    ),
  );

  return app;
}

function viewerOf(session: Session | undefined): Viewer | undefined {
  if (session === undefined) return undefined;
  return { email: session.email, csrf: session.csrf, ...(session.name === undefined ? {} : { name: session.name }) };
}

function createdBy(session: Session): string {
  return `portal:${session.email}`;
}

/**
 * On every response: scripts are not allowed at all, forms post only to
 * the portal (and the issuer, whose sign-in form the flow passes through),
 * and no one may frame the portal.
 */
function securityHeaders(c: Context, options: { secure: boolean; issuerOrigin?: string }): void {
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
