/**
 * Endpoint health, run locally as AWS runs it: the same sweep over the
 * runtime's webhooks table, its settings from the sweep function's
 * environment in the synthesized template, publishing through the local
 * EventBridge endpoint, every `healthSweepIntervalMs` (15 minutes in AWS)
 * and on demand (`runtime.health.sweep()`). Its success evidence is the
 * local EventBridge's own delivery log per rule, stamped with the runtime's
 * clock, where AWS has CloudWatch's `SuccessfulInvocationAttempts`.
 *
 * An assembly without the sweep function runs without it.
 */
import type { Clock } from '../../lambda/core/clock';
import type { DeliveryEvidence, WebhookRule } from '../../lambda/endpoint-health/delivery-evidence';
import { healthSweepSettingsOf, readHealthSweepEnvironment } from '../../lambda/endpoint-health/environment';
import { type HealthSweepReport, sweepEndpointHealth } from '../../lambda/endpoint-health/health-sweep';
import { EventPublisher } from '../../lambda/shared/event-publisher';
import type { DeliveryReport } from '../event-bus';
import { localEventBridgeClient } from '../eventbridge-client';
import { functionEnvironment } from './assembly';
import type { RuntimeContext } from './context';
import type { LocalEventBridge } from './event-bridge';
import { localHealthRepository } from './failures';
import { localFunctionEnvironment } from './function-environment';

/** The service name the sweep function logs under (its POWERTOOLS_SERVICE_NAME). */
export const ENDPOINT_HEALTH_SERVICE = 'endpoint-health';
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** Successful deliveries per rule, at the runtime clock's time: the local CloudWatch for the sweep. */
export class LocalDeliveryEvidence implements DeliveryEvidence {
  private readonly successes = new Map<string, number[]>();

  constructor(private readonly clock: Clock) {}

  record(report: DeliveryReport): void {
    if (report.outcome !== 'delivered') return;
    const times = this.successes.get(report.ruleName) ?? [];
    times.push(this.clock.now().getTime());
    this.successes.set(report.ruleName, times);
  }

  async successfulDeliveries(rule: WebhookRule, from: Date, to: Date): Promise<number> {
    const times = this.successes.get(rule.ruleName) ?? [];
    return times.filter((time) => time >= from.getTime() && time <= to.getTime()).length;
  }
}

export interface LocalEndpointHealth {
  /** Judges every streak old enough now, as the schedule does. */
  sweep(): Promise<HealthSweepReport>;
}

export async function startEndpointHealth(
  ctx: RuntimeContext,
  eventBridge: LocalEventBridge,
): Promise<LocalEndpointHealth | undefined> {
  if (Object.keys(functionEnvironment(ctx.platform, ENDPOINT_HEALTH_SERVICE)).length === 0) return undefined;
  const env = readHealthSweepEnvironment(
    localFunctionEnvironment(ctx.assembly, ctx.platform, ENDPOINT_HEALTH_SERVICE, eventBridge.bus.store),
  );
  const client = localEventBridgeClient(eventBridge.url);
  const logger = ctx.logger(ENDPOINT_HEALTH_SERVICE);
  const deps = {
    webhooks: ctx.tables.repositories.webhooks,
    health: localHealthRepository(ctx),
    evidence: eventBridge.evidence,
    publisher: new EventPublisher({ client, busName: env.PLATFORM_BUS_NAME }),
    clock: ctx.clock,
    settings: healthSweepSettingsOf(env),
    logger,
  };
  let running: Promise<HealthSweepReport> | undefined;
  const sweep = () => (running ??= sweepEndpointHealth(deps).finally(() => (running = undefined)));
  const timer = setInterval(
    () => void sweep().catch((error) => logger.error('endpoint health sweep failed', { error: String(error) })),
    ctx.options.healthSweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
  );
  timer.unref();
  ctx.stoppables.onStop(async () => {
    clearInterval(timer);
    await running?.catch(() => undefined);
    client.destroy();
  });
  return { sweep };
}
