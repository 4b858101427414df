/**
 * The API Keys page: the create form (name, environment, expiry), the org's
 * keys (name, environment, created, expires, last used, status) with rotate,
 * revoke and a "View usage" link. Rotate, revoke and create appear only for
 * the roles that may use them (core/team.ts `manage-keys`); the server checks
 * again on every POST. Plain forms and native widgets, so the page works
 * with the keyboard. Keys show masked; a new key's plaintext is revealed
 * once on the dashboard.
 */
import { type ApiKeyRecord, GRACE_HOURS, KEY_ENVIRONMENTS, KEY_EXPIRY_CHOICES, isLiveKey } from '../core/api-keys';
import type { TeamRole } from '../core/team';
import { may } from '../core/team';
import { credentialViewOf } from '../api/views';
import { html, type SafeHtml } from './html';
import { usagePath } from './usage-views';
import { type Viewer, csrfField, layout, titledTable } from './views';

export interface KeysPageModel {
  readonly viewer: Viewer;
  readonly orgName: string;
  readonly role: TeamRole;
  readonly keys: readonly ApiKeyRecord[];
  /** The org's key policy limit per environment. */
  readonly limit: number;
  readonly now: Date;
  readonly notice?: string;
  readonly error?: string;
}

export function keysPage(model: KeysPageModel): string {
  const manage = may(model.role, 'manage-keys');
  return layout(
    'API keys',
    html`<h1>API keys of ${model.orgName}</h1>
      ${model.notice === undefined ? '' : html`<p class="notice" role="status">${model.notice}</p>`}
      ${model.error === undefined ? '' : html`<p class="error" role="alert">${model.error}</p>`}
      <p>At most ${model.limit} active ${model.limit === 1 ? 'key' : 'keys'} per environment.</p>
      ${manage ? createForm(model) : ''} ${keysTable(model, manage)}`,
    model.viewer,
  );
}

function createForm(model: KeysPageModel): SafeHtml {
  return html`<form method="post" action="/keys/issue" id="create-key">
    ${csrfField(model.viewer)}
    <h2>Create API key</h2>
    <label for="key-name">Name</label>
    <input id="key-name" name="name" required maxlength="64" placeholder="Production App" />
    <label for="key-environment">Environment</label>
    <select id="key-environment" name="environment">
      ${KEY_ENVIRONMENTS.map((environment) => html`<option value="${environment}">${environment}</option>`)}
    </select>
    <label for="key-expiry">Expires</label>
    <select id="key-expiry" name="expiry">
      ${KEY_EXPIRY_CHOICES.map(
        (choice) =>
          html`<option value="${String(choice)}">${choice === 'never' ? 'Never' : `In ${choice} days`}</option>`,
      )}
    </select>
    <button type="submit">Generate API key</button>
  </form>`;
}

function keysTable(model: KeysPageModel, manage: boolean): SafeHtml {
  const rows = model.keys.map((record) => {
    const view = credentialViewOf(record, model.now);
    return html`<tr class="api-key" data-key-id="${view.id}" data-environment="${view.environment}">
      <td class="key-name">${view.name}</td>
      <td>${view.environment}</td>
      <td><code>${view.key}</code></td>
      <td><time datetime="${view.createdAt}">${view.createdAt}</time></td>
      <td>${view.expiresAt ?? 'never'} (${view.expiresIn})</td>
      <td>${view.lastUsedAt ?? 'never'}</td>
      <td class="key-status">${view.status}</td>
      <td>
        <a href="${usagePath(view.id)}">View usage</a>
        ${manage && isLiveKey(record) ? keyActions(model.viewer, view.id) : ''}
      </td>
    </tr>`;
  });
  return titledTable(
    'Keys',
    'api-keys',
    ['Name', 'Environment', 'Key', 'Created', 'Expires', 'Last used', 'Status', 'Actions'],
    rows,
  );
}

function keyActions(viewer: Viewer, keyId: string): SafeHtml {
  return html`<form method="post" action="/keys/rotate" class="inline">
      ${csrfField(viewer)}
      <input type="hidden" name="keyId" value="${keyId}" />
      <label
        >Grace
        <select name="graceHours">
          ${GRACE_HOURS.map((hours) => html`<option value="${String(hours)}">${hours} h</option>`)}
        </select>
      </label>
      <label><input type="checkbox" name="confirm" value="yes" required /> Rotate this key</label>
      <button type="submit">Rotate</button>
    </form>
    <form method="post" action="/keys/revoke" class="inline">
      ${csrfField(viewer)}
      <input type="hidden" name="keyId" value="${keyId}" />
      <label><input type="checkbox" name="confirm" value="yes" required /> Revoke at once</label>
      <button type="submit">Revoke</button>
    </form>`;
}
