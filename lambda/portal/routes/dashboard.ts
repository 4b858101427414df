/**
 * The dashboard: the org, its live key (the plaintext only in the one view
 * right after it was issued, from the encrypted flash cookie) and its webhook.
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
      // Shown only while it is still the org's live key and only to this org.
      const revealed =
        flash !== undefined && flash.orgId === orgId && model.activeKey?.keyId === flash.keyId ? flash : undefined;
      return c.html(dashboardPage(revealed === undefined ? model : { ...model, revealed }));
    }),
  );
};
