/**
 * Key rotation on request, the scheduled lifecycle sweep, and admin webhook
 * secret rotation with an overlap window. The rules are the core's; this
 * file orders the I/O so that a crash between any two steps, followed by a
 * retry, loses nothing:
 *
 * - key rotation is one DynamoDB transaction (see ApiKeysRepository.rotate);
 * - the sweep re-reads every due key and writes conditionally, so two sweeps
 *   or a sweep racing a rotation cannot both act;
 * - a webhook secret rotation records its intent (the new and previous
 *   Secrets Manager version ids) on the webhook before touching anything,
 *   then writes the new version under that id (ClientRequestToken), points
 *   the connection at it with the previous value in a second header, and
 *   only then enters the overlap. A retry resumes from the record.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { maskRecord } from '../core/api-keys';
import { type Clock, HOUR_MS } from '../core/clock';
import { ConflictError, ValidationError } from '../core/errors';
import { type RandomSource, cryptoRandom, randomAlphanumeric } from '../core/random';
import type { ApiKeysRepository } from '../repositories/api-keys-repository';
import type { TenantsRepository } from '../repositories/tenants-repository';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import type { ConnectionUpdater } from '../shared/connection-updater';
import { loggableKey } from '../shared/observability';
import { type SecretStore, SecretVersionConflictError } from '../shared/secret-store';
import { WEBHOOK_PREVIOUS_SECRET_HEADER, WEBHOOK_SECRET_HEADER } from '../shared/webhook-headers';
import {
  type RotateKeyEvent,
  type RotateWebhookSecretEvent,
  type RotationEvent,
  parseRotationEvent,
} from './rotation-events';

/** As long as the secrets CloudFormation generates for webhooks (lib/partner-webhook.ts). */
export const WEBHOOK_SECRET_LENGTH = 48;
const DEFAULT_GRACE_HOURS = 24;
const SWEEP_PAGE_SIZE = 100;

export interface RotationDependencies {
  readonly tenants: TenantsRepository;
  readonly keys: ApiKeysRepository;
  readonly webhooks: WebhooksRepository;
  readonly secrets: SecretStore;
  readonly connections: ConnectionUpdater;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** @default node:crypto randomBytes */
  readonly random?: RandomSource;
}

/** Returned to the caller of a key rotation: the only place the new plaintext ever appears. */
export interface RotateKeyResult {
  readonly orgId: string;
  readonly keyId: string;
  /** The new key. Show it once; it is stored nowhere. */
  readonly apiKey: string;
  readonly maskedKey: string;
  readonly expiresAt?: string;
  readonly previousKey: {
    readonly keyId: string;
    readonly status: 'grace' | 'revoked';
    readonly graceEndsAt?: string;
  };
}

export interface RotateWebhookSecretResult {
  readonly orgId: string;
  readonly webhookId: string;
  /** Secrets Manager version id of the new secret; the value is read from Secrets Manager, never returned. */
  readonly secretVersionId: string;
  readonly overlapEndsAt: string;
}

export interface SweepResult {
  readonly revokedGraceEnded: number;
  readonly revokedExpired: number;
  readonly markedExpiring: number;
  /** Keys another writer changed first; the next sweep looks again. */
  readonly conflicts: number;
  readonly secretOverlapsEnded: number;
  /** True when the sweep stopped early (time budget) and left due work for the next run. */
  readonly truncated: boolean;
}

export type RotationResult = RotateKeyResult | RotateWebhookSecretResult | SweepResult;

export interface RotationInvocationOptions {
  /** Asked between items; true stops a sweep early (the Lambda's remaining time). */
  readonly shouldStop?: () => boolean;
}

export async function handleRotationEvent(
  raw: unknown,
  deps: RotationDependencies,
  options: RotationInvocationOptions = {},
): Promise<RotationResult> {
  const event: RotationEvent = parseRotationEvent(raw);
  switch (event.action) {
    case 'rotate':
      return rotateKey(event, deps);
    case 'rotate-webhook-secret':
      return rotateWebhookSecret(event, deps);
    case 'sweep':
      return sweep(deps, options.shouldStop ?? (() => false));
  }
}

