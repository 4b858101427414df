/**
 * The partner portal: partners sign in with OIDC, register their org, see
 * their API key (the plaintext once, right after it is issued), rotate it
 * and set their webhook URL. Server-rendered HTML with no scripts, over the
 * same core and repositories as the APIs.
 *
 * Composed from shared middleware (settings and session, security headers,
 * CSRF: middleware.ts), one error mapping (responses.ts) and one module per
 * feature under routes/. A new page is a new route module added to
 * ROUTE_MODULES.
 */
import { Hono } from 'hono';
import { systemClock } from '../core/clock';
import { csrfMiddleware, securityHeaders, sessionMiddleware, settingsMiddleware } from './middleware';
import type { PortalApp, PortalDependencies, PortalEnv, PortalRoutes, PortalServices } from './portal-context';
import { BACK_TO_PORTAL } from './responses';
import { dashboardRoutes } from './routes/dashboard';
import { eventsRoutes } from './routes/events';
import { failuresRoutes } from './routes/failures';
import { keyRoutes } from './routes/keys';
import { onboardingRoutes } from './routes/onboarding';
import { invitationRoutes } from './routes/invitations';
import { signInRoutes } from './routes/sign-in';
import { teamRoutes } from './routes/team';
import { usageRoutes } from './routes/usage';
import { webhookRoutes } from './routes/webhook';
import { PORTAL_CSS } from './styles';
import { STYLESHEET_PATH, messagePage } from './views';

export type { PortalApp, PortalDependencies, PortalLogger } from './portal-context';

/** Every feature's routes, in the order they are added. */
const ROUTE_MODULES: readonly PortalRoutes[] = [
  signInRoutes,
  onboardingRoutes,
  dashboardRoutes,
  keyRoutes,
  webhookRoutes,
  eventsRoutes,
  failuresRoutes,
  teamRoutes,
  invitationRoutes,
  usageRoutes,
];

export function createPortalApp(deps: PortalDependencies): PortalApp {
  const clock = deps.clock ?? systemClock;
  const services: PortalServices = {
    deps,
    clock,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    nowSeconds: () => Math.floor(clock.now().getTime() / 1000),
  };
  const app = new Hono<PortalEnv>();

  // The stylesheet needs no settings, so a broken setting still gets a styled error page.
  app.get(STYLESHEET_PATH, (c) => {
    securityHeaders(c, { secure: false });
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(PORTAL_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  app.use('*', settingsMiddleware(services));
  app.on('POST', '*', csrfMiddleware(services));
  app.use('*', sessionMiddleware(services));
  app.get('/healthz', (c) => c.text('ok'));
  for (const routes of ROUTE_MODULES) routes(app, services);
  app.notFound((c) => c.html(messagePage('Not found', 'There is no such page.', BACK_TO_PORTAL), 404));
  return app;
}
