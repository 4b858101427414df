/**
 * The org's webhook URL: a change restarts verification (the old verified
 * URL keeps receiving until the new one answers); a first webhook is made
 * by the same flow as the admin API's, recorded as coming from the portal.
 */
import { enableWebhook } from '../../api/health-handlers';
import { ConflictError, ValidationError } from '../../core/errors';
import type { UrlPolicyOptions } from '../../core/url-policy';
import { ALL_EVENTS } from '../../core/event-catalog';
import { assertChangeAllowed, onUrlChanged } from '../../core/webhooks';
import type { StoredWebhook } from '../../repositories/webhooks-repository';
import { createRuntimeWebhook } from '../../shared/runtime-webhooks';
import { dashboardModel, memberRoute } from '../members';
import type { PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { recordPortalActivity, redirect, statusOf } from '../responses';
import { dashboardPage } from '../views';

export const webhookRoutes: PortalRoutes = (app, services) => {
  app.post(
    '/webhook',
    memberRoute(services, async (c, portal, { session, orgId }) => {
      const form = await c.req.parseBody();
      const url = typeof form.url === 'string' ? form.url.trim() : '';
      try {
        const { saved, created } = await saveWebhookUrl(services, portal, orgId, url);
        await recordPortalActivity(services, c, portal, {
          orgId,
          email: session.email,
          action: created ? 'webhook.created' : 'webhook.updated',
          subject: saved.webhookId,
        });
      } catch (error) {
        if (!(error instanceof ValidationError) && !(error instanceof ConflictError)) throw error;
        const message =
          error instanceof ValidationError ? `The URL was not accepted: ${error.message}.` : error.message;
        const model = await dashboardModel(services, portal, session, orgId, {
          errors: { webhook: message },
          webhookUrlInput: url,
        });
        return c.html(dashboardPage(model), statusOf(error));
      }
      return redirect(c, '/dashboard?notice=webhook-saved');
    }),
  );
  // The disabled banner's Re-enable button: the signed-in org's webhook only (another org's is not found).
  app.post(
    '/webhooks/:id/enable',
    memberRoute(services, async (c, portal, { session, orgId }) => {
      const webhooks = portal.repositories.webhooks;
      const enabled = await enableWebhook(
        { webhooks, clock: services.clock },
        orgId,
        c.req.param('id') ?? '',
        undefined,
        `portal:${session.email}`,
      );
      services.logger?.info('webhook re-enabled', { orgId, webhookId: enabled.webhook.id });
      await recordPortalActivity(services, c, portal, {
        orgId,
        email: session.email,
        action: 'webhook.enabled',
        subject: enabled.webhook.id,
      });
      return redirect(c, '/dashboard?notice=webhook-enabled');
    }),
  );
};

/** The org's (first) webhook gets `url`, or is created with it for every event. */
async function saveWebhookUrl(
  services: PortalServices,
  portal: PortalRequest,
  orgId: string,
  url: string,
): Promise<{ readonly saved: StoredWebhook; readonly created: boolean }> {
  const { clock, logger, deps } = services;
  const { webhooks, tenants } = portal.repositories;
  const urlPolicy: UrlPolicyOptions = deps.urlPolicy ?? { allowHttp: portal.settings.allowHttpWebhooks };
  const [existing] = await webhooks.listAll(orgId);
  if (existing !== undefined) {
    const saved = await webhooks.update(orgId, existing.webhookId, (current) => {
      // A partner file's webhook changes only by a change to that file (409, naming it).
      assertChangeAllowed(current, { url });
      return { ...current, ...onUrlChanged(current, url, clock, urlPolicy) };
    });
    logger?.info('webhook url changed', { orgId, webhookId: saved.webhookId, status: saved.status });
    return { saved, created: false };
  }
  const prefix = portal.settings.webhookSecretPrefix;
  if (deps.secrets === undefined || prefix === undefined) {
    throw new ConflictError('Webhooks cannot be created in the portal here; ask your platform contact.');
  }
  const saved = await createRuntimeWebhook(
    { tenants, webhooks, secrets: deps.secrets, webhookSecretPrefix: prefix, urlPolicy, clock },
    { orgId, url, events: [ALL_EVENTS], source: 'portal' },
  );
  logger?.info('webhook created', { orgId, webhookId: saved.webhookId, status: saved.status });
  return { saved, created: true };
}
