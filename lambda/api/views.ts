/**
 * How stored records are shown through the APIs: keys masked (first 8,
 * `…`, last 4), absent timestamps as null, and webhooks without their
 * delivery binding or secret.
 */
import type { z } from 'zod';
import {
  type ApiKeyRecord,
  type IssuedKey,
  expiresInDays,
  keyEnvironmentOf,
  keyNameOf,
  maskRecord,
} from '../core/api-keys';
import { deliveryStateOf } from '../core/provisioning';
import { isRuntimeOwned } from '../core/webhooks';
import type { StoredWebhook } from '../repositories/webhooks-repository';
import type { TenantRecord } from '../repositories/tenants-repository';
import type { credentialView, issuedKeyView, maskedKey, tenantView, webhookView } from './routes';

export function maskedKeyView(record: ApiKeyRecord): z.input<typeof maskedKey> {
  return {
    id: record.keyId,
    name: keyNameOf(record),
    environment: keyEnvironmentOf(record),
    key: maskRecord(record),
    status: record.status,
    expiresAt: record.expiresAt ?? null,
  };
}

export function tenantViewOf(tenant: TenantRecord, activeKey: ApiKeyRecord | undefined): z.input<typeof tenantView> {
  return {
    orgId: tenant.orgId,
    orgName: tenant.orgName,
    ownerEmail: tenant.ownerEmail,
    status: tenant.status,
    createdAt: tenant.createdAt,
    activeKey: activeKey === undefined ? null : maskedKeyView(activeKey),
  };
}

export function issuedKeyViewOf(issued: IssuedKey, orgName: string, createdBy: string): z.input<typeof issuedKeyView> {
  return {
    apiKey: issued.plaintext,
    id: issued.record.keyId,
    name: keyNameOf(issued.record),
    environment: keyEnvironmentOf(issued.record),
    orgId: issued.record.orgId,
    orgName,
    createdAt: issued.record.createdAt,
    createdBy: issued.record.createdBy ?? createdBy,
    expiresAt: issued.record.expiresAt ?? null,
  };
}

export function expiresInText(days: number | undefined): string {
  if (days === undefined) return 'never expires';
  if (days === 0) return 'expired';
  return `expires in ${days} ${days === 1 ? 'day' : 'days'}`;
}

export function credentialViewOf(record: ApiKeyRecord, now: Date): z.input<typeof credentialView> {
  const days = record.status === 'revoked' ? 0 : expiresInDays(record, now);
  return {
    ...maskedKeyView(record),
    createdAt: record.createdAt,
    createdBy: record.createdBy ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
    graceEndsAt: record.graceEndsAt ?? null,
    expiresInDays: days ?? null,
    expiresIn: record.status === 'revoked' ? 'revoked' : expiresInText(days),
  };
}

export function webhookViewOf(webhook: StoredWebhook): z.input<typeof webhookView> {
  const delivery = deliveryStateOf(webhook);
  return {
    id: webhook.webhookId,
    url: webhook.url,
    events: [...webhook.events],
    status: webhook.health?.state === 'disabled' ? 'disabled' : webhook.status,
    createdAt: webhook.createdAt,
    verifiedAt: webhook.verifiedAt ?? null,
    updatedAt: webhook.updatedAt,
    lastError: webhook.lastError ?? null,
    source: webhook.source,
    owner: isRuntimeOwned(webhook) ? 'runtime' : 'config',
    delivery: { state: delivery.state, lastError: delivery.lastError ?? null },
    health: {
      state: webhook.health?.state ?? 'healthy',
      failingSince: webhook.health?.failingSince ?? null,
      lastFailureAt: webhook.health?.lastFailureAt ?? null,
      disabledAt: webhook.health?.disabledAt ?? null,
      disabledAfterHours: webhook.health?.disabledAfterHours ?? null,
    },
  };
}
