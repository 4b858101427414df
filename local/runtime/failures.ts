/**
 * The DLQ consumer, run locally as AWS runs it: the same handler code over
 * the runtime's tables, its settings from the consumer function's
 * environment in the synthesized template, fed by the local EventBridge's
 * dead-letter queues (kept in the data directory with `--data`) in batches
 * of 10 with partial batch failures: a message is deleted once recorded,
 * and one whose write failed is received again a second later.
 *
 * An assembly without the consumer function runs without it, as before.
 */
import {
  consumeDeadLetters,
  type DlqConsumerDependencies,
  healthRecorder,
} from '../../lambda/dlq-consumer/dlq-consumer';
import { EndpointHealthRepository } from '../../lambda/repositories/endpoint-health-repository';
import { readDlqConsumerEnvironment } from '../../lambda/dlq-consumer/environment';
import { FailedDeliveriesRepository } from '../../lambda/repositories/failed-deliveries-repository';
import { FailureReplay, type FailureReplayPort, eventBridgePublisher } from '../../lambda/shared/failure-replay';
import { sqsRecordOf } from '../dead-letter-records';
import { localEventBridgeClient } from '../eventbridge-client';
import { functionEnvironment } from './assembly';
import type { RuntimeContext } from './context';
import type { LocalEventBridge } from './event-bridge';
import { localFunctionEnvironment } from './function-environment';

/** The service name the consumer function logs under (its POWERTOOLS_SERVICE_NAME). */
export const DLQ_CONSUMER_SERVICE = 'dlq-consumer';
const BATCH_SIZE = 10;
const RETRY_AFTER_MS = 1000;

export interface LocalFailures {
  readonly repository: FailedDeliveriesRepository;
  /** Lists and replays, as the APIs and the portal use them (PutEvents through the local endpoint). */
  readonly replay: FailureReplay;
  /** Resolves once every dead letter queued so far is recorded (or left for a retry). */
  whenConsumed(): Promise<void>;
}

export async function startFailureConsumer(
  ctx: RuntimeContext,
  eventBridge: LocalEventBridge,
): Promise<LocalFailures | undefined> {
  if (Object.keys(functionEnvironment(ctx.platform, DLQ_CONSUMER_SERVICE)).length === 0) return undefined;
  if (ctx.options.deadLetterConsumer === false) return undefined;
  const env = readDlqConsumerEnvironment(
    localFunctionEnvironment(ctx.assembly, ctx.platform, DLQ_CONSUMER_SERVICE, eventBridge.bus.store),
  );
  const repository = new FailedDeliveriesRepository({ doc: ctx.tables.doc, tableName: env.FAILED_DELIVERIES_TABLE });
  const deps: DlqConsumerDependencies = {
    failures: repository,
    webhooks: ctx.tables.repositories.webhooks,
    environmentName: env.ENVIRONMENT_NAME,
    retentionDays: env.FAILURE_RETENTION_DAYS,
    logger: ctx.logger(DLQ_CONSUMER_SERVICE),
    onRecorded: healthRecorder(localHealthRepository(ctx), ctx.clock),
  };
  const poller = new DeadLetterPoller(eventBridge, deps);
  eventBridge.deadLetters.subscribe(() => poller.wake());
  poller.wake(); // letters kept from the last run
  ctx.stoppables.onStop(() => poller.stop());
  const client = localEventBridgeClient(eventBridge.url);
  ctx.stoppables.onStop(() => client.destroy());
  const replay = new FailureReplay({
    failures: repository,
    publish: eventBridgePublisher(client),
    environmentName: env.ENVIRONMENT_NAME,
    clock: ctx.clock,
    retentionDays: env.FAILURE_RETENTION_DAYS,
  });
  return { repository, replay, whenConsumed: () => poller.whenConsumed(eventBridge) };
}

/** Endpoint health over the runtime's webhooks table, as the DLQ consumer and the health sweep use it. */
export function localHealthRepository(ctx: RuntimeContext): EndpointHealthRepository {
  return new EndpointHealthRepository({
    doc: ctx.tables.doc,
    tableName: ctx.tables.names.webhooks,
    webhooks: ctx.tables.repositories.webhooks,
  });
}

/** The replay service for the API, attached once the DLQ consumer has started (absent: the routes answer 500). */
export class FailureReplayLink implements FailureReplayPort {
  private target: FailureReplay | undefined;

  attach(target: FailureReplay | undefined): void {
    this.target = target;
  }

  list(...args: Parameters<FailureReplay['list']>): ReturnType<FailureReplay['list']> {
    return this.require().list(...args);
  }

  replay(...args: Parameters<FailureReplay['replay']>): ReturnType<FailureReplay['replay']> {
    return this.require().replay(...args);
  }

  private require(): FailureReplay {
    if (this.target === undefined) throw new Error('the DLQ consumer is off or not started: no failed deliveries here');
    return this.target;
  }
}

/** One drain at a time; a wake during a drain makes it look again. */
class DeadLetterPoller {
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly eventBridge: LocalEventBridge,
    private readonly deps: DlqConsumerDependencies,
  ) {}

  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => (this.draining = undefined));
  }

  async whenConsumed(eventBridge: LocalEventBridge): Promise<void> {
    do {
      await eventBridge.bus.whenIdle();
      this.wake();
      await this.draining;
    } while (
      eventBridge.bus.receiveDeadLetters(1).some((letter) => letter.messageId !== undefined) &&
      !this.retryTimer
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.draining;
  }

  private async drain(): Promise<void> {
    const { bus } = this.eventBridge;
    do {
      this.again = false;
      for (;;) {
        const batch = bus.receiveDeadLetters(Number.MAX_SAFE_INTEGER).filter((letter) => letter.messageId);
        if (batch.length === 0 || this.stopped) break;
        const records = batch
          .slice(0, BATCH_SIZE)
          .map((letter) => sqsRecordOf(letter, bus.store.account, bus.store.region));
        const { batchItemFailures } = await consumeDeadLetters(this.deps, records);
        const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
        bus.deleteDeadLetters(new Set(records.map((r) => r.messageId).filter((id) => !failed.has(id))));
        if (failed.size > 0) return this.retryLater();
      }
    } while (this.again && !this.stopped);
  }

  private retryLater(): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, RETRY_AFTER_MS);
    this.retryTimer.unref();
  }
}
