/**
 * The onboarding custom resource, one per partner, called by the
 * `custom-resources` Provider framework: return `{ PhysicalResourceId, Data }`
 * to succeed, throw to fail (the message becomes the stack event's reason,
 * so messages name the org and field, never key material).
 *
 * - Create: register the tenant, issue its initial key into the pickup
 *   secret (see initial-key.ts), record each webhook as pending.
 * - Update: apply the changed profile and webhooks (URL change -> pending,
 *   removed -> deleted, added -> pending). Keys are left alone.
 * - Delete: disable the tenant and revoke its keys; all data is kept.
 *
 * Every step is a conditional write or an upsert that reads first, so the
 * same request delivered again, or retried after a crash at any step,
 * converges on the same state: one tenant, one live key, one pickup secret.
 * The physical id `partner:<orgId>` is stable; a changed orgId is a new id,
 * and CloudFormation then deletes the old partner.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { Clock } from '../core/clock';
import { ConflictError, NotFoundError } from '../core/errors';
import type { RandomSource } from '../core/random';
import type { UrlPolicyOptions } from '../core/url-policy';
import { createWebhook, onEventsChanged, onUrlChanged } from '../core/webhooks';
import type { ApiKeysRepository } from '../repositories/api-keys-repository';
import type { TenantsRepository } from '../repositories/tenants-repository';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import { reprovisionRuntimeWebhooks } from '../shared/runtime-webhooks';
import type { SecretStore } from '../shared/secret-store';
import { ensureInitialKey, pickupSecretName } from './initial-key';
import { type OnboardingProperties, type OnboardingWebhook, parseOnboardingProperties } from './onboarding-properties';

export const PHYSICAL_ID_PREFIX = 'partner:';

export interface OnboardingDependencies {
  readonly tenants: TenantsRepository;
  readonly keys: ApiKeysRepository;
  readonly webhooks: WebhooksRepository;
  readonly secrets: SecretStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Secret name prefix for pickup secrets, e.g. `partner-platform/dev/pickup/`. */
  readonly pickupSecretPrefix: string;
  /** The environment's webhook URL rules (http in dev only). */
  readonly urlPolicy: UrlPolicyOptions;
  /** @default node:crypto randomBytes */
  readonly random?: RandomSource;
}

/** What the Provider framework expects back. `Data` is readable with Fn::GetAtt; it never holds a secret. */
export interface OnboardingResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: {
    readonly OrgId: string;
    /** Where the partner's initial key waits; read it once, then delete or rotate. */
    readonly PickupSecretName: string;
    readonly ActiveKeyId: string;
  };
}

export function physicalIdFor(orgId: string): string {
  return `${PHYSICAL_ID_PREFIX}${orgId}`;
}

export async function handleOnboardingEvent(
  event: CloudFormationCustomResourceEvent,
  deps: OnboardingDependencies,
): Promise<OnboardingResponse> {
  const { logger } = deps;
  logger.appendKeys({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId });
  try {
    switch (event.RequestType) {
      case 'Create':
        return await onboard(parseOnboardingProperties(event.ResourceProperties), deps, 'Create');
      case 'Update':
        return await onboard(parseOnboardingProperties(event.ResourceProperties), deps, 'Update');
      case 'Delete':
        return await offboard(event.PhysicalResourceId, deps);
    }
  } finally {
    logger.removeKeys(['requestType', 'logicalResourceId']);
  }
}

async function onboard(
  props: OnboardingProperties,
  deps: OnboardingDependencies,
  requestType: 'Create' | 'Update',
): Promise<OnboardingResponse> {
  const { orgId } = props;
  const before = await deps.tenants.get(orgId);
  const { created } = await deps.tenants.ensure({
    orgId,
    orgName: props.orgName,
    ownerEmail: props.ownerEmail,
    apiKeyValidityDays: props.apiKeyValidityDays,
    rotationGraceHours: props.rotationGraceHours,
    ...(props.maxActivePerEnvironment === undefined ? {} : { maxActivePerEnvironment: props.maxActivePerEnvironment }),
    source: 'config',
  });
  deps.logger.info('tenant registered', { orgId, outcome: created ? 'created' : 'updated' });
  if (before?.status === 'disabled') await reprovisionRuntimeWebhooks(deps.webhooks, orgId, deps.clock);
  // Lets the owner find the org when first signing in to the portal.
  await deps.tenants.recordOwner(orgId, props.ownerEmail);

  // Update leaves keys alone unless the partner never got one: an Update
  // whose Create failed half-way (the physical id exists) must still finish it.
  const live = requestType === 'Create' ? undefined : await deps.keys.getActive(orgId);
  const needsKey = requestType === 'Create' || (live === undefined && !(await hasAnyKey(deps, orgId)));
  const key = needsKey
    ? await ensureInitialKey(orgId, props.apiKeyValidityDays, deps)
    : {
        keyId: live?.keyId ?? 'none',
        keyPrefix: '',
        issued: false,
        pickupSecretName: pickupSecretName(deps.pickupSecretPrefix, orgId),
      };
  if (key.issued) {
    deps.logger.info('initial API key issued', {
      orgId,
      keyId: key.keyId,
      keyPrefix: key.keyPrefix,
      outcome: 'issued',
    });
    deps.metrics?.addMetric('InitialKeysIssued', 'Count', 1);
  }

  const changes = await syncWebhooks(props, deps);
  deps.logger.info('webhooks synchronised', { orgId, ...changes });
  if (created) deps.metrics?.addMetric('TenantsOnboarded', 'Count', 1);

  return {
    PhysicalResourceId: physicalIdFor(orgId),
    Data: {
      OrgId: orgId,
      PickupSecretName: key.pickupSecretName,
      ActiveKeyId: key.keyId,
    },
  };
}

