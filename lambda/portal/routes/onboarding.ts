/**
 * Onboarding: a signed-in user without an org registers one (the orgId
 * rule is the platform's one rule, so a portal org can later get a partner
 * file) and gets its first API key, revealed once on the dashboard.
 */
import { ORG_ID_MESSAGE, ORG_NAME_MAX_LENGTH, isValidOrgId } from '../../core/contracts';
import { ConflictError, ValidationError } from '../../core/errors';
import { loggableError, loggableKey } from '../../shared/observability';
import { AlreadyMemberError } from '../memberships';
import { accessEnded, memberStatus } from '../members';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { createdBy, flashKey, portalRoute, redirect, statusOf, viewerOf } from '../responses';
import type { Session } from '../session';
import { type OnboardingForm, onboardingPage } from '../views';

export const onboardingRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/onboarding',
    portalRoute(services, async (c, portal) => {
      if (portal.session === undefined) return redirect(c, '/login');
      const status = await memberStatus(services, portal, portal.session);
      if (status.state === 'ended') return accessEnded(services, c, portal, portal.session, status);
      if (status.state === 'member') return redirect(c, '/dashboard');
      return c.html(onboardingPage(viewerOf(portal.session)));
    }),
  );
  app.post(
    '/onboarding',
    portalRoute(services, (c, portal) => onboard(services, c, portal)),
  );
};

async function onboard(services: PortalServices, c: PortalContext, portal: PortalRequest): Promise<Response> {
  const session = portal.session!;
  const viewer = viewerOf(session);
  const status = await memberStatus(services, portal, session);
  if (status.state === 'ended') return accessEnded(services, c, portal, session, status);
  if (status.state === 'member') return redirect(c, '/dashboard');
  const form = readOnboardingForm(await c.req.parseBody());
  if (form.errors !== undefined) return c.html(onboardingPage(viewer, form), 400);
  const { orgId, orgName } = form;
  try {
    await portal.memberships.registerTenant(
      portal.repositories.tenants,
      session,
      { orgId, orgName, ownerEmail: session.email, source: 'portal' },
      services.clock.now(),
    );
  } catch (error) {
    if (error instanceof AlreadyMemberError) return redirect(c, '/dashboard');
    if (error instanceof ConflictError) {
      const errors = { orgId: `"${orgId}" is already taken. Choose another organization id.` };
      return c.html(onboardingPage(viewer, { orgId, orgName, errors }), statusOf(error));
    }
    if (error instanceof ValidationError) {
      return c.html(onboardingPage(viewer, { orgId, orgName, errors: { form: error.message } }), statusOf(error));
    }
    throw error;
  }
  services.logger?.info('tenant registered', { orgId, source: 'portal', outcome: 'created' });
  await issueFirstKey(services, c, portal, session, orgId);
  return redirect(c, '/dashboard?notice=onboarded');
}

type ReadForm = { orgId: string; orgName: string; errors?: NonNullable<OnboardingForm['errors']> };

/** The form's values, trimmed, and what is wrong with them (`errors` absent when nothing is). */
export function readOnboardingForm(body: Record<string, unknown>): ReadForm {
  const orgId = typeof body.orgId === 'string' ? body.orgId.trim() : '';
  const orgName = typeof body.orgName === 'string' ? body.orgName.trim() : '';
  const errors: { orgId?: string; orgName?: string } = {};
  if (!isValidOrgId(orgId)) errors.orgId = `Organization id ${ORG_ID_MESSAGE}.`;
  if (orgName === '') errors.orgName = 'Organization name must not be empty.';
  else if (orgName.length > ORG_NAME_MAX_LENGTH) {
    errors.orgName = `Organization name must be at most ${ORG_NAME_MAX_LENGTH} characters.`;
  }
  return errors.orgId === undefined && errors.orgName === undefined ? { orgId, orgName } : { orgId, orgName, errors };
}

async function issueFirstKey(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  session: Session,
  orgId: string,
): Promise<void> {
  try {
    const issued = await portal.repositories.keys.issue({ orgId, createdBy: createdBy(session) });
    services.logger?.info('api key issued', { orgId, ...loggableKey(issued.record), outcome: 'created' });
    await flashKey(c, portal, session, { orgId, keyId: issued.record.keyId, plaintext: issued.plaintext });
  } catch (error) {
    // The org exists; the dashboard's "No active key" state offers the fix.
    services.logger?.error('first api key not issued', { orgId, error: loggableError(error) });
  }
}
