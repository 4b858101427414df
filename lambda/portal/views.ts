/**
 * The portal's pages: plain server-rendered HTML, no scripts. Every form
 * field has a label, every form carries the session's CSRF token, and the
 * only interactive widgets are native (`<details>`, radio buttons), so the
 * whole portal works with the keyboard alone.
 */
import {
  ORG_ID_HTML_PATTERN,
  ORG_ID_MAX_LENGTH,
  ORG_ID_RULE,
  ORG_NAME_MAX_LENGTH,
  partnerFilePath,
} from '../core/contracts';
import { isRuntimeOwned } from '../core/webhooks';
import { type ApiKeyRecord, GRACE_HOURS, maskRecord } from '../core/api-keys';
import type { TenantRecord } from '../repositories/tenants-repository';
import type { StoredWebhook } from '../repositories/webhooks-repository';
import type { SettingProblem } from './config';
import { html, type SafeHtml } from './html';
import type { FlashKey } from './session';

export const STYLESHEET_PATH = '/static/portal.css';

/** The "Recent failed deliveries" page of one webhook (routes/failures.ts). */
export function failuresPath(webhookId: string): string {
  return `/webhooks/${encodeURIComponent(webhookId)}/failures`;
}

/** Who is signed in, as the header shows them, and the token their forms carry. */
export interface Viewer {
  readonly email: string;
  readonly name?: string;
  readonly csrf: string;
}

export function csrfField(viewer: Viewer): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}" />`;
}

