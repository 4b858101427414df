/**
 * The EventBridge endpoint: a local bus delivering by the templates' rules
 * and the ones created at run time (through the local URL overrides),
 * served on the EventBridge port with its control plane; with a data
 * directory, the run-time resources are kept there.
 */
import * as path from 'node:path';
import { EventValidator } from '../../lambda/core/event-validation';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { LocalEventBus } from '../event-bus';
import { EventBridgeServer } from '../eventbridge-server';
import type { RuntimeContext } from './context';
import { LocalDeliveryEvidence } from './endpoint-health';
import { listen } from './ports';

const RESOURCES_FILE = 'eventbridge.json';
const DEAD_LETTERS_FILE = 'dead-letters.json';

/** Tells the local DLQ consumer that a dead letter was queued. */
export class DeadLetterSignal {
  private readonly listeners: Array<() => void> = [];
  subscribe(listener: () => void): void {
    this.listeners.push(listener);
  }
  notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export interface LocalEventBridge {
  readonly url: string;
  readonly bus: LocalEventBus;
  readonly deadLetters: DeadLetterSignal;
  /** Successful deliveries per rule: endpoint health's success evidence. */
  readonly evidence: LocalDeliveryEvidence;
}

export async function startEventBridge(ctx: RuntimeContext): Promise<LocalEventBridge> {
  const { options } = ctx;
  const deadLetters = new DeadLetterSignal();
  const evidence = new LocalDeliveryEvidence(ctx.clock);
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const bus = new LocalEventBus({
    assembly: ctx.assembly,
    secrets: ctx.secrets.webhookSecrets,
    urlOverrides: options.urlOverrides ?? {},
    ...(options.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: options.retryBaseDelayMs }),
    ...(options.retryMaxDelayMs === undefined ? {} : { retryMaxDelayMs: options.retryMaxDelayMs }),
    onDelivery: (report) => {
      evidence.record(report);
      options.onDelivery?.(report);
    },
    // The catalog the functions bundle (synth refuses a stale one).
    ...(options.strictEvents ? { eventValidator: new EventValidator(PLATFORM_EVENT_CATALOG) } : {}),
    ...(options.onRejected === undefined ? {} : { onRejected: options.onRejected }),
    // Run-time rules, destinations and connections survive a restart with the tables they serve.
    // So do their dead-letter queues, until the DLQ consumer has recorded each letter.
    ...(dataDir === undefined
      ? {}
      : {
          resourcesFile: path.join(dataDir, RESOURCES_FILE),
          deadLettersFile: path.join(dataDir, DEAD_LETTERS_FILE),
        }),
    onDeadLetter: () => deadLetters.notify(),
  });
  const server = new EventBridgeServer(bus);
  const port = ctx.ports.eventBridge;
  await listen('the EventBridge endpoint', port, () => server.start({ port }));
  ctx.stoppables.onStop(async () => {
    await server.stop();
    await bus.whenIdle();
  });
  return { url: server.url, bus, deadLetters, evidence };
}
