/**
 * Key and webhook actions in the org's activity log, from every door (admin
 * API, partner API, portal): who, what, when, from where. The subject names
 * a key by its name, environment and public id, never by its plaintext,
 * hash or prefix, and a webhook by its id (never its secret).
 *
 * The entry is written after the action succeeded; a failed write is logged
 * as an error and does not turn a done action into a failed request.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ApiKeyRecord, keyEnvironmentOf, keyNameOf } from '../core/api-keys';
import type { Clock } from '../core/clock';
import type { ActivityInput, ActivityRepository } from '../repositories/activity-repository';

export interface ActivityLogDependencies {
  /** @default nothing is recorded (a door built without the activity log) */
  readonly activity?: Pick<ActivityRepository, 'record'>;
  readonly clock: Clock;
  readonly logger?: Pick<Logger, 'error'>;
}

/** How a key appears in the activity log: `CI (development, key_…)`. */
export function keySubject(record: Pick<ApiKeyRecord, 'keyId' | 'name' | 'environment'>): string {
  return `${keyNameOf(record)} (${keyEnvironmentOf(record)}, ${record.keyId})`;
}

export async function logActivity(deps: ActivityLogDependencies, entry: ActivityInput): Promise<void> {
  if (deps.activity === undefined) return;
  try {
    await deps.activity.record(entry, deps.clock.now());
  } catch (error) {
    deps.logger?.error('activity not recorded', {
      orgId: entry.orgId,
      action: entry.action,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
}