async function hasAnyKey(deps: OnboardingDependencies, orgId: string): Promise<boolean> {
  const page = await deps.keys.listByOrg(orgId, { limit: 1 });
  return page.items.length > 0;
}

interface WebhookChanges {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly unchanged: number;
}

/**
 * Makes the org's config webhooks match the properties. Webhooks created
 * through the API (`source: 'api'`) are not the config's to remove.
 */
async function syncWebhooks(props: OnboardingProperties, deps: OnboardingDependencies): Promise<WebhookChanges> {
  const { orgId } = props;
  const existing = new Map((await deps.webhooks.listAll(orgId)).map((hook) => [hook.webhookId, hook]));
  let added = 0;
  let changed = 0;
  let unchanged = 0;
  for (const desired of props.webhooks) {
    const current = existing.get(desired.id);
    if (current === undefined) {
      try {
        await deps.webhooks.create({
          ...createWebhook({
            orgId,
            webhookId: desired.id,
            url: desired.url,
            events: desired.events,
            source: 'config',
            clock: deps.clock,
            urlPolicy: deps.urlPolicy,
          }),
          ...binding(desired),
        });
        added++;
        deps.logger.info('webhook recorded as pending', { orgId, webhookId: desired.id, outcome: 'pending' });
        continue;
      } catch (error) {
        // Created by a concurrent delivery of this request: reconcile it like any existing one.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    const result = await deps.webhooks.update(orgId, desired.id, (hook) => reconcile(hook, desired, deps));
    if (result.version === (current?.version ?? result.version)) unchanged++;
    else {
      changed++;
      deps.logger.info('webhook updated', { orgId, webhookId: desired.id, status: result.status });
    }
  }

  const wanted = new Set(props.webhooks.map((hook) => hook.id));
  let removed = 0;
  for (const hook of existing.values()) {
    if (hook.source !== 'config' || wanted.has(hook.webhookId)) continue;
    try {
      await deps.webhooks.delete(orgId, hook.webhookId);
      removed++;
      deps.logger.info('webhook removed', { orgId, webhookId: hook.webhookId, outcome: 'deleted' });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return { added, changed, removed, unchanged };
}

/** The webhook as the properties want it; the same object when nothing differs. */
function reconcile(hook: StoredWebhook, desired: OnboardingWebhook, deps: OnboardingDependencies): StoredWebhook {
  let next: StoredWebhook = hook;
  if (desired.url !== hook.url) {
    next = onUrlChanged(next, desired.url, deps.clock, deps.urlPolicy) as StoredWebhook;
  }
  if (JSON.stringify(desired.events) !== JSON.stringify(hook.events)) {
    next = onEventsChanged(next, desired.events, deps.clock) as StoredWebhook;
  }
  const wantedBinding = binding(desired);
  if (
    wantedBinding.secretArn !== hook.secretArn ||
    wantedBinding.connectionName !== hook.connectionName ||
    wantedBinding.apiDestinationName !== hook.apiDestinationName ||
    hook.source !== 'config'
  ) {
    next = { ...next, ...wantedBinding, source: 'config', updatedAt: deps.clock.now().toISOString() };
  }
  return next;
}

function binding(desired: OnboardingWebhook) {
  return {
    secretArn: desired.secretArn,
    connectionName: desired.connectionName,
    apiDestinationName: desired.apiDestinationName,
  };
}

/**
 * Disables the tenant, then revokes its keys (in that order, so no key can
 * be issued in between). Webhooks, keys and the tenant stay as records.
 */
async function offboard(physicalId: string, deps: OnboardingDependencies): Promise<OnboardingResponse> {
  if (!physicalId.startsWith(PHYSICAL_ID_PREFIX)) {
    // A Create that failed before it had a physical id: nothing was onboarded under it.
    deps.logger.info('nothing to offboard', { outcome: 'skipped' });
    return { PhysicalResourceId: physicalId };
  }
  const orgId = physicalId.slice(PHYSICAL_ID_PREFIX.length);
  const tenant = await deps.tenants.get(orgId);
  if (tenant === undefined) {
    deps.logger.info('tenant not found; nothing to offboard', { orgId, outcome: 'skipped' });
    return { PhysicalResourceId: physicalId };
  }
  await deps.tenants.disable(orgId);
  const revoked = await deps.keys.revokeAllForOrg(orgId);
  // Its run-time webhooks' rules are disabled now, through the provisioner, not at the next reconcile.
  const reprovisioned = await reprovisionRuntimeWebhooks(deps.webhooks, orgId, deps.clock);
  deps.logger.info('tenant disabled and keys revoked', {
    orgId,
    revokedKeys: revoked,
    reprovisionedWebhooks: reprovisioned,
    outcome: 'disabled',
  });
  deps.metrics?.addMetric('TenantsOffboarded', 'Count', 1);
  return { PhysicalResourceId: physicalId };
}
