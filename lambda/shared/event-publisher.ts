/**
 * The one way platform code puts events on the bus: each event is checked
 * against the event catalog (type, its source, the JSON Schema of `detail`)
 * before PutEvents, so partners never receive what the catalog says cannot
 * happen. The real EventBridge client is used, so events travel the real
 * rules (locally: the local runtime's EventBridge endpoint).
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EventValidator, type ProducerEvent } from '../core/event-validation';
import { PLATFORM_EVENT_CATALOG } from '../core/platform-event-catalog';

/** The environment variable naming the platform bus, for functions that publish (`PlatformFunction.bindEventBusPublish`). */
export const PLATFORM_BUS_ENV = 'PLATFORM_BUS_NAME';

/** PutEvents takes at most this many entries a call. */
const PUT_EVENTS_BATCH = 10;

/** EventBridge refused an entry that passed the catalog (throttling, a missing bus, ...). */
export class PublishError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

export interface EventPublisherOptions {
  readonly client: EventBridgeClient;
  /** Name or ARN of the platform bus. */
  readonly busName: string;
  /** @default a validator over the bundled platform catalog */
  readonly validator?: EventValidator;
}

export class EventPublisher {
  private readonly validator: EventValidator;

  public constructor(private readonly options: EventPublisherOptions) {
    this.validator = options.validator ?? new EventValidator(PLATFORM_EVENT_CATALOG);
  }

  /**
   * Validates every event first (nothing is sent if one breaks the catalog),
   * then puts them in batches of ten.
   * @returns the EventBridge event ids, in order.
   * @throws EventRejectedError (a ValidationError) before any PutEvents call.
   * @throws PublishError when EventBridge refuses an entry.
   */
  public async publish(events: readonly ProducerEvent[]): Promise<string[]> {
    for (const event of events) this.validator.assertValid(event);
    const ids: string[] = [];
    for (let offset = 0; offset < events.length; offset += PUT_EVENTS_BATCH) {
      const batch = events.slice(offset, offset + PUT_EVENTS_BATCH);
      const result = await this.options.client.send(
        new PutEventsCommand({
          Entries: batch.map((event) => ({
            EventBusName: this.options.busName,
            Source: event.source,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
          })),
        }),
      );
      const failed = (result.Entries ?? []).find((entry) => entry.ErrorCode);
      if ((result.FailedEntryCount ?? 0) > 0 || failed) {
        throw new PublishError(
          `PutEvents refused an entry: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`,
        );
      }
      ids.push(...(result.Entries ?? []).map((entry) => entry.EventId ?? ''));
    }
    return ids;
  }
}
