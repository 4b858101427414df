/**
 * The endpoint-health sweep (on a schedule in AWS, on a timer or on demand
 * locally). The DLQ consumer records failures; this is where a streak is
 * judged, with success evidence asked for first:
 *
 * 1. Every streak old enough to matter (its marker's `failingSince` at
 *    least `disableAfterHours` ago) is read from the webhooks table, with
 *    its webhook.
 * 2. If the webhook's rule delivered anything since the streak began
 *    (CloudWatch locally: the local delivery log), the streak is over.
 * 3. Otherwise, if the failures span the window ({@link judgeHealth}), the
 *    webhook is saved `disabled`. The rule follows from the record: the
 *    provisioner, fed by the table's stream, disables a run-time webhook's
 *    rule (PutRule) and a config webhook's (DisableRule: state only, the
 *    template is untouched). Then `partner-platform.webhook.disabled` goes
 *    out on the platform bus, once (`announcedAt`).
 *
 * Every step is idempotent and the marker goes last, so a crash anywhere is
 * finished by the next sweep.
 */
import type { Clock } from '../core/clock';
import { HOUR_MS } from '../core/clock';
import {
  deliveryRuleOf,
  judgeHealth,
  onDeliverySucceeded,
  onDisabled,
  WEBHOOK_DISABLED_EVENT,
  webhookDisabledDetail,
} from '../core/endpoint-health';
import type { EndpointHealthRepository, HealthCheckDue } from '../repositories/endpoint-health-repository';
import type { StoredWebhook, WebhooksRepository } from '../repositories/webhooks-repository';
import type { EventPublisher } from '../shared/event-publisher';
import type { DeliveryEvidence } from './delivery-evidence';

export interface HealthSweepSettings {
  readonly environmentName: string;
  readonly shardCount: number;
  readonly disableAfterHours: number;
}

export interface HealthSweepDependencies {
  readonly webhooks: Pick<WebhooksRepository, 'get'>;
  readonly health: EndpointHealthRepository;
  readonly evidence: DeliveryEvidence;
  readonly publisher: Pick<EventPublisher, 'publish'>;
  readonly clock: Clock;
  readonly settings: HealthSweepSettings;
  readonly logger: {
    info(message: string, attributes: Record<string, unknown>): void;
    error(message: string, attributes: Record<string, unknown>): void;
  };
}

export type HealthOutcome = 'settled' | 'healed' | 'waiting' | 'disabled' | 'error';

export type HealthSweepReport = Readonly<Record<HealthOutcome, number>>;

export async function sweepEndpointHealth(deps: HealthSweepDependencies): Promise<HealthSweepReport> {
  const now = deps.clock.now();
  const report: Record<HealthOutcome, number> = { settled: 0, healed: 0, waiting: 0, disabled: 0, error: 0 };
  const startedBy = new Date(now.getTime() - deps.settings.disableAfterHours * HOUR_MS);
  let cursor: string | undefined;
  do {
    const page = await deps.health.due(startedBy, { cursor });
    for (const due of page.items) report[await judgeSafely(deps, due, now)] += 1;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  deps.logger.info('endpoint health sweep finished', { ...report });
  return report;
}

async function judgeSafely(deps: HealthSweepDependencies, due: HealthCheckDue, now: Date): Promise<HealthOutcome> {
  try {
    return await judgeOne(deps, due, now);
  } catch (error) {
    deps.logger.error('endpoint health not judged; the next sweep retries', {
      orgId: due.orgId,
      webhookId: due.webhookId,
      error: error instanceof Error ? error.name : 'NonError',
    });
    return 'error';
  }
}

async function judgeOne(deps: HealthSweepDependencies, due: HealthCheckDue, now: Date): Promise<HealthOutcome> {
  const { orgId, webhookId } = due;
  const webhook = await deps.webhooks.get(orgId, webhookId);
  if (webhook !== undefined && webhook.health?.state === 'disabled') return finishDisable(deps, webhook);
  const reenabledAt = webhook?.health?.reenabledAt;
  // Gone, or a streak from before its re-enable (failures in flight while it was disabled): nothing to judge.
  if (webhook === undefined || (reenabledAt !== undefined && due.failingSince < reenabledAt)) {
    await deps.health.deleteMarker(orgId, webhookId, due.failuresInStreak);
    return 'settled';
  }
  const { environmentName, shardCount, disableAfterHours } = deps.settings;
  const rule = deliveryRuleOf(webhook, environmentName, shardCount);
  const successes = await deps.evidence.successfulDeliveries(rule, new Date(due.failingSince), now);
  if (successes > 0) {
    await deps.health.setHealth(orgId, webhookId, (current) => onDeliverySucceeded(current, now));
    await deps.health.deleteMarker(orgId, webhookId, due.failuresInStreak);
    deps.logger.info('endpoint healthy again', { orgId, webhookId, successes });
    return 'healed';
  }
  const streak = {
    state: 'failing' as const,
    failingSince: due.failingSince,
    lastFailureAt: due.lastFailureAt,
    failuresInStreak: due.failuresInStreak,
  };
  const verdict = judgeHealth(streak, disableAfterHours);
  if (verdict.verdict !== 'disable') return 'waiting';
  const saved = await deps.health.setHealth(orgId, webhookId, (current) =>
    current?.state === 'disabled' ? current : onDisabled({ ...current, ...streak }, verdict.hours, now),
  );
  deps.logger.info('webhook disabled by endpoint health', { orgId, webhookId, failedHours: verdict.hours });
  return finishDisable(deps, saved);
}

/** Tells the owner (once) and drops the marker: the record already says disabled. */
async function finishDisable(deps: HealthSweepDependencies, webhook: StoredWebhook): Promise<HealthOutcome> {
  const { orgId, webhookId } = webhook;
  if (webhook.health?.announcedAt === undefined) {
    await deps.publisher.publish([{ ...WEBHOOK_DISABLED_EVENT, detail: webhookDisabledDetail(webhook) }]);
    const at = deps.clock.now().toISOString();
    await deps.health.setHealth(orgId, webhookId, (current) =>
      current?.state === 'disabled' && current.announcedAt === undefined ? { ...current, announcedAt: at } : current,
    );
  }
  await deps.health.deleteMarker(orgId, webhookId);
  return 'disabled';
}