/** Rotates the org's key; the old one gets the requested (or the tenant's) grace. */
export async function rotateKey(event: RotateKeyEvent, deps: RotationDependencies): Promise<RotateKeyResult> {
  const tenant = await deps.tenants.require(event.orgId);
  const graceHours = event.graceHours ?? tenant.rotationGraceHours ?? DEFAULT_GRACE_HOURS;
  const validity =
    event.expiresAt !== undefined
      ? { expiresAt: event.expiresAt }
      : { validityDays: event.validityDays ?? tenant.apiKeyValidityDays };
  const { newKey, oldKey } = await deps.keys.rotate({
    orgId: event.orgId,
    ...(event.keyId === undefined ? {} : { keyId: event.keyId }),
    graceHours,
    ...validity,
    ...(event.requestedBy === undefined ? {} : { createdBy: event.requestedBy }),
    ...(deps.random === undefined ? {} : { random: deps.random }),
  });
  deps.logger.info('API key rotated', {
    orgId: event.orgId,
    newKey: loggableKey(newKey.record),
    previousKey: loggableKey(oldKey),
    previousStatus: oldKey.status,
    graceHours,
    outcome: 'rotated',
  });
  deps.metrics?.addMetric('KeysRotated', 'Count', 1);
  return {
    orgId: event.orgId,
    keyId: newKey.record.keyId,
    apiKey: newKey.plaintext,
    maskedKey: maskRecord(newKey.record),
    ...(newKey.record.expiresAt === undefined ? {} : { expiresAt: newKey.record.expiresAt }),
    previousKey: {
      keyId: oldKey.keyId,
      status: oldKey.status === 'grace' ? 'grace' : 'revoked',
      ...(oldKey.graceEndsAt === undefined ? {} : { graceEndsAt: oldKey.graceEndsAt }),
    },
  };
}

/**
 * A new random webhook secret becomes the connection's API key; the
 * previous one travels in `x-partner-platform-secret-previous` until the
 * overlap ends and the sweep removes it.
 * @throws NotFoundError when the webhook does not exist.
 * @throws ValidationError when it has no secret or connection (an API-created webhook).
 */
export async function rotateWebhookSecret(
  event: RotateWebhookSecretEvent,
  deps: RotationDependencies,
): Promise<RotateWebhookSecretResult> {
  const { orgId, webhookId } = event;
  let hook = await deps.webhooks.require(orgId, webhookId);
  const { secretArn, connectionName } = requireBinding(hook);
  const requestedVersionId =
    event.requestId === undefined ? undefined : versionIdFor(orgId, webhookId, event.requestId);

  const rotation = hook.secretRotation;
  const alreadyDone = rotation?.status === 'overlap' && rotation.newVersionId === requestedVersionId;
  if (alreadyDone) return rotationResult(hook);
  if (rotation?.status !== 'started') {
    const current = await deps.secrets.getSecretValue(secretArn);
    if (current === undefined) throw new ValidationError(`the secret of webhook ${webhookId} does not exist`);
    hook = await deps.webhooks.beginSecretRotation(orgId, webhookId, {
      newVersionId: requestedVersionId ?? randomUUID(),
      previousVersionId: current.versionId,
      overlapEndsAt: new Date(deps.clock.now().getTime() + event.overlapHours * HOUR_MS).toISOString(),
    });
  }
  // From here on the record says what to do, whether this call started the rotation or resumes it.
  const started = hook.secretRotation;
  if (started === undefined) throw new ConflictError(`webhook ${webhookId} has no secret rotation under way`);

  const previous = await deps.secrets.getSecretValue(secretArn, { versionId: started.previousVersionId });
  if (previous === undefined) {
    throw new ConflictError(`the previous secret version of webhook ${webhookId} is gone; start the rotation again`);
  }
  const next = await ensureSecretVersion(secretArn, started.newVersionId, deps);
  await deps.connections.updateApiKeyConnection({
    connectionName,
    apiKeyName: WEBHOOK_SECRET_HEADER,
    apiKeyValue: next,
    extraHeaders: [{ name: WEBHOOK_PREVIOUS_SECRET_HEADER, value: previous.value }],
  });
  const done = await deps.webhooks.enterSecretOverlap(orgId, webhookId, started.newVersionId);
  deps.logger.info('webhook secret rotated', {
    orgId,
    webhookId,
    secretVersionId: started.newVersionId,
    overlapEndsAt: started.overlapEndsAt,
    requestedBy: event.requestedBy,
    outcome: 'overlap-started',
  });
  deps.metrics?.addMetric('WebhookSecretsRotated', 'Count', 1);
  return rotationResult(done);
}

/** The value of version `versionId`, writing a new random one under that id if it does not exist yet. */
async function ensureSecretVersion(secretArn: string, versionId: string, deps: RotationDependencies): Promise<string> {
  const existing = await deps.secrets.getSecretValue(secretArn, { versionId });
  if (existing !== undefined) return existing.value;
  const value = randomAlphanumeric(WEBHOOK_SECRET_LENGTH, deps.random ?? cryptoRandom);
  try {
    await deps.secrets.putSecretValue({ secretId: secretArn, value, clientRequestToken: versionId });
    return value;
  } catch (error) {
    if (!(error instanceof SecretVersionConflictError)) throw error;
    // A concurrent call wrote this version first: use its value.
    const written = await deps.secrets.getSecretValue(secretArn, { versionId });
    if (written === undefined) throw error;
    return written.value;
  }
}

