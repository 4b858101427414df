/**
 * A webhook's recent failed deliveries and their replay, for members of its
 * org. The org comes from the session's membership only and the webhook is
 * read within it (another org's webhook id is simply not found, and nothing
 * is written); listing and replaying go through the same FailureReplay the
 * partner and admin APIs use (lambda/shared/failure-replay.ts, via
 * lambda/api/failure-handlers.ts for the replay). Each form carries a
 * request id the server made when it rendered the page, the replay's
 * idempotency key: a double submit replays once.
 */
import { randomAlphanumeric } from '../../core/random';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors';
import type { FailureReplayPort } from '../../shared/failure-replay';
import { replayFailures } from '../../api/failure-handlers';
import { type FailuresPageModel, failuresPage } from '../failures-views';
import { type SignedInMember, memberRoute } from '../members';
import type { PortalContext, PortalRequest, PortalRoutes, PortalServices } from '../portal-context';
import { createdBy, recordPortalActivity, redirect, statusOf, viewerOf } from '../responses';
import { failuresPath, messagePage } from '../views';

/** Failures a page shows. */
export const FAILURES_PAGE_SIZE = 25;
/** Ids a path may name: what the APIs accept as a webhook id. */
const WEBHOOK_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** A request id this page made: a prefix and 24 random characters. */
const PORTAL_REQUEST_ID = /^portal-[A-Za-z0-9]{24}$/;
const EVENT_ID = /^[\w-]{1,128}$/;
/** What `<input type="datetime-local">` sends, read as UTC. */
const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;
const COUNT = /^\d{1,6}$/;

const newRequestId = () => `portal-${randomAlphanumeric(24)}`;

interface PageOptions {
  readonly cursor?: string;
  readonly notice?: string;
  readonly error?: string;
  readonly sinceInput?: string;
}

export const failuresRoutes: PortalRoutes = (app, services) => {
  app.get(
    '/webhooks/:id/failures',
    memberRoute(services, async (c, portal, member) => {
      const cursor = c.req.query('cursor');
      try {
        return c.html(await renderPage(services, c, portal, member, { cursor, notice: replayNotice(c) }));
      } catch (error) {
        if (!(error instanceof ValidationError) || error.field !== 'cursor') throw error;
        const link = { href: failuresPath(webhookIdOf(c)), text: 'Newest failed deliveries' };
        const text = 'This page link is not one the portal made, so there is nothing to show. Start from the newest.';
        return c.html(messagePage('Page not found', text, { viewer: viewerOf(member.session), link }), 400);
      }
    }),
  );

  app.post(
    '/webhooks/:id/replay',
    memberRoute(services, async (c, portal, member) => {
      const webhookId = webhookIdOf(c);
      const form = await c.req.parseBody();
      const since = typeof form.since === 'string' ? form.since.trim() : undefined;
      try {
        const body = replayBodyOf(form.requestId, since, form.eventId);
        const replay = requireReplay(services);
        // The API's replay path: it re-reads the webhook within the member's org before anything is written.
        const deps = { webhooks: portal.repositories.webhooks, failureReplay: replay };
        const outcome = await replayFailures(deps, member.orgId, webhookId, body, createdBy(member.session));
        await recordPortalActivity(services, c, portal, {
          orgId: member.orgId,
          email: member.session.email,
          action: 'webhook.replayed',
          subject: webhookId,
        });
        services.logger?.info('failures replayed', {
          orgId: member.orgId,
          webhookId,
          replayId: outcome.replayId,
          published: outcome.published,
          duplicate: outcome.duplicate,
        });
        const query: Record<string, string> = outcome.duplicate
          ? { replay: 'duplicate' }
          : { replay: 'sent', count: String(outcome.published) };
        return redirect(c, `${failuresPath(webhookId)}?${new URLSearchParams(query).toString()}`);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const page = await renderPage(services, c, portal, member, {
          error: `Nothing was replayed: ${error.message}.`,
          ...(since === undefined ? {} : { sinceInput: since }),
        });
        return c.html(page, statusOf(error));
      }
    }),
  );
};

async function renderPage(
  services: PortalServices,
  c: PortalContext,
  portal: PortalRequest,
  member: SignedInMember,
  options: PageOptions,
): Promise<string> {
  // As listFailures does (found in the member's org first), but the page shows the records' attempts too.
  const webhook = await portal.repositories.webhooks.require(member.orgId, webhookIdOf(c));
  const replay = services.deps.failureReplay;
  const page =
    replay === undefined
      ? { items: [] }
      : await replay.list(member.orgId, webhook.webhookId, { limit: FAILURES_PAGE_SIZE, cursor: options.cursor });
  const model: FailuresPageModel = {
    viewer: viewerOf(member.session),
    webhook,
    failures: page.items,
    ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    paged: options.cursor !== undefined && options.cursor !== '',
    newRequestId,
    available: replay !== undefined,
    ...(options.notice === undefined ? {} : { notice: options.notice }),
    ...(options.error === undefined ? {} : { error: options.error }),
    ...(options.sinceInput === undefined ? {} : { sinceInput: options.sinceInput }),
  };
  return failuresPage(model);
}

/** The path's webhook id; one no webhook can have is not found. */
function webhookIdOf(c: PortalContext): string {
  const webhookId = c.req.param('id') ?? '';
  if (!WEBHOOK_ID.test(webhookId)) throw new NotFoundError('webhook not found');
  return webhookId;
}

function requireReplay(services: PortalServices): FailureReplayPort {
  const replay = services.deps.failureReplay;
  if (replay === undefined) throw new ConflictError('Failed deliveries are not recorded in this deployment.');
  return replay;
}

/** The API's replay body from the form: its request id, and a time (read as UTC) or one event. */
function replayBodyOf(
  requestId: unknown,
  since: string | undefined,
  eventId: unknown,
): { requestId: string; since?: string; eventIds?: string[] } {
  if (typeof requestId !== 'string' || !PORTAL_REQUEST_ID.test(requestId)) {
    throw new ValidationError('the form has expired; reload the page and try again', { field: 'requestId' });
  }
  if (typeof eventId === 'string') {
    if (!EVENT_ID.test(eventId)) throw new ValidationError('that is not an event of this list', { field: 'eventId' });
    return { requestId, eventIds: [eventId] };
  }
  const time = since !== undefined && LOCAL_DATETIME.test(since) ? new Date(`${since}Z`) : undefined;
  // A date that does not exist (31 February) is refused, not rolled over.
  if (time === undefined || Number.isNaN(time.getTime()) || !time.toISOString().startsWith(since ?? '')) {
    throw new ValidationError('give the date and time (UTC) to replay from', { field: 'since' });
  }
  return { requestId, since: time.toISOString() };
}

function replayNotice(c: PortalContext): string | undefined {
  const replay = c.req.query('replay');
  if (replay === 'duplicate') return 'This replay was already requested; nothing was sent again.';
  const count = c.req.query('count');
  if (replay !== 'sent' || count === undefined || !COUNT.test(count)) return undefined;
  const events = count === '1' ? '1 event was' : `${Number(count)} events were`;
  return `${events} sent again. They reach your endpoint within seconds; any that fail again are listed here again.`;
}
