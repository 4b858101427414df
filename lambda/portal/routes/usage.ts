/**
 * "View usage" of one API key, for any member of its org (member, admin or
 * owner): the org comes from the session's membership, re-read from the
 * table on each request, and the key is read within it, so another org's
 * key id is simply not found. Reads only: one Query of the key's hours.
 */
import { keyUsage } from '../../api/usage-handlers';
import { maskRecord } from '../../core/api-keys';
import { NotFoundError } from '../../core/errors';
import { memberRoute } from '../members';
import type { PortalRoutes } from '../portal-context';
import { viewerOf } from '../responses';
import { usagePage } from '../usage-views';

/** Ids a path may name: what the APIs accept as a key id. */
const KEY_ID = /^[A-Za-z0-9_-]{1,128}$/;

export const usageRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/keys/:keyId/usage',
    memberRoute(services, async (c, portal, member) => {
      // A bad id, another org's key or a bad granularity is a DomainError: portalRoute maps it to its page.
      const keyId = c.req.param('keyId') ?? '';
      if (!KEY_ID.test(keyId)) throw new NotFoundError('Your organization has no such API key.');
      const granularity = c.req.query('granularity');
      const deps = {
        keys: portal.repositories.keys,
        clock: services.clock,
        ...(services.deps.usage === undefined ? {} : { usage: services.deps.usage }),
        ...(services.deps.partnerRateLimit === undefined
          ? {}
          : { rateLimit: { policy: services.deps.partnerRateLimit } }),
      };
      const usage = await keyUsage(deps, member.orgId, keyId, granularity === undefined ? {} : { granularity });
      const key = await portal.repositories.keys.requireById(member.orgId, keyId);
      return c.html(usagePage({ viewer: viewerOf(member.session), usage, maskedKey: maskRecord(key) }));
    }),
  );
};
