/**
 * The "Recent failed deliveries" page of one webhook: each failure (time,
 * event type, HTTP status, error, attempts, failed or replayed) newest
 * first, a page at a time, a "Replay since…" form and a "Replay" button per
 * row. Every form carries the session's CSRF token and its own request id,
 * made by the server when the page was rendered, so submitting the same
 * form twice replays once. No scripts: plain forms and links.
 */
import type { FailedDelivery } from '../core/failed-deliveries';
import type { StoredWebhook } from '../repositories/webhooks-repository';
import { html, type SafeHtml } from './html';
import { type Viewer, csrfField, failuresPath, layout } from './views';

/** Where the page's replay forms post. */
export function replayPath(webhookId: string): string {
  return `/webhooks/${encodeURIComponent(webhookId)}/replay`;
}

export interface FailuresPageModel {
  readonly viewer: Viewer;
  readonly webhook: StoredWebhook;
  readonly failures: readonly FailedDelivery[];
  /** Present when older failures follow. */
  readonly nextCursor?: string;
  /** Whether this is a later page (a link back to the newest is shown). */
  readonly paged: boolean;
  /** A fresh idempotency key for one form: every form gets its own. */
  readonly newRequestId: () => string;
  /** Whether this deployment can list and replay failures at all. */
  readonly available: boolean;
  readonly notice?: string;
  readonly error?: string;
  /** The "since" the partner typed, kept when it was refused. */
  readonly sinceInput?: string;
}

export function failuresPage(model: FailuresPageModel): string {
  const { webhook } = model;
  return layout(
    'Failed deliveries',
    html`<p><a href="/dashboard">← Dashboard</a></p>
      <h1>Recent failed deliveries</h1>
      <p>Webhook <code id="failures-webhook-url">${webhook.url}</code></p>
      ${model.notice === undefined ? '' : html`<div class="notice" role="status" id="failures-notice">${model.notice}</div>`}
      ${model.error === undefined ? '' : html`<div class="alert" role="alert" id="failures-error">${model.error}</div>`}
      ${model.available ? html`${replaySinceForm(model)} ${failuresTable(model)}` : notAvailable()}`,
    model.viewer,
  );
}

function notAvailable(): SafeHtml {
  return html`<p id="failures-unavailable">Failed deliveries are not recorded in this deployment.</p>`;
}

function replaySinceForm(model: FailuresPageModel): SafeHtml {
  const { viewer, webhook } = model;
  const invalid = model.error !== undefined && model.sinceInput !== undefined;
  return html`<form method="post" action="${replayPath(webhook.webhookId)}" class="card replay-since">
    ${csrfField(viewer)}
    <input type="hidden" name="requestId" value="${model.newRequestId()}" />
    <label for="replay-since">Replay every failed delivery since (UTC)</label>
    <input
      type="datetime-local"
      id="replay-since"
      name="since"
      required
      step="1"
      value="${model.sinceInput ?? ''}"
      aria-describedby="replay-since-hint"
      ${invalid ? html` aria-invalid="true"` : ''}
    />
    <p class="hint" id="replay-since-hint">
      Events that happened at or after this time and are still failed are sent again, through the same rule, retries and
      dead-letter queue. Replayed ones are not sent twice.
    </p>
    <button type="submit">Replay since</button>
  </form>`;
}

function failuresTable(model: FailuresPageModel): SafeHtml {
  if (model.failures.length === 0) {
    return html`<p id="no-failures">${model.paged ? 'No older failed deliveries.' : 'No failed deliveries.'}</p>
      ${pager(model)}`;
  }
  return html`<div class="table-wrap">
      <table id="failures">
        <caption>
          Newest first; times in UTC.
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event type</th>
            <th scope="col">HTTP status</th>
            <th scope="col">Error</th>
            <th scope="col">Attempts</th>
            <th scope="col">Status</th>
            <th scope="col"><span class="visually-hidden">Action</span></th>
          </tr>
        </thead>
        <tbody>
          ${model.failures.map((failure) => failureRow(model, failure))}
        </tbody>
      </table>
    </div>
    ${pager(model)}`;
}

function failureRow(model: FailuresPageModel, failure: FailedDelivery): SafeHtml {
  return html`<tr class="failure" data-event-id="${failure.eventId}">
    <td><time datetime="${failure.eventTime}">${displayTime(failure.eventTime)}</time></td>
    <td class="failure-type">${failure.detailType}</td>
    <td class="failure-http-status">${failure.httpStatus ?? '—'}</td>
    <td class="failure-error"><code>${failure.errorCode}</code> ${failure.errorMessage}</td>
    <td class="failure-attempts">${attemptsText(failure)}</td>
    <td>
      <span class="badge badge-${failure.status} failure-status">${failure.status}</span>
      ${failure.replayedAt === undefined ? '' : html`<span class="hint">${displayTime(failure.replayedAt)}</span>`}
    </td>
    <td>
      <form method="post" action="${replayPath(model.webhook.webhookId)}" class="replay-one">
        ${csrfField(model.viewer)}
        <input type="hidden" name="requestId" value="${model.newRequestId()}" />
        <input type="hidden" name="eventId" value="${failure.eventId}" />
        <button type="submit" class="secondary" aria-label="Replay event ${failure.eventId}">Replay</button>
      </form>
    </td>
  </tr>`;
}

/** Deliveries tried (the first and EventBridge's retries) and, after replays, how often it ended failed. */
function attemptsText(failure: FailedDelivery): string {
  const tries = failure.attempts === undefined ? '—' : String(failure.attempts + 1);
  return failure.failures > 1 ? `${tries} (failed ${failure.failures} times)` : tries;
}

function pager(model: FailuresPageModel): SafeHtml {
  const path = failuresPath(model.webhook.webhookId);
  const links = [
    model.paged ? html`<a href="${path}" id="newest-failures">Newest failures</a>` : '',
    model.nextCursor === undefined
      ? ''
      : html`<a href="${path}?${new URLSearchParams({ cursor: model.nextCursor }).toString()}" id="older-failures"
          >Older failures →</a
        >`,
  ];
  return html`<nav aria-label="Pages" class="nav">${links}</nav>`;
}

function displayTime(iso: string): string {
  return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}