function requireBinding(hook: StoredWebhook): { secretArn: string; connectionName: string } {
  if (hook.secretArn === undefined || hook.connectionName === undefined) {
    throw new ValidationError(
      `webhook ${hook.webhookId} of org ${hook.orgId} has no secret and connection of its own; only config webhooks can rotate their secret`,
    );
  }
  return { secretArn: hook.secretArn, connectionName: hook.connectionName };
}

function rotationResult(hook: StoredWebhook): RotateWebhookSecretResult {
  const rotation = hook.secretRotation;
  if (rotation === undefined) throw new ConflictError(`webhook ${hook.webhookId} has no secret rotation`);
  return {
    orgId: hook.orgId,
    webhookId: hook.webhookId,
    secretVersionId: rotation.newVersionId,
    overlapEndsAt: rotation.overlapEndsAt,
  };
}

/**
 * A Secrets Manager version id (32-64 characters) from the caller's
 * idempotency token, scoped to the webhook so tokens cannot collide across webhooks.
 */
function versionIdFor(orgId: string, webhookId: string, requestId: string): string {
  return createHash('sha256').update(`webhook-secret:${orgId}:${webhookId}:${requestId}`).digest('hex');
}

/**
 * One pass over everything due now: key lifecycle steps from the keys'
 * `byDue` index, then ended secret overlaps from the webhooks' `byDue` index.
 */
export async function sweep(deps: RotationDependencies, shouldStop: () => boolean = () => false): Promise<SweepResult> {
  const now = deps.clock.now();
  const tally = { revokedGraceEnded: 0, revokedExpired: 0, markedExpiring: 0, conflicts: 0, secretOverlapsEnded: 0 };
  let truncated = false;

  let cursor: string | undefined;
  keys: do {
    const page = await deps.keys.dueForSweep(now, { limit: SWEEP_PAGE_SIZE, cursor });
    for (const due of page.items) {
      if (shouldStop()) {
        truncated = true;
        break keys;
      }
      const outcome = await deps.keys.sweep(due.keyHash, now);
      if (outcome.kind === 'conflict') tally.conflicts++;
      if (outcome.kind !== 'transitioned') continue;
      const { reason } = outcome.transition;
      if (reason === 'grace-ended') tally.revokedGraceEnded++;
      else if (reason === 'expired') tally.revokedExpired++;
      else tally.markedExpiring++;
      deps.logger.info('API key swept', {
        orgId: outcome.record.orgId,
        ...loggableKey(outcome.record),
        from: outcome.transition.from,
        to: outcome.transition.to,
        reason,
      });
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);

  cursor = undefined;
  overlaps: while (!truncated) {
    const page = await deps.webhooks.dueSecretOverlapEnds(now, { limit: SWEEP_PAGE_SIZE, cursor });
    for (const due of page.items) {
      if (shouldStop()) {
        truncated = true;
        break overlaps;
      }
      const hook = await deps.webhooks.get(due.orgId, due.webhookId);
      const rotation = hook?.secretRotation;
      // Only the overlap this marker belongs to; a newer rotation keeps its previous-secret header.
      // (A rotation that starts between this read and the update below would lose its header
      // until it is repeated: admin rotations are rare and the window is one round trip.)
      if (
        hook?.connectionName !== undefined &&
        rotation?.status === 'overlap' &&
        rotation.overlapEndsAt === due.overlapEndsAt
      ) {
        await deps.connections.updateApiKeyConnection({
          connectionName: hook.connectionName,
          apiKeyName: WEBHOOK_SECRET_HEADER,
          extraHeaders: [],
        });
      }
      await deps.webhooks.endSecretOverlap(due);
      tally.secretOverlapsEnded++;
      deps.logger.info('webhook secret overlap ended', {
        orgId: due.orgId,
        webhookId: due.webhookId,
        outcome: 'ended',
      });
    }
    cursor = page.nextCursor;
    if (cursor === undefined) break;
  }

  deps.metrics?.addMetric('KeysRevokedGraceEnded', 'Count', tally.revokedGraceEnded);
  deps.metrics?.addMetric('KeysRevokedExpired', 'Count', tally.revokedExpired);
  deps.metrics?.addMetric('KeysMarkedExpiring', 'Count', tally.markedExpiring);
  deps.metrics?.addMetric('SecretOverlapsEnded', 'Count', tally.secretOverlapsEnded);
  deps.logger.info('sweep finished', { ...tally, truncated });
  return { ...tally, truncated };
}
