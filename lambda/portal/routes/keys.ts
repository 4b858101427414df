/** Issuing and rotating the org's API key; the new plaintext goes to the flash cookie, shown once. */
import { GRACE_HOURS, type GraceHours } from '../../core/api-keys';
import { ConflictError, NotFoundError } from '../../core/errors';
import { loggableKey } from '../../shared/observability';
import { dashboardModel, memberRoute } from '../members';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { createdBy, flashKey, redirect, statusOf } from '../responses';
import type { Session } from '../session';
import { dashboardPage } from '../views';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const keyRoutes: PortalRoutes = (app, services) => {
  app.post(
    '/keys/issue',
    memberRoute(services, async (c, portal, { session, orgId }) => {
      try {
        const issued = await portal.repositories.keys.issue({ orgId, createdBy: createdBy(session) });
        services.logger?.info('api key issued', { orgId, ...loggableKey(issued.record), outcome: 'created' });
        await flashKey(c, portal, session, { orgId, keyId: issued.record.keyId, plaintext: issued.plaintext });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const model = await dashboardModel(services, portal, session, orgId, { errors: { key: error.message } });
        return c.html(dashboardPage(model), statusOf(error));
      }
      return redirect(c, '/dashboard?notice=issued');
    }),
  );
  app.post(
    '/keys/rotate',
    memberRoute(services, (c, portal, { session, orgId }) => rotate(services, c, portal, session, orgId)),
  );
};

async function rotate(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  session: Session,
  orgId: string,
): Promise<Response> {
  const form = await c.req.parseBody();
  const graceHours = GRACE_HOURS.find((hours) => String(hours) === form.graceHours);
  const refuse = async (message: string, status: ContentfulStatusCode) =>
    c.html(dashboardPage(await dashboardModel(services, portal, session, orgId, { errors: { key: message } })), status);
  if (graceHours === undefined) return refuse(`Choose a grace period of ${GRACE_HOURS.join(', ')} hours.`, 400);
  if (form.confirm !== 'yes') return refuse('Tick the confirmation to rotate your API key.', 400);
  try {
    const { newKey, oldKey } = await portal.repositories.keys.rotate({
      orgId,
      graceHours: graceHours as GraceHours,
      createdBy: createdBy(session),
    });
    services.logger?.info('api key rotated', {
      orgId,
      keyId: oldKey.keyId,
      newKeyId: newKey.record.keyId,
      graceHours,
      outcome: 'rotated',
    });
    await flashKey(c, portal, session, { orgId, keyId: newKey.record.keyId, plaintext: newKey.plaintext });
  } catch (error) {
    if (error instanceof NotFoundError) {
      return refuse('There is no active key to rotate; issue a new one.', statusOf(error));
    }
    if (error instanceof ConflictError) return refuse(error.message, statusOf(error));
    throw error;
  }
  return redirect(c, '/dashboard?notice=rotated');
}
