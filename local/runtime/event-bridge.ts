/**
 * The EventBridge endpoint: a local bus delivering by the templates' rules
 * (through the local URL overrides), served on the EventBridge port.
 */
import { LocalEventBus } from '../event-bus';
import { EventBridgeServer } from '../eventbridge-server';
import type { RuntimeContext } from './context';
import { listen } from './ports';

export interface LocalEventBridge {
  readonly url: string;
  readonly bus: LocalEventBus;
}

export async function startEventBridge(ctx: RuntimeContext): Promise<LocalEventBridge> {
  const { options } = ctx;
  const bus = new LocalEventBus({
    assembly: ctx.assembly,
    secrets: ctx.secrets.webhookSecrets,
    urlOverrides: options.urlOverrides ?? {},
    ...(options.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: options.retryBaseDelayMs }),
    ...(options.retryMaxDelayMs === undefined ? {} : { retryMaxDelayMs: options.retryMaxDelayMs }),
    ...(options.onDelivery === undefined ? {} : { onDelivery: options.onDelivery }),
  });
  const server = new EventBridgeServer(bus);
  const port = ctx.ports.eventBridge;
  await listen('the EventBridge endpoint', port, () => server.start({ port }));
  ctx.stoppables.onStop(async () => {
    await server.stop();
    await bus.whenIdle();
  });
  return { url: server.url, bus };
}
