/**
 * The dashboard: the org, its live key (the plaintext only in the one view
 * right after it was issued, from the encrypted flash cookie, whose reveal
 * nonce that view uses up on the server) and its webhook.
 */
import { dashboardModel, memberRoute } from '../members';
import type { PortalRoutes } from '../portal-context';
import { deleteCookie } from '../responses';
import { cookieName } from '../session';
import { dashboardPage } from '../views';

const NOTICES: Readonly<Record<string, string>> = {
  onboarded: 'Your organization is registered and its first API key is ready.',
  issued: 'A new API key was issued.',
  rotated: 'Your API key was rotated.',
  'webhook-saved': 'Webhook URL saved. It is used once your endpoint answers our signed challenge.',
  'webhook-enabled':
    'Webhook re-enabled: new events are delivered again. Failed deliveries are not replayed unless you ask.',
};

export const dashboardRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/dashboard',
    memberRoute(services, async (c, portal, { session, orgId }) => {
      const flashCookie = portal.cookies.get(cookieName('flash', portal.secure));
      const flash = await portal.codec.decryptFlash(flashCookie, session);
      if (flashCookie !== undefined) deleteCookie(c, portal, 'flash');
      const notice = NOTICES[c.req.query('notice') ?? ''];
      const model = await dashboardModel(services, portal, session, orgId, notice === undefined ? {} : { notice });
      // Shown only while it is still the org's live key, only to this org, and only once.
      if (flash === undefined || flash.orgId !== orgId || model.activeKey?.keyId !== flash.keyId) {
        return c.html(dashboardPage(model));
      }
      const first = await portal.sessions.consumeReveal(flash.nonce, orgId, flash.keyId);
      return c.html(dashboardPage(first ? { ...model, revealed: flash } : { ...model, revealSpent: true }));
    }),
  );
};
