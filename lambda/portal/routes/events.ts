/**
 * The Events page and "Send test event": a member picks one of a webhook's
 * subscribed types and the portal publishes that type's catalog example,
 * `detail.partnerId` forced to the member's own org, through the platform
 * bus with the EventPublisher, so it travels the real routing and shard
 * rules. Per org at most `testEventsPerMinute` (a DynamoDB counter); beyond
 * that a 429 page. The org comes from the session's membership only, and
 * the webhook is read within that org, so no form field can aim elsewhere.
 */
import { ConflictError, ValidationError } from '../../core/errors';
import { type EventCatalog, subscribedTypes } from '../../core/event-catalog';
import { PLATFORM_EVENT_CATALOG } from '../../core/platform-event-catalog';
import { testEventOf } from '../../core/test-events';
import { EventPublisher } from '../../shared/event-publisher';
import { EVENTS_PAGE_PATH, type EventsPageModel, TEST_EVENT_PATH, eventsPage } from '../events-views';
import { type SignedInMember, memberRoute } from '../members';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { redirect, statusOf, viewerOf } from '../responses';
import { TestEventLimit } from '../test-event-limit';

const EVENT_ID = /^[A-Za-z0-9-]{1,64}$/;

export const eventsRoutes: PortalRoutes = (app, services) => {
  const catalog = PLATFORM_EVENT_CATALOG;
  const publishers = new Map<string, EventPublisher>();

  app.get(
    EVENTS_PAGE_PATH,
    memberRoute(services, async (c, portal, member) => {
      const sent = c.req.query('sent');
      const type = c.req.query('type');
      const notice =
        sent !== undefined && EVENT_ID.test(sent) && catalog.types.some((entry) => entry.name === type)
          ? `Test event ${sent} (${type}) was published. It reaches your webhook within seconds if its URL is verified.`
          : undefined;
      return c.html(eventsPage(await eventsModel(services, portal, member, catalog, { notice })));
    }),
  );

  app.post(
    TEST_EVENT_PATH,
    memberRoute(services, async (c, portal, member) => {
      const form = await c.req.parseBody();
      const webhookId = typeof form.webhookId === 'string' ? form.webhookId : '';
      const typeName = typeof form.type === 'string' ? form.type : '';
      const { platformBusName, testEventsPerMinute } = portal.settings;
      const client = services.deps.eventBridge;
      if (platformBusName === undefined || client === undefined) {
        throw new ConflictError('Test events are not available in this deployment.');
      }
      // Read within the member's org: another org's webhook id is simply not found.
      const webhook = await portal.repositories.webhooks.require(member.orgId, webhookId);
      try {
        const event = testEventOf(member.orgId, webhook.events, typeName, catalog);
        const limit = new TestEventLimit(services.deps.doc, portal.settings.tables.tenants, testEventsPerMinute);
        const slot = await limit.take(member.orgId, services.nowSeconds());
        if (!slot.allowed) {
          const error = `Too many test events: at most ${testEventsPerMinute} a minute for your organization. Try again in ${slot.retryAfterSeconds} seconds.`;
          c.header('Retry-After', String(slot.retryAfterSeconds));
          return c.html(eventsPage(await eventsModel(services, portal, member, catalog, { error })), 429);
        }
        let publisher = publishers.get(platformBusName);
        if (publisher === undefined) {
          publisher = new EventPublisher({ client, busName: platformBusName });
          publishers.set(platformBusName, publisher);
        }
        const [eventId] = await publisher.publish([event]);
        services.logger?.info('test event sent', { orgId: member.orgId, webhookId, type: typeName, eventId });
        return redirect(c, `${EVENTS_PAGE_PATH}?${new URLSearchParams({ sent: eventId, type: typeName })}`);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return refused(c, services, portal, member, catalog, error);
      }
    }),
  );
};

async function refused(
  c: PortalContext,
  services: PortalServices,
  portal: PortalRequest,
  member: SignedInMember,
  catalog: EventCatalog,
  error: ValidationError,
): Promise<Response> {
  const model = await eventsModel(services, portal, member, catalog, { error: `Not sent: ${error.message}.` });
  return c.html(eventsPage(model), statusOf(error));
}

async function eventsModel(
  services: PortalServices,
  portal: PortalRequest,
  member: SignedInMember,
  catalog: EventCatalog,
  extra: Pick<EventsPageModel, 'notice' | 'error'>,
): Promise<EventsPageModel> {
  const webhooks = await portal.repositories.webhooks.listAll(member.orgId);
  return {
    viewer: viewerOf(member.session),
    orgId: member.orgId,
    catalog: catalog.types,
    webhooks: webhooks.map((webhook) => ({ webhook, types: subscribedTypes(webhook.events, catalog) })),
    canSendTests: portal.settings.platformBusName !== undefined && services.deps.eventBridge !== undefined,
    testEventsPerMinute: portal.settings.testEventsPerMinute,
    ...(extra.notice === undefined ? {} : { notice: extra.notice }),
    ...(extra.error === undefined ? {} : { error: extra.error }),
  };
}
