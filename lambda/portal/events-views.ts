/**
 * The Events page: every catalog type (name, source, description, example
 * `detail`) and, per webhook of the org, a "Send test event" form offering
 * the types that webhook subscribes to. Every value is escaped by `html`.
 */
import { EVENT_TYPES_PATH } from '../core/contracts';
import { ALL_EVENTS, type EventTypeEntry } from '../core/event-catalog';
import type { StoredWebhook } from '../repositories/webhooks-repository';
import { html, type SafeHtml } from './html';
import { type Viewer, csrfField, layout } from './views';

export const EVENTS_PAGE_PATH = '/events';
export const TEST_EVENT_PATH = '/events/test';

export interface TestableWebhook {
  readonly webhook: StoredWebhook;
  /** The types its rule matches, in catalog order: what a test of it may send. */
  readonly types: readonly EventTypeEntry[];
}

export interface EventsPageModel {
  readonly viewer: Viewer;
  readonly orgId: string;
  readonly catalog: readonly EventTypeEntry[];
  readonly webhooks: readonly TestableWebhook[];
  /** Whether this deployment can publish test events (it names the platform bus). */
  readonly canSendTests: boolean;
  readonly testEventsPerMinute: number;
  readonly notice?: string;
  readonly error?: string;
}

/** A stable, HTML-id-safe anchor for a type name such as `Shadow Update`. */
export function typeAnchor(name: string): string {
  return `type-${name.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

export function eventsPage(model: EventsPageModel): string {
  return layout(
    'Events',
    html`<p><a href="/dashboard">← Dashboard</a></p>
      <h1>Events</h1>
      ${model.notice === undefined ? '' : html`<div class="notice" role="status" id="events-notice">${model.notice}</div>`}
      ${model.error === undefined ? '' : html`<div class="alert" role="alert" id="events-error">${model.error}</div>`}
      ${testEventsCard(model)}
      <h2>Event types</h2>
      <p class="hint">
        Every event arrives as an EventBridge envelope whose <code>detail.partnerId</code> is
        <code>${model.orgId}</code>. The same catalog, with each type's JSON Schema, is at
        <code>GET ${EVENT_TYPES_PATH}</code> (no API key needed).
      </p>
      <ul class="event-types" id="event-types">
        ${model.catalog.map(eventTypeItem)}
      </ul>`,
    model.viewer,
  );
}

function eventTypeItem(type: EventTypeEntry): SafeHtml {
  return html`<li class="card" id="${typeAnchor(type.name)}">
    <h3 class="event-type-name">${type.name}</h3>
    <p>${type.description}</p>
    <p class="hint">Source <code class="event-type-source">${type.source}</code></p>
    <details>
      <summary>Example detail</summary>
      <pre class="example">${JSON.stringify(type.example, null, 2)}</pre>
    </details>
  </li>`;
}

function testEventsCard(model: EventsPageModel): SafeHtml {
  const intro = html`<p class="hint">
    Sends the type's example through the platform bus, with <code>detail.partnerId</code> set to
    <code>${model.orgId}</code>, so it travels your webhook's real rule. At most ${model.testEventsPerMinute} a minute.
  </p>`;
  let body: SafeHtml;
  if (!model.canSendTests) body = html`<p id="no-test-events">Test events are not available in this deployment.</p>`;
  else if (model.webhooks.length === 0) body = html`<p id="no-test-webhooks">You have no webhook to send to yet.</p>`;
  else body = html`${model.webhooks.map((entry) => testEventForm(model.viewer, entry))}`;
  return html`<section class="card" aria-labelledby="test-events-title">
    <h2 id="test-events-title">Send a test event</h2>
    ${intro} ${body}
  </section>`;
}

function testEventForm(viewer: Viewer, { webhook, types }: TestableWebhook): SafeHtml {
  const id = `test-type-${webhook.webhookId}`;
  const subscribed = webhook.events.includes(ALL_EVENTS) ? 'every event type' : webhook.events.join(', ');
  return html`<form method="post" action="${TEST_EVENT_PATH}" class="test-event" data-webhook="${webhook.webhookId}">
    ${csrfField(viewer)}
    <input type="hidden" name="webhookId" value="${webhook.webhookId}" />
    <p><code>${webhook.url}</code> <span class="muted">(${subscribed})</span></p>
    <label for="${id}">Event type</label>
    <select id="${id}" name="type">
      ${types.map((type) => html`<option value="${type.name}">${type.name}</option>`)}
    </select>
    <button type="submit">Send test event</button>
  </form>`;
}