export function layout(title: string, body: SafeHtml, viewer?: Viewer): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>${title} · Partner portal</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">Partner portal</span>
          ${
            viewer === undefined
              ? ''
              : html`<form method="post" action="/logout">
                  <span class="muted">${viewer.name ?? viewer.email}</span>
                  ${csrfField(viewer)}
                  <button type="submit" class="secondary">Sign out</button>
                </form>`
          }
        </header>
        <main id="main">${body}</main>
      </body>
    </html> `.value;
}

export interface OnboardingForm {
  readonly orgId?: string;
  readonly orgName?: string;
  readonly errors?: Readonly<Partial<Record<'orgId' | 'orgName' | 'form', string>>>;
}

export function onboardingPage(viewer: Viewer, form: OnboardingForm = {}): string {
  const errors = form.errors ?? {};
  const field = (name: 'orgId' | 'orgName', label: string, hint: string, value: string | undefined, extra: SafeHtml) =>
    html`<label for="${name}">${label}</label>
      <input
        type="text"
        id="${name}"
        name="${name}"
        value="${value ?? ''}"
        required
        aria-describedby="${name}-hint${errors[name] === undefined ? '' : ` ${name}-error`}"
        ${errors[name] === undefined ? '' : html` aria-invalid="true"`}
        ${extra}
      />
      <p class="hint" id="${name}-hint">${hint}</p>
      ${errors[name] === undefined ? '' : html`<p class="error" id="${name}-error">${errors[name]}</p>`}`;
  return layout(
    'Set up your organization',
    html`<h1>Set up your organization</h1>
      <p>
        Welcome, ${viewer.name ?? viewer.email}. Choose the id your events will carry and your organization's name.
        We'll register it and issue your first API key.
      </p>
      ${errors.form === undefined ? '' : html`<div class="alert" role="alert">${errors.form}</div>`}
      <form method="post" action="/onboarding" class="card" novalidate>
        ${csrfField(viewer)}
        ${field(
          'orgId',
          'Organization id',
          `${ORG_ID_RULE}. It cannot be changed later.`,
          form.orgId,
          html`pattern="${ORG_ID_HTML_PATTERN}" maxlength="${ORG_ID_MAX_LENGTH}" autocomplete="off" spellcheck="false"`,
        )}
        ${field('orgName', 'Organization name', 'As your partners know you, e.g. ACME Corporation.', form.orgName, html`maxlength="${ORG_NAME_MAX_LENGTH}" autocomplete="organization"`)}
        <button type="submit">Create organization</button>
      </form>`,
    viewer,
  );
}

export interface DashboardModel {
  readonly viewer: Viewer;
  readonly tenant: TenantRecord;
  /** The org's live key (active or expiring). */
  readonly activeKey?: ApiKeyRecord;
  /** A key issued a moment ago, shown this once. */
  readonly revealed?: FlashKey;
  /** That key's one view already happened (a replayed or reloaded reveal): say so instead. */
  readonly revealSpent?: boolean;
  readonly webhook?: StoredWebhook;
  /** Every webhook of the org, each linked to its failed deliveries. */
  readonly webhooks: readonly StoredWebhook[];
  /** Whether a first webhook can be created here (the deployment names a secret prefix). */
  readonly canCreateWebhook: boolean;
  readonly notice?: string;
  readonly errors?: Readonly<Partial<Record<'key' | 'webhook', string>>>;
  /** The URL the partner just typed, kept when it was refused. */
  readonly webhookUrlInput?: string;
}

export function dashboardPage(model: DashboardModel): string {
  return layout(
    'Dashboard',
    html`<h1>${model.tenant.orgName}</h1>
      ${model.notice === undefined ? '' : html`<div class="notice" role="status">${model.notice}</div>`}
      <nav aria-label="Portal" class="nav">
        <a href="/events" id="nav-events">Events</a> <a href="/keys" id="nav-keys">API keys</a>
        <a href="/team" id="nav-team">Team</a>
      </nav>
      <div class="cards">
        ${organizationCard(model.tenant)} ${apiKeyCard(model)} ${webhookCard(model)} ${failuresCard(model.webhooks)}
      </div>`,
    model.viewer,
  );
}

function organizationCard(tenant: TenantRecord): SafeHtml {
  return html`<section class="card" aria-labelledby="org-title">
    <h2 id="org-title">Organization</h2>
    <dl>
      <dt>Organization id</dt>
      <dd><code id="org-id">${tenant.orgId}</code></dd>
      <dt>Name</dt>
      <dd>${tenant.orgName}</dd>
      <dt>Status</dt>
      <dd>${tenant.status}</dd>
    </dl>
    <p class="hint">
      This is the partnerId your events carry: every event delivered to you has <code>detail.partnerId</code> =
      <code>${tenant.orgId}</code>.
    </p>
  </section>`;
}

function apiKeyCard(model: DashboardModel): SafeHtml {
  const { viewer, activeKey, revealed } = model;
  const error = model.errors?.key;
  const errorBlock = error === undefined ? '' : html`<p class="error" role="alert" id="key-error">${error}</p>`;
  const spent = model.revealSpent
    ? html`<p class="notice" role="status" id="reveal-spent">
        This key was already shown once and is not shown again; only its masked form is below. If you did not save it,
        rotate the key.
      </p>`
    : '';
  const reveal =
    revealed === undefined
      ? spent
      : html`<div class="warning" id="reveal">
          <p>
            <strong>Save it now, you can't see it again.</strong> Store this key in your secret manager; after you leave
            or reload this page only its masked form is shown.
          </p>
          <details>
            <summary>Reveal API key</summary>
            <code class="secret" id="revealed-key">${revealed.plaintext}</code>
          </details>
        </div>`;
  if (activeKey === undefined) {
    return html`<section class="card" aria-labelledby="key-title">
      <h2 id="key-title">API key</h2>
      ${errorBlock}
      <p id="no-key"><strong>No active key.</strong> Your calls to the partner API are refused until you issue one.</p>
      <form method="post" action="/keys/issue">
        ${csrfField(viewer)}
        <button type="submit">Issue a new API key</button>
      </form>
    </section>`;
  }
  return html`<section class="card" aria-labelledby="key-title">
    <h2 id="key-title">API key</h2>
    ${errorBlock} ${reveal}
    <dl>
      <dt>Key</dt>
      <dd><code id="masked-key">${maskRecord(activeKey)}</code></dd>
      <dt>Status</dt>
      <dd>${activeKey.status}</dd>
      <dt>Created</dt>
      <dd>${activeKey.createdAt.slice(0, 10)}</dd>
      <dt>Expires</dt>
      <dd>${activeKey.expiresAt === undefined ? 'never' : activeKey.expiresAt.slice(0, 10)}</dd>
    </dl>
    <p class="hint">Send it as the <code>X-API-Key</code> header.</p>
    <details id="rotate">
      <summary>Rotate API key</summary>
      <form method="post" action="/keys/rotate">
        ${csrfField(viewer)}
        <fieldset>
          <legend>Keep the current key working for</legend>
          ${GRACE_HOURS.map(
            (hours) =>
              html`<label
                ><input type="radio" name="graceHours" value="${hours}" ${hours === 24 ? html` checked` : ''} /> ${
                  hours === 0 ? 'Revoke it now' : `${hours} hours`
                }</label
              >`,
          )}
        </fieldset>
        <label class="check" for="confirm-rotate"
          ><input type="checkbox" id="confirm-rotate" name="confirm" value="yes" required /> I understand that a new key
          replaces the current one, which stops working when the grace period ends.</label
        >
        <button type="submit">Rotate API key</button>
      </form>
    </details>
  </section>`;
}

const STATUS_TEXT: Readonly<Record<StoredWebhook['status'], string>> = {
  pending: 'Pending verification',
  active: 'Active',
  failed: 'Verification failed',
};

function webhookCard(model: DashboardModel): SafeHtml {
  const { viewer, webhook } = model;
  const error = model.errors?.webhook;
  const canSet = webhook !== undefined || model.canCreateWebhook;
  // A partner file's webhook is shown, never edited here: the portal would answer 409 anyway.
  const managed = webhook !== undefined && !isRuntimeOwned(webhook);
  const current =
    webhook === undefined
      ? html`<p id="no-webhook">No webhook URL configured.</p>`
      : html`<dl>
          <dt>URL</dt>
          <dd><code id="webhook-url">${webhook.url}</code></dd>
          <dt>Status</dt>
          <dd><span class="badge badge-${webhook.status}" id="webhook-status">${STATUS_TEXT[webhook.status]}</span></dd>
          ${
            webhook.verifiedUrl !== undefined && webhook.verifiedUrl !== webhook.url
              ? html`<dt>Delivering to</dt>
                  <dd><code>${webhook.verifiedUrl}</code> until the new URL verifies</dd>`
              : ''
          }
          ${
            webhook.lastError === undefined
              ? ''
              : html`<dt>Last error</dt>
                  <dd id="webhook-error">${webhook.lastError}</dd>`
          }
          ${
            webhook.status === 'active' && webhook.verifiedAt !== undefined
              ? html`<dt>Verified</dt>
                  <dd>${webhook.verifiedAt.slice(0, 16).replace('T', ' ')} UTC</dd>`
              : ''
          }
        </dl>`;
  const form = managed
    ? html`<p class="hint" id="webhook-managed">
        Managed by ${partnerFilePath(webhook.orgId)} — change it by a pull request.
      </p>`
    : canSet
      ? html`<form method="post" action="/webhook">
          ${csrfField(viewer)}
          <label for="webhook-url-input">${webhook === undefined ? 'Webhook URL' : 'New webhook URL'}</label>
          <input
            type="url"
            id="webhook-url-input"
            name="url"
            required
            value="${model.webhookUrlInput ?? ''}"
            placeholder="https://example.com/webhooks"
            aria-describedby="webhook-hint${error === undefined ? '' : ' webhook-form-error'}"
            ${error === undefined ? '' : html` aria-invalid="true"`}
          />
          <p class="hint" id="webhook-hint">
            We send a signed challenge to the URL; it is used once your endpoint answers with a 2xx echoing the
            challenge value.
          </p>
          ${error === undefined ? '' : html`<p class="error" role="alert" id="webhook-form-error">${error}</p>`}
          <button type="submit">Save webhook URL</button>
        </form>`
      : html`<p class="hint">Ask your platform contact to set up your first webhook.</p>`;
  return html`<section class="card" aria-labelledby="webhook-title">
    <h2 id="webhook-title">Webhook URL</h2>
    ${webhook === undefined ? '' : disabledBanner(viewer, webhook)} ${current} ${form}
  </section>`;
}

function failuresCard(webhooks: readonly StoredWebhook[]): SafeHtml | '' {
  if (webhooks.length === 0) return '';
  return html`<section class="card" aria-labelledby="failures-title">
    <h2 id="failures-title">Failed deliveries</h2>
    <p class="hint">Events your endpoint did not accept after our retries, and replay.</p>
    <ul id="failures-links">
      ${webhooks.map(
        (webhook) =>
          html`<li>
            <a href="${failuresPath(webhook.webhookId)}">Recent failed deliveries of <code>${webhook.url}</code></a>
          </li>`,
      )}
    </ul>
  </section>`;
}

/** Endpoint health switched delivery off: say why and offer the one-click way back (CSRF-protected). */
function disabledBanner(viewer: Viewer, webhook: StoredWebhook): SafeHtml | string {
  if (webhook.health?.state !== 'disabled') return '';
  const hours = webhook.health.disabledAfterHours ?? 0;
  return html`<div class="error" role="alert" id="webhook-disabled">
    <p>
      <strong>Disabled after ${String(hours)} hours of failed deliveries.</strong> Events are not sent to this URL until
      you re-enable it; re-enabling replays nothing.
    </p>
    <form method="post" action="/webhooks/${webhook.webhookId}/enable">
      ${csrfField(viewer)}
      <button type="submit" id="webhook-reenable">Re-enable</button>
    </form>
  </div>`;
}

export function messagePage(
  title: string,
  message: string,
  options: { viewer?: Viewer; link?: { href: string; text: string } } = {},
): string {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p>${message}</p>
      ${options.link === undefined ? '' : html`<p><a href="${options.link.href}">${options.link.text}</a></p>`}`,
    options.viewer,
  );
}

export function configErrorPage(problems: readonly SettingProblem[]): string {
  return layout(
    'Portal misconfigured',
    html`<h1>The portal is misconfigured</h1>
      <p>The portal cannot serve requests until an operator fixes these settings:</p>
      <ul id="config-problems">
        ${problems.map((problem) => html`<li><code>${problem.setting}</code> ${problem.message}</li>`)}
      </ul>
      <p class="muted">No value is shown here; check the function's environment and the secrets it names.</p>`,
  );
}

/** A section's heading and its table: one header row of column names, then the rows. */
export function titledTable(
  title: string,
  id: string,
  columns: readonly string[],
  rows: readonly SafeHtml[],
): SafeHtml {
  return html`<h2>${title}</h2>
    <table id="${id}">
      <thead>
        <tr>
          ${columns.map((column) => html`<th scope="col">${column}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
}
