/**
 * The API Keys page and its actions: create (name, environment, expiry),
 * rotate and revoke, per key. Every POST checks the member's role as read
 * from the table at that request (`memberRoute`, then `manage-keys`) before
 * it reads the form, so a member's forged POST gets 403 and changes nothing.
 * A new key's plaintext goes to the flash cookie and is revealed once on the
 * dashboard. Each change is written to the org's activity log.
 */
import {
  GRACE_HOURS,
  type GraceHours,
  type KeyEnvironment,
  isKeyEnvironment,
  parseExpiryChoice,
  validityOfChoice,
} from '../../core/api-keys';
import { DomainError, ValidationError } from '../../core/errors';
import { type ActivityAction, assertMay } from '../../core/team';
import type { ApiKeyRecord, IssuedKey } from '../../core/api-keys';
import { keySubject } from '../../shared/activity-log';
import { loggableKey } from '../../shared/observability';
import { keysPage } from '../keys-views';
import { type SignedInMember, memberRoute } from '../members';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { createdBy, flashKey, recordPortalActivity, redirect, statusOf, viewerOf } from '../responses';

const NOTICES: Readonly<Record<string, string>> = { revoked: 'Key revoked; it stopped working at once.' };

type KeyHandler = (
  c: PortalContext,
  portal: PortalRequest,
  member: SignedInMember,
  form: Record<string, unknown>,
) => Promise<Response>;

export const keyRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/keys',
    memberRoute(services, async (c, portal, member) => {
      const notice = NOTICES[c.req.query('notice') ?? ''];
      return c.html(await renderKeys(services, portal, member, notice === undefined ? {} : { notice }));
    }),
  );
  /** A key POST: the role check first, then the form; a refusal re-renders the page with the error. */
  const post = (path: string, handler: KeyHandler) =>
    app.post(
      path,
      memberRoute(services, async (c, portal, member) => {
        assertMay(member.role, 'manage-keys');
        try {
          return await handler(c, portal, member, await c.req.parseBody());
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return c.html(await renderKeys(services, portal, member, { error: error.message }), statusOf(error));
        }
      }),
    );
  post('/keys/issue', async (c, portal, member, form) => {
    const issued = await portal.repositories.keys.issue({
      orgId: member.orgId,
      createdBy: createdBy(member.session),
      ...newKeyOf(form),
    });
    await keyActivity(services, c, portal, member, 'key.created', issued.record);
    return reveal(services, c, portal, member, issued, 'issued');
  });
  post('/keys/rotate', async (c, portal, member, form) => {
    const graceHours = GRACE_HOURS.find((hours) => String(hours) === form.graceHours);
    if (graceHours === undefined) {
      throw new ValidationError(`Choose a grace period of ${GRACE_HOURS.join(', ')} hours.`, { field: 'graceHours' });
    }
    if (form.confirm !== 'yes') throw new ValidationError('Tick the confirmation to rotate the key.');
    const { newKey, oldKey } = await portal.repositories.keys.rotate({
      orgId: member.orgId,
      ...(typeof form.keyId === 'string' && form.keyId !== '' ? { keyId: form.keyId } : {}),
      graceHours: graceHours as GraceHours,
      createdBy: createdBy(member.session),
    });
    await keyActivity(services, c, portal, member, 'key.rotated', oldKey);
    return reveal(services, c, portal, member, newKey, 'rotated');
  });
  post('/keys/revoke', async (c, portal, member, form) => {
    if (form.confirm !== 'yes') throw new ValidationError('Tick the confirmation to revoke the key.');
    if (typeof form.keyId !== 'string' || form.keyId === '') throw new ValidationError('keyId is required');
    const revoked = await portal.repositories.keys.revoke({ orgId: member.orgId, keyId: form.keyId });
    await keyActivity(services, c, portal, member, 'key.revoked', revoked);
    return redirect(c, '/keys?notice=revoked');
  });
};

/** The form's name, environment and expiry; absent fields take the API's defaults. */
function newKeyOf(form: Record<string, unknown>): {
  name?: string;
  environment?: KeyEnvironment;
  validityDays?: number | 'never';
} {
  const name = typeof form.name === 'string' && form.name.trim() !== '' ? form.name.trim() : undefined;
  if (form.environment !== undefined && !isKeyEnvironment(form.environment)) {
    throw new ValidationError('Choose the development or production environment.', { field: 'environment' });
  }
  const expiry = form.expiry === undefined ? undefined : parseExpiryChoice(form.expiry);
  if (form.expiry !== undefined && expiry === undefined) {
    throw new ValidationError('Choose an expiry: never, 30, 90 or 180 days.', { field: 'expiry' });
  }
  return {
    ...(name === undefined ? {} : { name }),
    ...(form.environment === undefined ? {} : { environment: form.environment as KeyEnvironment }),
    ...(expiry === undefined ? {} : validityOfChoice(expiry)),
  };
}

async function reveal(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  member: SignedInMember,
  issued: IssuedKey,
  notice: 'issued' | 'rotated',
): Promise<Response> {
  services.logger?.info(`api key ${notice}`, { orgId: member.orgId, ...loggableKey(issued.record), outcome: notice });
  await flashKey(c, portal, member.session, {
    orgId: member.orgId,
    keyId: issued.record.keyId,
    plaintext: issued.plaintext,
  });
  return redirect(c, `/dashboard?notice=${notice}`);
}

function keyActivity(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  member: SignedInMember,
  action: ActivityAction,
  key: ApiKeyRecord,
): Promise<void> {
  const { orgId, session } = member;
  return recordPortalActivity(services, c, portal, { orgId, email: session.email, action, subject: keySubject(key) });
}

async function renderKeys(
  services: PortalServices,
  portal: PortalRequest,
  member: SignedInMember,
  extra: { readonly notice?: string; readonly error?: string },
): Promise<string> {
  const { keys } = portal.repositories;
  return keysPage({
    viewer: viewerOf(member.session),
    orgName: member.tenant.orgName,
    role: member.role,
    keys: await keys.listAll(member.orgId),
    limit: keys.limitFor(member.tenant),
    now: services.clock.now(),
    ...extra,
  });
}
